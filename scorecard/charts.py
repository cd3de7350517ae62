"""Altair chart builders under one theme. Charts only: callers pass the data in.

Status colours come from the Okabe-Ito palette, which stays distinguishable
for the common kinds of colour blindness; every chart also prints the number
or the status word, so colour is never the only signal.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import polars as pl
import pyarrow as pa

THEME_NAME = "scorecard"

STATUS_COLORS: dict[str, str] = {
    "on_pace": "#009E73",  # bluish green
    "at_risk": "#E69F00",  # orange-amber
    "behind": "#D55E00",  # vermillion
    "undefined": "#9E9E9E",  # grey: no goal, or pace not defined yet
}
STATUS_LABELS: dict[str, str] = {
    "on_pace": "On pace",
    "at_risk": "At risk",
    "behind": "Behind",
    "undefined": "No pace yet",
}
ACCENT = "#0072B2"  # Okabe-Ito blue: actuals
GOAL_COLOR = "#444444"
FONT = "Inter, 'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"


def status_key(status: str | None) -> str:
    """The colour key for a status; None (no goal / pace undefined) is 'undefined'."""
    return status if status in STATUS_COLORS else "undefined"


def status_color(status: str | None) -> str:
    return STATUS_COLORS[status_key(status)]


def status_label(status: str | None) -> str:
    return STATUS_LABELS[status_key(status)]


def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": "transparent",
            "view": {"stroke": None},
            "axis": {
                "labelFontSize": 13,
                "titleFontSize": 13,
                "titleFontWeight": "normal",
                "labelColor": "#333333",
                "titleColor": "#333333",
                "gridColor": "#E6E6E6",
                "domainColor": "#BBBBBB",
                "tickColor": "#BBBBBB",
            },
            "legend": {"labelFontSize": 13, "titleFontSize": 13, "orient": "bottom"},
            "title": {"fontSize": 16, "anchor": "start", "fontWeight": 600, "color": "#222222"},
            "header": {"labelFontSize": 13, "titleFontSize": 13},
            "text": {"fontSize": 13},
            "range": {"category": [ACCENT, "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]},
        }
    }


_registered = False


def register_theme() -> None:
    """Register and enable the theme; cheap to call on every rerun.

    Asking Altair for its theme names scans installed packages' metadata, so
    that happens once per process.
    """
    global _registered
    if not _registered:
        if THEME_NAME not in alt.theme.names():
            alt.theme.register(THEME_NAME, enable=True)(_theme)
        _registered = True
    if alt.theme.active != THEME_NAME:
        alt.theme.enable(THEME_NAME)


VegaSpec = dict[str, Any]


def vega_spec(chart: alt.TopLevelMixin) -> VegaSpec:
    """The chart as a finished Vega-Lite spec, to build once and draw many times.

    Pages cache this with the rest of what they show, so a rerun draws a chart
    without Altair. Schema validation is skipped here because every builder
    is validated in the tests; each dataset becomes Arrow IPC bytes, the form
    Streamlit sends to the browser as it is.
    """
    register_theme()
    spec: VegaSpec = chart.to_dict(validate=False)
    datasets = spec.get("datasets") or {}
    spec["datasets"] = {name: _arrow_bytes(rows) for name, rows in datasets.items()}
    return spec


def sparkline_spec(values: Sequence[float | None], *, status: str | None = None, height: int = 44) -> VegaSpec:
    """`sparkline` as a finished spec: Altair builds the chart once per shape, the values fill it."""
    frame = pl.DataFrame(
        {"i": list(range(len(values))), "value": [None if v is None else float(v) for v in values]},
        schema={"i": pl.Int64, "value": pl.Float64},
    )
    return _with_data(_sparkline_template(len(values), status, height), frame)


def trend_spec(frame: pl.DataFrame, *, metric_label: str = "", unit: str = "", height: int = 240) -> VegaSpec:
    """`trend_chart` as a finished spec, the same way."""
    data = frame.select("week_start", "actual", "goal")
    return _with_data(_trend_template(metric_label, unit, height, _schema_key(data)), data)


@functools.lru_cache(maxsize=256)
def _sparkline_template(n: int, status: str | None, height: int) -> VegaSpec:
    return _template(sparkline([0.0] * n, status=status, height=height))


@functools.lru_cache(maxsize=256)
def _trend_template(metric_label: str, unit: str, height: int, schema: tuple[tuple[str, str], ...]) -> VegaSpec:
    empty = pl.DataFrame(schema={name: _DTYPES[dtype] for name, dtype in schema})
    return _template(trend_chart(empty, metric_label=metric_label, unit=unit, height=height))


_DTYPES: dict[str, pl.DataType] = {str(t): t for t in (pl.Date(), pl.Datetime(), pl.Float64(), pl.Int64(), pl.Int32())}


def _schema_key(frame: pl.DataFrame) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(dtype)) for name, dtype in frame.schema.items())


def _template(chart: alt.TopLevelMixin) -> VegaSpec:
    """A chart's spec without its data, for charts whose layers all share one top-level dataset."""
    spec: VegaSpec = chart.to_dict(validate=False)
    datasets = spec.pop("datasets", {})
    if len(datasets) != 1 or spec.get("data") != {"name": next(iter(datasets))}:
        raise ValueError("a chart template needs exactly one top-level dataset")
    del spec["data"]
    if next(iter(datasets)) in json.dumps(spec):
        raise ValueError("a chart template's layers must not name their own data")
    return spec


def _with_data(template: VegaSpec, frame: pl.DataFrame) -> VegaSpec:
    data = _arrow_bytes(_rows(frame))
    # Named by content, as Altair names its datasets, so a new frame never reuses an old name.
    name = "data-" + hashlib.md5(data, usedforsecurity=False).hexdigest()
    return {**template, "data": {"name": name}, "datasets": {name: data}}


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as Altair writes them: dates and times as ISO strings."""
    temporal = [name for name, dtype in frame.schema.items() if dtype.is_temporal()]
    if temporal:
        frame = frame.with_columns(
            pl.col(name).cast(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S") for name in temporal
        )
    return frame.to_dicts()


def _arrow_bytes(rows: list[dict[str, Any]]) -> bytes:
    table = pa.Table.from_pylist(rows)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _status_scale() -> alt.Scale:
    return alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))


def sparkline(values: Sequence[float | None], *, status: str | None = None, height: int = 44) -> alt.LayerChart:
    """A tiny line of recent values (oldest first), last point marked, no axes."""
    frame = pl.DataFrame(
        {"i": list(range(len(values))), "value": [None if v is None else float(v) for v in values]},
        schema={"i": pl.Int64, "value": pl.Float64},
    )
    color = status_color(status) if status else ACCENT
    base = alt.Chart(frame).encode(
        x=alt.X("i:Q", axis=None, scale=alt.Scale(nice=False, padding=4)),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=True, padding=4)),
    )
    line = base.mark_line(strokeWidth=2, color=color, interpolate="monotone")
    last = base.transform_filter(alt.datum.i == len(values) - 1).mark_point(filled=True, size=40, color=color)
    return alt.LayerChart(layer=[line, last]).properties(height=height, width="container")


def trend_chart(frame: pl.DataFrame, *, metric_label: str = "", unit: str = "", height: int = 240) -> alt.LayerChart:
    """Weekly actual (bars) against goal (dashed line) for one metric.

    `frame` has week_start, actual, goal (goal may be null where none applied).
    """
    data = frame.select("week_start", "actual", "goal")
    title_y = unit or metric_label or "Actual"
    # Ordinal weeks: one band per week, so bars are wide and labels line up with them.
    x = alt.X("yearmonthdate(week_start):O", title=None, axis=alt.Axis(format="%b %d", formatType="time", labelAngle=0))
    bars = (
        alt.Chart(data)
        .mark_bar(color=ACCENT, opacity=0.85, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=x,
            y=alt.Y("actual:Q", title=title_y),
            tooltip=[
                alt.Tooltip("week_start:T", title="Week of", format="%b %d, %Y"),
                alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
                alt.Tooltip("goal:Q", title="Goal", format=",.1f"),
            ],
        )
    )
    goal = (
        alt.Chart(data)
        .mark_line(color=GOAL_COLOR, strokeDash=[6, 4], strokeWidth=2, point=alt.OverlayMarkDef(color=GOAL_COLOR, size=20))
        .encode(x=x, y="goal:Q")
    )
    title = f"{metric_label}: weekly actual vs goal (dashed)" if metric_label else "Weekly actual vs goal (dashed)"
    return alt.LayerChart(layer=[bars, goal]).properties(height=height, width="container", title=title)


def heatmap(frame: pl.DataFrame, *, metric_order: Sequence[str] | None = None, height_per_rep: int = 34) -> alt.LayerChart:
    """Reps × metrics, each cell coloured by status and labelled with % of pace.

    `frame` has name, label, pace (ratio or null), status, actual, expected.
    """
    data = frame.with_columns(
        pl.col("status").map_elements(status_key, return_dtype=pl.String).fill_null("undefined").alias("status_key"),
        pl.when(pl.col("pace").is_null())
        .then(pl.lit("–"))
        .otherwise((pl.col("pace") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")
        .alias("pace_text"),
    )
    order = list(metric_order) if metric_order else list(dict.fromkeys(data["label"].to_list()))
    reps = list(dict.fromkeys(data["name"].to_list()))
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=order, title=None, axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=13, labelLimit=160)),
        y=alt.Y("name:N", sort=reps, title=None, axis=alt.Axis(labelFontSize=13, labelLimit=200)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "status_key:N",
            scale=_status_scale(),
            legend=alt.Legend(title=None, labelExpr=_legend_label_expr()),
        ),
        tooltip=[
            alt.Tooltip("name:N", title="Rep"),
            alt.Tooltip("label:N", title="Metric"),
            alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
            alt.Tooltip("expected:Q", title="Expected by now", format=",.1f"),
            alt.Tooltip("pace_text:N", title="% of pace"),
        ],
    )
    text = base.mark_text(fontSize=13, fontWeight=600).encode(
        text="pace_text:N",
        color=alt.condition(alt.datum.status_key == "undefined", alt.value("#222222"), alt.value("white")),
    )
    return alt.LayerChart(layer=[cells, text]).properties(height=max(120, height_per_rep * len(reps)), width="container")


def _legend_label_expr() -> str:
    parts = [f"datum.label == '{key}' ? '{label}'" for key, label in STATUS_LABELS.items()]
    return " : ".join(parts) + " : datum.label"


def team_trend(
    frame: pl.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    height: int = 260,
    on_pace_at: float = 1.0,
    font_size: int = 13,
    title: str | None = "Team pace, last weeks",
) -> alt.LayerChart:
    """Team pace per metric over recent weeks, with the on-pace line at 100%.

    `frame` has week_start, metric, team_pace (ratio; null where undefined).
    `font_size` scales the text up for a screen read from across a room.
    """
    names = dict(labels or {})
    data = frame.with_columns(
        pl.col("metric").replace_strict(names, default=pl.col("metric"), return_dtype=pl.String).alias("metric_label")
    )
    order = list(dict.fromkeys(data["metric_label"].to_list()))
    lines = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=font_size * 4), strokeWidth=max(2, font_size // 6))
        .encode(
            x=alt.X("week_start:T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0, tickCount="week")),
            y=alt.Y("team_pace:Q", title="Team % of pace", axis=alt.Axis(format="%")),
            color=alt.Color("metric_label:N", sort=order, title=None),
            tooltip=[
                alt.Tooltip("week_start:T", title="Week of", format="%b %d, %Y"),
                alt.Tooltip("metric_label:N", title="Metric"),
                alt.Tooltip("team_pace:Q", title="Team pace", format=".0%"),
            ],
        )
    )
    rule_frame = pl.DataFrame({"y": [on_pace_at]})
    rule = alt.Chart(rule_frame).mark_rule(color=GOAL_COLOR, strokeDash=[6, 4]).encode(y="y:Q")
    chart = alt.LayerChart(layer=[lines, rule]).properties(height=height, width="container")
    if title:
        chart = chart.properties(title=alt.TitleParams(title, fontSize=font_size + 3))
    if font_size != 13:
        chart = chart.configure_axis(labelFontSize=font_size, titleFontSize=font_size).configure_legend(
            labelFontSize=font_size, symbolSize=font_size * 12, orient="right"
        )
    return chart


def pace_bar(rows: Sequence[Mapping[str, Any]], *, height_per_row: int = 36) -> alt.LayerChart:
    """Horizontal bars of % of personal goal (leaderboard), coloured by status."""
    data = pl.DataFrame(list(rows)) if rows else pl.DataFrame({"name": [], "pct": [], "status": []})
    data = data.with_columns(pl.col("status").map_elements(status_key, return_dtype=pl.String).fill_null("undefined"))
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelFontSize=13, labelLimit=200)),
        x=alt.X("pct:Q", title="% of personal goal", axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(color=alt.Color("status:N", scale=_status_scale(), legend=None))
    text = base.mark_text(align="left", dx=4, fontSize=13).encode(text=alt.Text("pct:Q", format=".0%"))
    return alt.LayerChart(layer=[bars, text]).properties(height=max(80, height_per_row * len(data)), width="container")
