"""Slugs and rep matching."""

from __future__ import annotations

from scorecard.roster import RepRef, list_reps, rep_by_slug, resolve_or_create, slugify, teams
from scorecard.store import Store
from tests.factories import add_rep


def test_slugify() -> None:
    assert slugify("Ana López") == "ana-lopez"
    assert slugify("  Zoë  O'Brien-Smith ") == "zoe-o-brien-smith"
    assert slugify("Øyvind Ærø") == "yvind-r"  # letters without an ASCII decomposition are dropped
    assert slugify("李") == "rep"


def test_unknown_reps_created_with_unique_slugs(store: Store) -> None:
    with store.write() as cur:
        res = resolve_or_create(
            cur, [RepRef("Ana López"), RepRef("Ana Lopez"), RepRef("ANA LOPEZ "), RepRef(None, "pat@x.io", "East")]
        )
    assert res.new_reps == ["Ana López", "Ana Lopez", "pat"]
    ids = list(res.ids.values())
    assert ids[1] == ids[2] and len(set(ids)) == 3
    assert [r.slug for r in (rep_by_slug(store, "ana-lopez"), rep_by_slug(store, "ana-lopez-2"))] == ["ana-lopez", "ana-lopez-2"]  # type: ignore[union-attr]
    pat = rep_by_slug(store, "pat")
    assert pat is not None and pat.email == "pat@x.io" and pat.team == "East"
    assert teams(store) == ["East", "Sales"]
    assert list_reps(store).height == 3


def test_match_by_email_name_and_alias_ignoring_case_and_spaces(store: Store) -> None:
    add_rep(store, "Bo Brown", slug="bo", email="Bo@Acme.io", aliases=["Bobby B", "bb"])
    with store.write() as cur:
        res = resolve_or_create(
            cur,
            [RepRef("x", " bo@acme.IO"), RepRef(" bo   BROWN"), RepRef("BOBBY  b"), RepRef("bo@acme.io"), RepRef(None, "BB")],
        )
    assert res.new_reps == []
    assert len(set(res.ids.values())) == 1


def test_inactive_reps_hidden_by_default(store: Store) -> None:
    add_rep(store, "Gone", slug="gone", active=False)
    add_rep(store, "Here", slug="here")
    assert list_reps(store)["slug"].to_list() == ["here"]
    assert sorted(list_reps(store, include_inactive=True)["slug"].to_list()) == ["gone", "here"]
