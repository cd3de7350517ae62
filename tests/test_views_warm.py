"""After a commit every open rep page is built in one pass, and each page then finds its own view built."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scorecard import scores, views
from scorecard.store import Store
from tests.factories_ui import AS_OF, seed_team

SLUGS = ["ana-lopez", "ben-carter", "chloe-park", "dev-patel", "emma-stone"]


def test_one_pass_builds_every_page_as_each_would_build_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_of = AS_OF
    monkeypatch.setattr(views, "now_minute", lambda _settings: as_of)  # one minute for the whole test
    store = Store(tmp_path / "db.duckdb")
    try:
        seed_team(store)
        views.warm_rep_pages(store, [*SLUGS, "no-such-rep", SLUGS[0]])
        calls: list[str] = []
        one = scores.rep_scorecard

        def counted(store_: Store, slug: str, *args: object, **kwargs: object) -> scores.RepScorecard:
            calls.append(slug)
            return one(store_, slug, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(scores, "rep_scorecard", counted)
        built = {slug: views.rep_page(store, slug, as_of) for slug in SLUGS}
        assert calls == []  # every page was built by the pass
        for slug, page in built.items():
            alone = one(store, slug, as_of)
            for f in dataclasses.fields(scores.RepScorecard):
                ours, theirs = getattr(page.scorecard, f.name), getattr(alone, f.name)
                assert ours.equals(theirs) if f.name == "weekly_trend" else ours == theirs, (slug, f.name)
        warmer = views.RepPagesWarmer(store)
        assert warmer == views.RepPagesWarmer(store)  # equal for every page: the pusher builds them together
        warmer([views.rep_page_key(slug) for slug in SLUGS])  # already built: nothing to do
        assert calls == []
    finally:
        store.close()
