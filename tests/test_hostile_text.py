"""Text is text: hostile names and labels on every page (AppTest) and in every export.

A page passes when, for every element that renders Markdown (captions,
headings, alerts, widget labels, tabs, expanders, metric labels, `st.table`
cells), no raw markup from the hostile fixture survives unescaped and no bidi
override gets through, while each hostile name is still shown with every
visible character, as it came.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from scorecard import admin_goals, scores
from scorecard.catalog import load_catalog, normalize_label
from scorecard.ingest import batch_rejects, csv_safe
from scorecard.spreadsheet import RISKY_START
from scorecard.store import open_store
from scorecard.text import BIDI_CONTROLS, plain, unescape_md
from tests.factories_hostile import (
    AS_OF,
    HOSTILE_FILE,
    HOSTILE_LABEL,
    HOSTILE_NAMES,
    HOSTILE_TEAM,
    MARKUP,
    REWRITTEN,
    WEEK_START,
    hostile_export,
    seed_hostile_file,
    visible,
)
from tests.ui_apptest import app

ROOT = Path(__file__).resolve().parent.parent
AS_OF_PARAM = AS_OF.isoformat(timespec="minutes")
NEWCOMER = "<script>alert(1)</script> **New** Rep"

# Fields Streamlit shows as plain text (never Markdown); everything else that is a string is checked as Markdown.
PLAIN_FIELDS = {
    ("Selectbox", "options"), ("Selectbox", "default"), ("Selectbox", "placeholder"), ("Selectbox", "raw_value"),
    ("MultiSelect", "options"), ("MultiSelect", "default"), ("MultiSelect", "raw_values"),
    ("TextInput", "default"), ("TextInput", "value"), ("TextInput", "placeholder"),
    ("TextArea", "default"), ("TextArea", "value"), ("TextArea", "placeholder"),
    ("Text", "body"), ("Code", "code_text"),
}  # fmt: skip
NOT_TEXT = {"id", "form_id", "url", "deferred_file_id", "format", "language", "icon", "type", "data_type"}
# Vega draws its text as SVG text (and escapes tooltips): data inside a chart is never markup.
PLAIN_ELEMENTS = {"VegaLiteChart", "ArrowVegaLiteChart"}


@dataclass
class Page:
    markdown: list[str] = field(default_factory=list)  # as sent: must carry no live markup
    shown: list[str] = field(default_factory=list)  # what a person reads

    def text(self) -> str:
        return plain("\n".join(self.shown))


def _arrow_cells(data: bytes) -> Iterator[str]:
    table = pa.ipc.open_stream(data).read_all()
    yield from (str(name) for name in table.column_names)
    for column in table.columns:
        yield from (str(v) for v in column.to_pylist() if v is not None)


def _collect(message: Message, page: Page) -> None:
    kind = type(message).__name__
    if kind in PLAIN_ELEMENTS:
        return
    for descriptor, value in message.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [value]
        for item in values:
            if descriptor.name == "arrow_data":
                cells = list(_arrow_cells(item.data if isinstance(item, Message) else item))
                if kind == "Table":  # st.table renders every cell and header as Markdown
                    page.markdown += cells
                    page.shown += [unescape_md(c) for c in cells]
                else:
                    page.shown += cells
            elif isinstance(item, Message):
                _collect(item, page)
            elif isinstance(item, str) and descriptor.name not in NOT_TEXT:
                if (kind, descriptor.name) in PLAIN_FIELDS:
                    page.shown.append(item)
                else:
                    page.markdown.append(item)
                    page.shown.append(unescape_md(item))


def _page(at: AppTest) -> Page:
    page = Page()

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            _collect(proto, page)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return page


def _live(markdown: str) -> str:
    """Markdown with its escaped characters taken out: what is left is what the renderer acts on."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", markdown)


def _assert_no_markup(body: str, where: str) -> None:
    live = _live(body)
    for fragment in MARKUP:
        assert fragment not in live, f"{where}: live markup {fragment!r} in {body!r}"
    # What text-level rewrites see: escapes undone, invisible word joiners still in place.
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", body)
    for pattern in REWRITTEN:
        assert pattern not in text, f"{where}: {pattern!r} would be rewritten (link, icon, arrow) in {body!r}"


def _assert_inert(at: AppTest, where: str) -> Page:
    assert not at.exception, f"{where}: {at.exception}"
    page = _page(at)
    for body in page.markdown:
        _assert_no_markup(body, where)
        assert not set(body) & set(BIDI_CONTROLS), f"{where}: a bidi override reaches the page in {body!r}"
        assert "<script" not in body.lower() or "document.cookie" in body, f"{where}: {body!r}"
    return page


def _manager(page_file: str, tmp_path: Path, **query: str) -> AppTest:
    at = app(page_file, tmp_path, as_of=AS_OF_PARAM, **query)
    at.session_state["manager_unlocked"] = True
    return at


@pytest.fixture
def hostile_db(tmp_path: Path) -> dict[str, int]:
    return seed_hostile_file(Path(os.environ["SCORECARD_DB"]))


def _names_shown(page: Page, names: tuple[str, ...] = HOSTILE_NAMES) -> None:
    shown = page.text()
    for name in names:
        assert visible(name) in shown, f"{name!r} is not shown as it came"


def _slug(ids: dict[str, int], name: str) -> str:
    store = open_store(os.environ["SCORECARD_DB"])
    return str(store.scalar("SELECT slug FROM reps WHERE rep_id = ?", [ids[name]]))


# Every page in pages/, and how each is run; a new page fails here until it is covered.
PAGE_RUNS: dict[str, list[dict[str, str]]] = {
    "pages/scorecard.py": [{}, {"rep": "*"}],
    "pages/team.py": [{}, {"team": HOSTILE_TEAM}],
    "pages/standup.py": [{"slide": s} for s in ("gaps", "shout-outs", "conversations", "contests")],
    "pages/flash.py": [{}],
    "pages/contests.py": [{}],
    "pages/upload.py": [{}],
    "pages/manage_roster.py": [{}],
    "pages/manage_goals.py": [{}],
    "pages/manage_pto.py": [{}],
    "pages/manage_mapping.py": [{}],
    "pages/manage_settings.py": [{}],
    "pages/one_on_one.py": [{"rep": "*"}],
    "pages/coaching.py": [{}],
}


def test_every_page_is_covered() -> None:
    assert set(PAGE_RUNS) == {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}


@pytest.mark.parametrize("page_file", list(PAGE_RUNS))
def test_hostile_text_is_inert_on_every_page(hostile_db: dict[str, int], tmp_path: Path, page_file: str) -> None:
    shown: list[Page] = []
    for query in PAGE_RUNS[page_file]:
        if query.get("rep") == "*":
            for name in HOSTILE_NAMES:
                at = _manager(page_file, tmp_path, rep=_slug(hostile_db, name)).run()
                page = _assert_inert(at, f"{page_file} rep={name!r}")
                assert visible(name) in page.text()
            continue
        at = _manager(page_file, tmp_path, **query).run()
        shown.append(_assert_inert(at, f"{page_file} {query}"))
    if page_file in ("pages/scorecard.py", "pages/team.py", "pages/flash.py", "pages/manage_roster.py", "pages/manage_goals.py"):
        _names_shown(shown[0])


def test_flash_printable_table_shows_names_literally(hostile_db: dict[str, int], tmp_path: Path) -> None:
    at = _manager("pages/flash.py", tmp_path).run()
    page = _assert_inert(at, "flash")
    (table,) = [e for e in at.get("table")]
    cells = list(_arrow_cells(table.proto.arrow_data.data))
    for name in HOSTILE_NAMES:
        assert visible(name) in [unescape_md(c) for c in cells]
    assert visible(HOSTILE_NAMES[0]) in page.text()


def test_labels_and_team_names_are_inert(hostile_db: dict[str, int], tmp_path: Path) -> None:
    mapping = _assert_inert(_manager("pages/manage_mapping.py", tmp_path).run(), "mapping")
    # Labels are matched case-insensitively, so the page lists them as the mapping knows them.
    assert visible(normalize_label(HOSTILE_LABEL)) in mapping.text()
    team = _assert_inert(_manager("pages/team.py", tmp_path).run(), "team")
    assert visible(HOSTILE_TEAM) in team.text()
    upload = _assert_inert(_manager("pages/upload.py", tmp_path).run(), "upload")
    assert visible(HOSTILE_FILE) in upload.text()


def test_uploading_a_hostile_export_is_inert_from_preview_to_summary(hostile_db: dict[str, int], tmp_path: Path) -> None:
    data = hostile_export() + f'"{NEWCOMER}",2026-11-17 10:00,Meeting,,new1\n'.encode()
    at = _manager("pages/upload.py", tmp_path).run()
    at.file_uploader(key="upload_files").upload(HOSTILE_FILE, data).run()
    _assert_inert(at, "upload preview")
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    page = _assert_inert(at, "upload summary")
    assert "Imported as batch" in page.text()
    assert visible(NEWCOMER) in page.text()


def test_sidebar_and_messages_after_actions_are_inert(hostile_db: dict[str, int], tmp_path: Path) -> None:
    """Flash messages that quote names (a saved rep, a PTO change) are escaped too."""
    rep = hostile_db[HOSTILE_NAMES[0]]
    at = _manager("pages/manage_roster.py", tmp_path).run()
    at.selectbox(key="edit_rep").set_value(rep).run()
    next(b for b in at.button if b.label == "Save rep").click().run()
    page = _assert_inert(at, "roster after save")
    assert f"Saved. {visible(HOSTILE_NAMES[0])}'s scorecard" in page.text()
    pto = _manager("pages/manage_pto.py", tmp_path).run()
    pto.selectbox(key="pto_rep").set_value(rep).run()
    pto.button(key="pto_add").click().run()
    assert visible(HOSTILE_NAMES[0]) in _assert_inert(pto, "pto after add").text()


# -- exports -------------------------------------------------------------------------


def _risky(cell: str) -> bool:
    return cell.startswith(RISKY_START)


def test_flash_csv_and_markdown_exports(hostile_db: dict[str, int]) -> None:
    store = open_store(os.environ["SCORECARD_DB"])
    report = scores.flash_report(store, WEEK_START, as_of=AS_OF)
    rows = list(csv.reader(io.StringIO(report.to_csv().decode("utf-8"))))
    assert not any(_risky(cell) for row in rows for cell in row)
    names = [row[0] for row in rows[1:]]
    assert "'" + HOSTILE_NAMES[2] in names  # the formula is kept as text, behind an apostrophe
    assert HOSTILE_NAMES[4] in names  # raw values are kept in data exports

    team_report = scores.flash_report(store, WEEK_START, team=HOSTILE_TEAM, as_of=AS_OF)
    for md in (report.to_markdown(), team_report.to_markdown()):
        _assert_no_markup(md, "Markdown export")
        assert not set(md) & set(BIDI_CONTROLS)
        assert "<" not in md.replace("\\<", "")
        lines = [line for line in md.splitlines() if line.startswith("|")]
        columns = {line.count("|") - line.count("\\|") for line in lines}
        assert len(columns) == 1, "a name broke the table's columns"
    shown = unescape_md(team_report.to_markdown())
    assert visible(HOSTILE_TEAM) in shown
    for name in HOSTILE_NAMES[:3]:
        assert visible(name) in shown


def test_goal_and_rejected_row_csvs_are_guarded(hostile_db: dict[str, int]) -> None:
    store = open_store(os.environ["SCORECARD_DB"])
    goals = list(csv.reader(io.StringIO(admin_goals.goals_csv(store, load_catalog(store), WEEK_START).decode("utf-8"))))
    assert not any(_risky(cell) for row in goals for cell in row)
    assert any("'" + HOSTILE_NAMES[2] in row for row in goals)
    batch = int(store.scalar("SELECT max(batch_id) FROM batches WHERE rows_rejected > 0"))
    rejects = list(csv.reader(io.StringIO(csv_safe(batch_rejects(store, batch)).decode("utf-8"))))
    assert len(rejects) > 1 and not any(_risky(cell) for row in rejects for cell in row)
