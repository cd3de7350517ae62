"""Chart builders: one theme, status colours, and specs that carry the data they were given."""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from scorecard import charts


def _data_values(spec: dict[str, object]) -> list[dict[str, object]]:
    datasets = spec.get("datasets", {})
    assert isinstance(datasets, dict)
    return [row for rows in datasets.values() for row in rows]


def test_theme_registered_once_and_enabled() -> None:
    charts.register_theme()
    charts.register_theme()
    assert alt.theme.active == charts.THEME_NAME
    assert list(alt.theme.names()).count(charts.THEME_NAME) == 1
    config = alt.theme.get()()["config"]  # type: ignore[misc]
    assert config["axis"]["labelFontSize"] >= 12


def test_status_colours_are_distinct_and_cover_undefined() -> None:
    assert len(set(charts.STATUS_COLORS.values())) == 4
    assert charts.status_color(None) == charts.STATUS_COLORS["undefined"]
    assert charts.status_label("behind") == "Behind"
    assert charts.status_key("nonsense") == "undefined"


def test_sparkline_marks_the_last_point() -> None:
    spec = charts.sparkline([1, 3, None, 5], status="on_pace").to_dict()
    assert [row["value"] for row in _data_values(spec)] == [1.0, 3.0, None, 5.0]
    assert charts.STATUS_COLORS["on_pace"] in str(spec)


def test_trend_chart_has_actual_bars_and_goal_line() -> None:
    frame = pl.DataFrame(
        {
            "week_start": [date(2026, 11, 2), date(2026, 11, 9)],
            "metric": ["meetings", "meetings"],
            "actual": [3.0, 5.0],
            "goal": [4.0, 4.0],
            "pct_of_goal": [0.75, 1.25],
        }
    )
    spec = charts.trend_chart(frame, metric_label="Meetings", unit="meetings").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "line"]
    assert "Meetings" in spec["title"]


def test_heatmap_labels_cells_with_percent_of_pace() -> None:
    frame = pl.DataFrame(
        {
            "slug": ["ana", "ana"],
            "name": ["Ana", "Ana"],
            "metric": ["meetings", "conversations"],
            "label": ["Meetings", "Conversations"],
            "pace": [0.634, None],
            "status": ["behind", None],
            "actual": [2.0, 0.0],
            "expected": [3.2, 0.0],
        }
    )
    spec = charts.heatmap(frame, metric_order=["Conversations", "Meetings"]).to_dict()
    rows = _data_values(spec)
    assert {r["pace_text"] for r in rows} == {"63%", "–"}
    assert {r["status_key"] for r in rows} == {"behind", "undefined"}
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["Conversations", "Meetings"]


def test_team_trend_uses_labels() -> None:
    frame = pl.DataFrame({"week_start": [date(2026, 11, 2)], "metric": ["meetings"], "team_pace": [0.9]})
    spec = charts.team_trend(frame, labels={"meetings": "Meetings"}).to_dict()
    assert "Meetings" in [r.get("metric_label") for r in _data_values(spec)]
