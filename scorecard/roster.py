"""The roster: reps, their slugs, and matching export names to them.

A name in an export matches a rep by email, display name or alias, ignoring
case and white space. Unknown names become new reps (reported, never dropped).
Names are normalised first (`normalize_name`, rules in docs/identity.md), and
a new name that differs from a known one only by accents, case or
punctuation ("Ana Lopez" next to "Ana López") becomes a merge proposal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import polars as pl

from scorecard.store import Store, next_ids

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
NAME_MAX = 100  # characters; a longer "name" is a mapped notes column, not a person
EMAIL_MAX = 254  # the longest address mail systems accept


@dataclass(frozen=True)
class Rep:
    rep_id: int
    slug: str
    display_name: str
    email: str | None
    aliases: tuple[str, ...]
    team: str
    active: bool
    is_demo: bool


@dataclass(frozen=True)
class RepRef:
    """How one export row names its rep."""

    name: str | None
    email: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class MergeProposal:
    """A rep just created whose name differs from an existing rep's only by accents, case or punctuation."""

    new_name: str
    new_rep_id: int
    existing_name: str
    existing_rep_id: int

    def text(self) -> str:
        return f"{self.new_name!r} looks like {self.existing_name!r}"


@dataclass(frozen=True)
class Resolution:
    ids: dict[RepRef, int]
    new_reps: list[str]  # display names of reps created
    merge_proposals: list[MergeProposal] = field(default_factory=list)


def normalize_name(text: str | None) -> str:
    """A name as it is stored and shown: NFC, without invisible marks, single spaces.

    Removed: format characters (Unicode category Cf: byte-order marks,
    zero-width spaces and joiners, soft hyphens, left-to-right and other bidi
    marks) and control characters. They are invisible, so two names that
    differ only by them look identical and must be the same name. Runs of
    white space of any kind (tabs, no-break spaces) become one space.
    """
    if not text:
        return ""
    # Marks go first, composition after: an invisible mark between a letter and its accent would block NFC.
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def slugify(name: str) -> str:
    """Lowercase ASCII with hyphens: 'Ana López' -> 'ana-lopez'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("-", ascii_name.lower()).strip("-") or "rep"


def match_key(text: str | None) -> str:
    """Case- and white-space-insensitive form used to match names, emails and aliases."""
    return normalize_name(text).casefold()


def fold_key(text: str | None) -> str:
    """A name without accents, case or punctuation: 'Ana López-Ruiz' and 'ana lopez ruiz' fold alike."""
    # Case folded before the accents go: a Greek letter with iota subscript (ᾳ) folds to α + ι, as its capitals
    # (ΑΙ) do, so a name exported in capitals still folds alike. Again after: NFKD can bring back capitals (ℌ).
    decomposed = unicodedata.normalize("NFKD", normalize_name(text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in bare).split())


def _display(text: str) -> str:
    return normalize_name(text)


_COLUMNS = "rep_id, slug, display_name, email, aliases, team, active, is_demo"


def _rep(row: tuple[object, ...]) -> Rep:
    rep_id, slug, name, email, aliases, team, active, is_demo = row
    return Rep(
        rep_id=int(rep_id),  # type: ignore[call-overload]
        slug=str(slug),
        display_name=str(name),
        email=None if email is None else str(email),
        aliases=tuple(str(a) for a in (aliases or ())),  # type: ignore[attr-defined]
        team=str(team),
        active=bool(active),
        is_demo=bool(is_demo),
    )


def resolve_or_create(cur: duckdb.DuckDBPyConnection, refs: Sequence[RepRef]) -> Resolution:
    """Map each reference to a rep id inside the caller's transaction, creating unknown reps.

    A created rep whose name folds (`fold_key`) to a known rep's name or alias
    is still created, never silently attached to someone who may be another
    person, but it comes back as a merge proposal.
    """
    reps = [_rep(row) for row in cur.execute(f"SELECT {_COLUMNS} FROM reps ORDER BY rep_id").fetchall()]
    by_email = {match_key(r.email): r.rep_id for r in reps if r.email}
    by_name: dict[str, int] = {}
    folded: dict[str, tuple[int, str]] = {}
    for r in reps:
        for key in (r.display_name, *r.aliases, r.email or ""):
            if key:
                by_name.setdefault(match_key(key), r.rep_id)
        for key in (r.display_name, *r.aliases):
            if fold_key(key):
                folded.setdefault(fold_key(key), (r.rep_id, r.display_name))
    slugs = {r.slug for r in reps}
    ids: dict[RepRef, int] = {}
    created: list[str] = []
    proposals: list[MergeProposal] = []
    # New reps get placeholder ids (-1, -2, ...) here and real ones below, all in one draw and one insert:
    # on a DuckLake every statement inside the transaction costs a catalog round trip, per rep.
    pending: list[tuple[str, str, str | None, str | None]] = []
    for ref in refs:
        email, name = match_key(ref.email), match_key(ref.name)
        found = by_email.get(email) if email else None
        if found is None and name:
            found = by_name.get(name) or by_email.get(name)
        if found is None and email:
            found = by_name.get(email)
        if found is None:
            display = _display(ref.name or "") or _display(ref.email or "").split("@")[0]
            slug = _unique_slug(slugify(display), slugs)
            pending.append((slug, display, normalize_name(ref.email) or None, ref.team))
            found = -len(pending)
            slugs.add(slug)
            created.append(display)
            if email:
                by_email[email] = found
            by_name[match_key(display)] = found
            fold = fold_key(display)
            similar = folded.get(fold) if fold else None
            if similar is not None:
                proposals.append(MergeProposal(display, found, similar[1], similar[0]))
            elif fold:
                folded[fold] = (found, display)
        ids[ref] = found
    if not pending:
        return Resolution(ids=ids, new_reps=created, merge_proposals=proposals)
    real = next_ids(cur, "rep_id_seq", len(pending))

    def actual(rep_id: int) -> int:
        return real[-rep_id - 1] if rep_id < 0 else rep_id

    cur.execute(
        "INSERT INTO reps (rep_id, slug, display_name, email, team, aliases) VALUES "
        + ", ".join("(?, ?, ?, ?, coalesce(?, 'Sales'), [])" for _ in pending),
        [value for rep_id, row in zip(real, pending, strict=True) for value in (rep_id, *row)],
    )
    return Resolution(
        ids={ref: actual(rep_id) for ref, rep_id in ids.items()},
        new_reps=created,
        merge_proposals=[
            MergeProposal(p.new_name, actual(p.new_rep_id), p.existing_name, actual(p.existing_rep_id)) for p in proposals
        ],
    )


def _unique_slug(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def list_reps(store: Store, include_inactive: bool = False) -> pl.DataFrame:
    where = "" if include_inactive else "WHERE active"
    return store.frame(f"SELECT {_COLUMNS} FROM reps {where} ORDER BY display_name, rep_id")


def rep_by_slug(store: Store, slug: str) -> Rep | None:
    row = store.fetchone(f"SELECT {_COLUMNS} FROM reps WHERE slug = ?", [slug])
    return None if row is None else _rep(row)


def teams(store: Store) -> list[str]:
    return [str(r[0]) for r in store.fetchall("SELECT DISTINCT team FROM reps WHERE active ORDER BY team")]
