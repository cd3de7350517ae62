"""The live-pages benchmark's pure parts: figures, the table, the fan-out export, and the tab's bookkeeping.

The benchmark itself (`python -m bench live`) starts servers and runs for
minutes, so it is never part of the test run; these catch a breakage of what
it computes and of what it feeds the app.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as dt_time
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.live import (
    SizeResult,
    drop_into_inbox,
    fanout_csv,
    fanout_file_name,
    fmt_spread,
    meeting_time,
    percentile,
    ramp_seconds,
    render_table,
    spread,
)
from bench.live_client import MessageCache, PageClient, Widgets, element_text
from bench.live_server import ProcSample, Rep, cpu_percent
from scorecard.ingest import IngestOptions, ingest_path
from scorecard.store import Store
from tests.factories import add_rep

# -- figures -----------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == pytest.approx(4.8)
    assert percentile(values, 1.0) == 5.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_spread_and_its_cell() -> None:
    s = spread([0.5, 1.0, 2.0])
    assert s is not None and (s.p50, s.max, s.count) == (1.0, 2.0, 3)
    assert fmt_spread(s) == "1.00 / 1.90 / 2.00 s"
    assert spread([]) is None and fmt_spread(None) == "–"


def test_ramps_follow_the_issue() -> None:
    assert [ramp_seconds(n) for n in (25, 100, 200, 500)] == [5.0, 10.0, 20.0, 40.0]
    assert ramp_seconds(10) == 5.0


def test_cpu_percent_is_of_one_core() -> None:
    assert cpu_percent(ProcSample(10.0, 1.0, 0), ProcSample(20.0, 3.5, 0)) == pytest.approx(25.0)


def test_table_has_the_issue_columns_and_one_row_per_size() -> None:
    ok = SizeResult(25, 200, 26, 5.0, render_s=[0.2, 0.4, 0.6], rss_before=100 * 2**20, rss_open=150 * 2**20,
                    idle_cpu_pct=0.25, fanout_shown_s=[2.0, 3.0], fanout_done_s=[2.1, 3.2])  # fmt: skip
    bad = SizeResult(100, 200, 26, 10.0)
    bad.add_error("disconnects", 2, ["rep=a: closed", "rep=b: closed"])
    bad.add_error("never rendered", 1)
    lines = render_table([ok, bad]).splitlines()
    assert (
        lines[0] == "| N | first render p50/p95/max | idle server CPU % | RSS per page | fan-out p50/p95/max | errors |"
    )
    assert lines[2] == (
        "| 25 | 0.40 / 0.58 / 0.60 s | 0.2 | 2.00 MB | 2.50 / 2.95 / 3.00 s (finished 2.65 / 3.15 / 3.20 s) | 0 |"
    )
    assert lines[3] == "| 100 | – | 0.0 | 0.00 MB | – | 3 (disconnects 2, never rendered 1) |"
    assert bad.details["disconnects"] == ["rep=a: closed", "rep=b: closed"]


# -- the fan-out export --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 1, 11, 30, 45), datetime(2026, 12, 1, 11, 28)),  # open: two minutes back
        (datetime(2026, 12, 1, 17, 45), datetime(2026, 12, 1, 16, 59)),  # closed: the last business minute
        (datetime(2026, 12, 1, 7, 10), datetime(2026, 12, 1, 7, 8)),  # before opening: still today, before now
        (datetime(2026, 12, 1, 0, 1), datetime(2026, 12, 1, 0, 0)),  # never yesterday
    ],
)
def test_meeting_time_is_today_before_now(now: datetime, expected: datetime) -> None:
    assert meeting_time(now, dt_time(9), dt_time(17)) == expected


def test_fanout_export_is_ingested_as_one_meeting_per_rep(tmp_path: Path) -> None:
    store = Store(tmp_path / "fanout.duckdb")
    reps = [Rep(f"rep-{i}", f"Rep {i}", f"rep{i}@example.com") for i in range(3)]
    for rep in reps:
        add_rep(store, rep.name, email=rep.email, slug=rep.slug)
    when = datetime(2026, 12, 1, 16, 59)  # 12/01: day and month both fit, so the name must say the order
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = drop_into_inbox(inbox, fanout_file_name(3), fanout_csv(reps, when, "t"))
    assert [p.name for p in inbox.iterdir()] == [path.name]  # the dotfile is gone

    result = ingest_path(store, path, IngestOptions(source="inbox"))

    assert (result.rows_added, result.rows_rejected, result.new_reps) == (3, 0, [])
    rows = store.fetchall(
        "SELECT r.slug, d.day, d.n FROM daily_rollups d JOIN reps r USING (rep_id) WHERE d.metric = 'meetings' ORDER BY r.slug"
    )
    assert rows == [(rep.slug, date(2026, 12, 1), 1) for rep in reps]
    assert store.fetchall("SELECT DISTINCT occurred_at FROM events") == [(when,)]
    again = ingest_path(store, path, IngestOptions(source="inbox"))
    assert again.rows_added == 0  # record ids make a re-drop a duplicate, not new meetings
    store.close()


# -- the tab's bookkeeping -----------------------------------------------------------------------------


def _new_session(run_id: str, fragment_ids: tuple[str, ...] = ()) -> ForwardMsg:
    msg = ForwardMsg()
    msg.new_session.page_script_hash = "page-hash"
    msg.new_session.config.max_cached_message_age = 2
    msg.metadata.run.script_run_id = run_id
    msg.metadata.run.fragment_ids.extend(fragment_ids)
    return msg


def _element(path: tuple[int, ...], kind: str, **fields: object) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path.extend(path)
    element = getattr(msg.delta.new_element, kind)
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(element, name).extend(value)
        else:
            setattr(element, name, value)
    return msg


def _finished(status: int = ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    msg = ForwardMsg()
    msg.script_finished = status  # type: ignore[assignment]
    return msg


def _feed(page: PageClient, *msgs: ForwardMsg) -> None:
    for msg in msgs:
        page.handle(msg.SerializeToString())


def _tab() -> PageClient:
    ticks = iter(range(1, 1000))
    return PageClient(
        "127.0.0.1", 1, "rep=ana", expect_text="Ana López", track_metric="Meetings", clock=lambda: float(next(ticks))
    )


def test_a_page_renders_when_its_first_run_finished_with_the_name_on_it() -> None:
    page = _tab()
    _feed(
        page,
        _new_session("run-1"),
        _element((0, 0), "heading", tag="h1", body="Ana L\\ópez"),
        _element((0, 1), "metric", label="Meetings", body="3"),
        _element((0, 2), "selectbox", id="week", options=["live", "2026-11-29"], default=0),
        _element((0, 3), "button_group", id="trend", options=[], default=[]),
    )
    assert page.events.rendered_at is None  # the run has not finished yet
    _feed(page, _finished())
    assert page.events.rendered_at == page.events.first_finished_at == 6.0
    assert page.events.metric_values == [(3.0, "3")]
    assert page.widgets.states["week"].string_value == "live"
    assert page.widgets.states["trend"].WhichOneof("value") == "string_array_value"
    assert page.page_script_hash == "page-hash"


def test_a_finished_run_clears_what_it_did_not_draw_again() -> None:
    page = _tab()
    _feed(
        page,
        _new_session("run-1"),
        _element((0, 0), "heading", tag="h1", body="Ana López"),
        _element((0, 1), "selectbox", id="week", options=["live"], default=0),
        _finished(),
        _new_session("run-2"),
        _element((0, 0), "heading", tag="h1", body="Ana López"),
        _element((0, 1), "exception", type="ValueError", message="boom"),
        _finished(),
    )
    assert page.element_counts() == {"heading": 1, "exception": 1}
    assert page.widgets.states == {}
    assert page.events.exceptions == ["ValueError: boom"]


def test_runs_that_did_not_succeed_are_kept_apart() -> None:
    page = _tab()
    _feed(
        page,
        _new_session("run-1"),
        _finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN),
        _finished(ForwardMsg.FINISHED_WITH_COMPILE_ERROR),
    )
    assert page.events.bad_finishes() == [ForwardMsg.FINISHED_EARLY_FOR_RERUN, ForwardMsg.FINISHED_WITH_COMPILE_ERROR]
    assert page.events.rendered_at is None


def test_widgets_keep_their_mount_value_and_forget_unmounted_ones() -> None:
    widgets = Widgets()
    mounted = _element((0,), "text_input", id="name", default="x").delta.new_element
    widgets.mount(mounted, "")
    widgets.states["name"].string_value = "typed"  # a later value is kept on the next mount
    widgets.start_run()
    widgets.mount(mounted, "")
    assert widgets.states["name"].string_value == "typed"
    no_default = _element((1,), "selectbox", id="pick", options=["a"]).delta.new_element
    widgets.mount(no_default, "")
    assert widgets.states["pick"].WhichOneof("value") is None  # registered with no value: None on the server
    widgets.start_run()
    widgets.prune(["some-fragment"])  # a fragment run keeps widgets outside the fragment
    assert set(widgets.states) == {"name", "pick"}
    widgets.prune([])
    assert widgets.states == {}


def test_the_message_cache_answers_references_and_ages_entries_out() -> None:
    cache = MessageCache()
    big = _element((0, 4), "markdown", body="long text")
    big.hash = "h1"
    big.metadata.cacheable = True
    assert cache.resolve(big, big.SerializeToString()) is big
    ref = ForwardMsg()
    ref.ref_hash = "h1"
    ref.metadata.delta_path.extend([1, 2])
    hit = cache.resolve(ref, ref.SerializeToString())
    assert hit is not None and element_text(hit.delta.new_element) == "long text"
    assert list(hit.metadata.delta_path) == [1, 2]  # placed where the reference says
    for _ in range(3):
        cache.finished_run(max_age=2, fragment_ids=[])
    assert cache.hashes() == []
    assert cache.resolve(ref, b"") is None and cache.misses == 1
