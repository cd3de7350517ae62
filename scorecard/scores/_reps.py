"""Rep lookup for the scores: who a key names, who is in scope, and `Rep` objects by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from scorecard.roster import Rep, match_key
from scorecard.scores._context import Context

__all__ = ["Rep", "Scope", "UnknownRep", "find_rep", "reps_by_id", "scope_ids", "scope_reps"]

_REP_COLUMNS = ("rep_id", "slug", "display_name", "email", "aliases", "team", "active", "is_demo")


class UnknownRep(LookupError):
    """No rep with that slug (or email, or name) exists."""


@dataclass(frozen=True)
class Scope:
    """Whose numbers: the active reps of `team` (of every team for None), or exactly `rep_ids`."""

    team: str | None = None
    rep_ids: tuple[int, ...] | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """A condition on `rep_id` selecting this scope, and its parameters."""
        if self.rep_ids is not None and len(self.rep_ids) == 1:
            return "rep_id = ?", [self.rep_ids[0]]  # one rep: an equality the scan can prune on
        if self.rep_ids is not None:
            return "rep_id IN (SELECT unnest(?::INTEGER[]))", [list(self.rep_ids)]
        return (
            "rep_id IN (SELECT rep_id FROM reps WHERE active AND (CAST(? AS VARCHAR) IS NULL OR team = ?))",
            [self.team, self.team],
        )


def _rep(values: tuple[Any, ...]) -> Rep:
    rep_id, slug, name, email, aliases, team, active, is_demo = values
    return Rep(
        rep_id=int(rep_id),
        slug=str(slug),
        display_name=str(name),
        email=email,
        aliases=tuple(aliases or ()),
        team=str(team),
        active=bool(active),
        is_demo=bool(is_demo),
    )


def reps_by_id(ctx: Context) -> dict[int, Rep]:
    """Every rep as a `Rep`, built once per data version."""

    def build() -> dict[int, Rep]:
        # Column by column: a dict per row would cost more than the `Rep`s themselves.
        columns = [ctx.reps.get_column(name).to_list() for name in _REP_COLUMNS]
        return {int(values[0]): _rep(values) for values in zip(*columns, strict=True)}

    return ctx.memoised(("reps_by_id",), build, setup_only=True)


def find_rep(ctx: Context, key: str) -> Rep:
    """A rep by slug, else by email, display name or alias (case-insensitive)."""
    # The usual key is a slug: find its row without building a `Rep` per team member
    # (a thousand of them would be most of a cold scorecard's Python time).
    row = _slug_rows(ctx).get(key)
    if row is not None:
        found: Rep = ctx.memoised(
            ("rep_at", row), lambda: _rep(ctx.reps.select(_REP_COLUMNS).row(row)), setup_only=True
        )
        return found
    wanted = match_key(key)
    people = reps_by_id(ctx)
    for field_of in (
        lambda r: [r.slug],
        lambda r: [r.email or ""],
        lambda r: [r.display_name],
        lambda r: list(r.aliases),
    ):
        for rep in people.values():
            if any(match_key(v) == wanted for v in field_of(rep)):
                return rep
    known = ", ".join(ctx.reps.get_column("slug").head(10).to_list())
    hint = f" Known reps: {known}{' …' if ctx.reps.height > 10 else ''}." if known else " No reps are loaded yet."
    raise UnknownRep(f"No rep matches {key!r}.{hint}")


def _slug_rows(ctx: Context) -> dict[str, int]:
    """Slug -> row of `ctx.reps` (the first, as the reps' display order would find it)."""

    def build() -> dict[str, int]:
        rows: dict[str, int] = {}
        for i, slug in enumerate(ctx.reps.get_column("slug").to_list()):
            rows.setdefault(slug, i)
        return rows

    return ctx.memoised(("slug_rows",), build, setup_only=True)


def scope_reps(ctx: Context, scope: Scope) -> pl.DataFrame:
    """The rows of `ctx.reps` in `scope`, in display order."""

    def build() -> pl.DataFrame:
        if scope.rep_ids is not None:
            return ctx.reps.filter(pl.col("rep_id").is_in(list(scope.rep_ids)))
        cond = pl.col("active")
        if scope.team is not None:
            cond = cond & (pl.col("team") == scope.team)
        return ctx.reps.filter(cond)

    return ctx.memoised(("scope", scope), build, setup_only=True)


def scope_ids(ctx: Context, scope: Scope) -> pl.Series:
    """The rep ids in `scope` (Int32)."""
    return scope_reps(ctx, scope).get_column("rep_id").cast(pl.Int32)
