"""What a live page shows, built once per (what it shows, minute, data version).

A page's view holds every number and every finished chart spec it draws, so
a rerun of an open page only lays out elements. The same view serves every
session showing it, and the live-pages pusher builds it once after a commit,
before any page is told (see `scorecard.live`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from scorecard import charts, contests, scores
from scorecard.calendar import team_now
from scorecard.catalog import load_catalog
from scorecard.ingest import data_freshness
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store
from scorecard.viewcache import cached, is_cached, seed


@dataclass(frozen=True)
class RepPage:
    """Everything `/?rep=<slug>` draws."""

    scorecard: scores.RepScorecard
    sparklines: dict[str, charts.VegaSpec]  # metric -> spec; metrics with no history have none
    trend_metrics: list[str]  # the metrics offered in the week-by-week chart, the default first
    standings: list[contests.RepStanding]


def now_minute(settings: TeamSettings) -> datetime:
    """Team-local now, to the minute: pace moves slowly, and views then hold for a minute."""
    return team_now(settings).replace(second=0, microsecond=0)


def rep_page(store: Store, slug: str, as_of: datetime) -> RepPage:
    """The rep's page as of `as_of`, shared through the view cache."""
    return cached(store, _build_rep_page, slug, as_of)


def warm_rep_page(store: Store, slug: str) -> None:
    """Build the rep's live page for this minute, if the rep exists."""
    with contextlib.suppress(scores.UnknownRep):
        rep_page(store, slug, now_minute(cached(store, load_settings)))


def warm_rep_pages(store: Store, slugs: Sequence[str]) -> None:
    """Build many reps' live pages for this minute: every scorecard in one pass, then each page from its own.

    After a commit the server builds every open rep page before telling any;
    one pass over the team costs a fraction of one scorecard per page. The
    pass's scorecards are the ones `rep_scorecard` gives (`scores.rep_scorecards`).
    """
    version = store.data_version()  # before computing: see `viewcache.seed`
    as_of = now_minute(cached(store, load_settings))
    wanted = [slug for slug in dict.fromkeys(slugs) if not is_cached(store, version, _build_rep_page, slug, as_of)]
    for slug, card in scores.rep_scorecards(store, wanted, as_of).items():
        seed(store, version, scores.rep_scorecard, (slug, as_of), card)
    for slug in wanted:
        warm_rep_page(store, slug)


@dataclass(frozen=True)
class RepPagesWarmer:
    """`warm_rep_pages` for the live-pages pusher: equal for every rep page of one store, so they are built together."""

    store: Store

    def __call__(self, keys: Sequence[Hashable]) -> None:
        warm_rep_pages(self.store, [str(key[1]) for key in keys if isinstance(key, tuple) and len(key) == 2])


def rep_page_key(slug: str) -> tuple[str, str]:
    """What a rep's live page shows, for the pusher: pages with the same key share one view."""
    return ("rep", slug)


def freshness(store: Store, now_utc: datetime | None = None) -> str:
    """'Data through Fri 20 Nov 2026 16:40 · uploaded 2 h ago', per minute and data version."""
    minute = (now_utc or datetime.now(UTC)).replace(tzinfo=None, second=0, microsecond=0)
    return cached(store, _freshness_text, minute)


def _freshness_text(store: Store, now_utc: datetime) -> str:
    return str(data_freshness(store, now_utc).text)


def rep_trend(store: Store, slug: str, as_of: datetime, metric: str) -> charts.VegaSpec:
    """The rep's weekly actual against goal for one metric (built when first shown)."""
    return cached(store, _build_rep_trend, slug, as_of, metric)


def _build_rep_page(store: Store, slug: str, as_of: datetime) -> RepPage:
    sc = cached(store, scores.rep_scorecard, slug, as_of)
    sparklines = {m.metric: charts.sparkline_spec(m.trend, status=m.status) for m in sc.metrics if any(m.trend)}
    charted = set(sc.weekly_trend.get_column("metric").unique().to_list())
    with_data = [m for m in sc.metrics if m.metric in charted]
    # The metrics the rep has goals for; every charted one when there are no goals yet.
    trend_metrics = [m.metric for m in with_data if m.weekly_goal] or [m.metric for m in with_data]
    standings = _standings_for(store, sc.rep.rep_id, as_of)
    page = RepPage(sc, sparklines, trend_metrics, standings)
    if trend_metrics:
        rep_trend(store, slug, as_of, trend_metrics[0])
    return page


def _build_rep_trend(store: Store, slug: str, as_of: datetime, metric_key: str) -> charts.VegaSpec:
    sc = cached(store, scores.rep_scorecard, slug, as_of)
    metric = cached(store, load_catalog).metrics.get(metric_key)
    unit = metric.unit if metric and metric.measure == "count" else cached(store, load_settings).currency
    label = next((m.label for m in sc.metrics if m.metric == metric_key), metric_key)
    frame = sc.weekly_trend.filter(sc.weekly_trend["metric"] == metric_key)
    return charts.trend_spec(frame, metric_label=label, unit=unit)


def _standings_for(store: Store, rep_id: int, as_of: datetime) -> list[contests.RepStanding]:
    """A rep's contest standings; with no contest running (the usual case) no query per rep."""
    if not running_standings(store, as_of):
        return []
    return cached(store, contests.standings_for_rep, rep_id, as_of)


def team_view(store: Store, as_of: datetime, team: str | None) -> scores.TeamView:
    return cached(store, scores.team_view, as_of, team=team)


def heatmap_spec(store: Store, as_of: datetime, team: str | None) -> charts.VegaSpec:
    """Reps × metrics for the team page."""
    return cached(store, _heatmap_spec, as_of, team)


def team_trend_spec(store: Store, as_of: datetime, team: str | None, *, tv: bool = False) -> charts.VegaSpec:
    """Team pace week by week; `tv` sizes it for the stand-up screen."""
    return cached(store, _team_trend_spec, as_of, team, tv)


def running_standings(store: Store, as_of: datetime) -> list[tuple[contests.Contest, pl.DataFrame]]:
    """Every running contest with its standings as of `as_of`."""
    return cached(store, _running_standings, as_of)


def warm_team_page(store: Store, team: str | None, *, tv: bool = False) -> None:
    """Build this minute's team view and its charts (the team page, or the stand-up screen)."""
    as_of = now_minute(cached(store, load_settings))
    team_view(store, as_of, team)
    team_trend_spec(store, as_of, team, tv=tv)
    if not tv:
        heatmap_spec(store, as_of, team)
    running_standings(store, as_of)


def _heatmap_spec(store: Store, as_of: datetime, team: str | None) -> charts.VegaSpec:
    tv = team_view(store, as_of, team)
    order = [m.label for m in tv.metrics]
    return charts.vega_spec(charts.heatmap(tv.heatmap, metric_order=order or None))


def _team_trend_spec(store: Store, as_of: datetime, team: str | None, tv_style: bool) -> charts.VegaSpec:
    view = team_view(store, as_of, team)
    catalog = cached(store, load_catalog)
    settings = cached(store, load_settings)
    labels = {key: metric.label for key, metric in catalog.metrics.items()}
    if not tv_style:
        return charts.vega_spec(charts.team_trend(view.trend, labels=labels, on_pace_at=settings.on_pace_at))
    chart = charts.team_trend(
        view.trend, labels=labels, on_pace_at=settings.on_pace_at, height=300, font_size=22,
        title="Team pace in the weeks before (100% = on goal)",
    )  # fmt: skip
    return charts.vega_spec(chart)


def _running_standings(store: Store, as_of: datetime) -> list[tuple[contests.Contest, pl.DataFrame]]:
    return [(c, contests.contest_standings(store, c.contest_id, as_of)) for c in contests.running_contests(store, as_of)]
