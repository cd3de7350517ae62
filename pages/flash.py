"""Weekly flash report: every rep's week against goal, lead measures first, to download or print."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import streamlit as st

from scorecard import roster, scores, ui
from scorecard.calendar import week_of
from scorecard.settings import load_settings

ALL_TEAMS = "__all__"
WEEKS_BACK = 13

# Constant style: when printed, only the report itself.
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"],
  .st-key-flash-controls, [data-testid="stDownloadButton"], [data-testid="stTabs"] [role="tablist"] { display: none !important; }
}
</style>"""

store = ui.get_store()
settings = ui.cached(store, load_settings)
as_of, replay = ui.query_as_of(settings)


def _weeks() -> list[date]:
    """Week starts, newest first: the week in progress, then the completed ones."""
    current = week_of(as_of.date(), settings.week_start).start
    return [current - timedelta(weeks=i) for i in range(WEEKS_BACK)]


def _label(start: date, current: date) -> str:
    text = f"Week of {start:%a %b} {start.day}, {start:%Y}"
    return text + " (so far)" if start == current else text


def _controls() -> tuple[date, str | None]:
    weeks = _weeks()
    team_options = [ALL_TEAMS, *ui.cached(store, roster.teams)]
    with st.container(key="flash-controls"):
        left, right = st.columns(2)
        # Default: the last completed week, the one a flash report is for.
        week = left.selectbox("Week", weeks, index=1, format_func=lambda d: _label(d, weeks[0]), key="flash_week")
        team = ALL_TEAMS
        if len(team_options) > 2:
            team = right.selectbox(
                "Team", team_options, format_func=lambda t: "All teams" if t == ALL_TEAMS else t, key="flash_team"
            )
    return week, None if team == ALL_TEAMS else team


def _moment(week: date) -> datetime | None:
    """A week still in progress (relative to as_of) is shown as of as_of; a past one whole."""
    return as_of if week_of(as_of.date(), settings.week_start).start == week else None


def _display(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, st.column_config.Column]]:
    percents = [c for c in frame.columns if c.endswith("% of goal")]
    shown = frame.drop("slug").rename({"rep": "Rep"}).with_columns(pl.col(c) * 100 for c in percents)
    config: dict[str, st.column_config.Column] = {"Rep": st.column_config.TextColumn(pinned=True)}
    for name in shown.columns:
        if name in percents:
            config[name] = st.column_config.NumberColumn(format="%.0f%%")
        elif name != "Rep":
            config[name] = st.column_config.NumberColumn(format="localized")
    return shown, config


def _printable(frame: pl.DataFrame) -> pl.DataFrame:
    """Every cell as text: percents as whole percents, blanks as '–'.

    `st.table` renders its cells and headers as Markdown, so each one is
    escaped: a rep named **x** shows the asterisks, not bold.
    """
    out = frame.drop("slug").rename({"rep": "Rep"})
    exprs = []
    for name in out.columns:
        col = pl.col(name)
        if name == "Rep":
            exprs.append(col)
        elif name.endswith("% of goal"):
            exprs.append(pl.when(col.is_null()).then(pl.lit("–")).otherwise((col * 100).round(0).cast(pl.Int64).cast(pl.String) + "%").alias(name))
        else:
            exprs.append(pl.when(col.is_null()).then(pl.lit("–")).otherwise(col.round(1).cast(pl.String).str.replace(r"\.0$", "")).alias(name))
    text = out.select(exprs)
    return pl.DataFrame({ui.escape_md(name): [ui.escape_md(v) for v in text.get_column(name).to_list()] for name in text.columns})


def main() -> None:
    ui.live(store)
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    st.title("Weekly flash report")
    week, team = _controls()
    report = ui.cached(store, scores.flash_report, week, team=team, as_of=_moment(week))
    st.caption(
        ui.escape_md(f"{report.period.label} · {team or 'all teams'} · lead measures first: they predict the results that follow")
    )
    stem = f"flash-{report.period.start.isoformat()}" + (f"-{roster.slugify(team)}" if team else "")
    a, b, _ = st.columns([1, 1, 3])
    a.download_button("Download CSV", report.to_csv(), file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:", key="flash_csv")
    b.download_button(
        "Download Markdown", report.to_markdown().encode("utf-8"), file_name=f"{stem}.md", mime="text/markdown", icon=":material/download:", key="flash_md"
    )
    table, printable = st.tabs(["Table", "Printable"])
    with table:
        shown, config = _display(report.frame)
        st.dataframe(shown, hide_index=True, column_config=config)
    with printable:
        st.caption("Use your browser's Print (Ctrl+P / ⌘P): the controls are left off the page.")
        st.table(_printable(report.frame))
    ui.freshness_line(store)


main()
