"""Names: normalisation, matching, and merge proposals for names that differ only by accents."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.roster import NAME_MAX, RepRef, fold_key, match_key, normalize_name, resolve_or_create
from scorecard.store import Store

INVISIBLE = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u200e", "\u200f", "\u202a", "\u202c", "\u2066", "\u2069", "\u00ad"]
SPACES = [" ", "  ", "\t", "\u00a0", "\u202f", "\u2009", "\u3000"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\ufeffAna Lopez", "Ana Lopez"),
        ("Ana\u200b Lopez", "Ana Lopez"),
        ("\u200eAna Lopez\u200f", "Ana Lopez"),
        ("\u202bAna Lopez\u202c", "Ana Lopez"),
        ("  Ana \t\u00a0 Lopez  ", "Ana Lopez"),
        ("Jose\u0301 Nu\u0301n\u0303ez", "José Núñez"),
        ("Ana\x07Lopez", "AnaLopez"),
        ("\u200b\u200f", ""),
        (None, ""),
    ],
)
def test_normalize_name(raw: str | None, clean: str) -> None:
    assert normalize_name(raw) == clean
    assert unicodedata.is_normalized("NFC", normalize_name(raw))


def test_fold_key_ignores_accents_case_and_punctuation_only() -> None:
    assert fold_key("Ana López-Ruiz") == fold_key("ANA LOPEZ RUIZ") == "ana lopez ruiz"
    assert fold_key("Ana Lopez") != fold_key("Ana Lopes")


def test_fold_key_keeps_distinct_letters_distinct() -> None:
    assert fold_key("Zoë Ørsted") == "zoe ørsted"
    assert fold_key("Łukasz") == "łukasz"  # Ł does not decompose: never folded into a different name


# -- properties -----------------------------------------------------------------------------------

letters = st.characters(codec="utf-8", categories=["Lu", "Ll", "Lo", "Mn"], exclude_characters="\u0345")
words = st.text(alphabet=letters, min_size=1, max_size=10)
names = st.lists(words, min_size=1, max_size=4).map(" ".join).filter(lambda n: normalize_name(n) != "")


@SETTINGS
@given(name=names, data=st.data())
def test_invisible_marks_and_spacing_never_change_a_name(name: str, data: st.DataObject) -> None:
    base = normalize_name(name)
    noisy = ""
    for ch in name:
        if ch == " ":
            noisy += data.draw(st.sampled_from(SPACES))
        else:
            noisy += ch
        if data.draw(st.booleans()):
            noisy += data.draw(st.sampled_from(INVISIBLE))
    noisy = data.draw(st.sampled_from(["", *SPACES, *INVISIBLE])) + noisy
    assert normalize_name(noisy) == base
    assert match_key(noisy) == match_key(name)
    assert normalize_name(base) == base  # idempotent
    assert normalize_name(unicodedata.normalize("NFD", name)) == base


@SETTINGS
@given(name=names)
def test_a_stripped_accent_variant_folds_to_the_same_key(name: str) -> None:
    # The accents of the name in either case: an iota subscript (ᾳ) is a letter in capitals (ΑΙ), not an accent.
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(ch))
    assert fold_key(bare) == fold_key(name)
    assert fold_key(name.casefold()) == fold_key(name)


def test_a_name_with_an_iota_subscript_folds_like_its_capitals() -> None:
    assert fold_key("ᾀ") == fold_key("ἈΙ") == fold_key("ἀι") == "αι"


ascii_names = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8), min_size=2, max_size=3).map(
    lambda parts: " ".join(p.capitalize() for p in parts)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=ascii_names, data=st.data())
def test_an_accented_variant_of_a_rep_is_proposed_never_silent(tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject) -> None:
    """An ASCII name and an accented spelling of it: one rep each, and one merge proposal naming both."""
    accents = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ", "c": "ç"}
    positions = [i for i, ch in enumerate(name) if ch in accents]
    if not positions:
        return
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=1, unique=True))
    accented = "".join(accents[ch] if i in chosen else ch for i, ch in enumerate(name))
    with Store(tmp_path_factory.mktemp("names") / "n.duckdb") as store, store.write() as cur:
        resolution = resolve_or_create(cur, [RepRef(name), RepRef(accented)])
    assert resolution.new_reps == [name, accented]
    (proposal,) = resolution.merge_proposals
    assert (proposal.new_name, proposal.existing_name) == (accented, name)
    assert proposal.new_rep_id != proposal.existing_rep_id


def test_names_differing_beyond_accents_are_not_proposed(store: Store) -> None:
    with store.write() as cur:
        resolution = resolve_or_create(cur, [RepRef("Ana Lopez"), RepRef("Ana Lopes"), RepRef("ana lopez")])
    assert resolution.new_reps == ["Ana Lopez", "Ana Lopes"]
    assert resolution.merge_proposals == []


def test_the_name_cap_is_the_documented_one() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "identity.md").read_text(encoding="utf-8")
    assert f"{NAME_MAX} characters" in doc
