"""A team whose names and labels are hostile: Markdown, HTML, spreadsheet formulas, bidi overrides.

Everything enters the way an attacker's rows would: through an uploaded CRM
export (rep names, activity labels, the file name, a rejected row), plus team
names and aliases a manager might paste from one. `visible()` is what a
person must see for each value: every visible character as it came.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from scorecard import contests
from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, add_pto_rows, set_goals
from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.roster import normalize_name
from scorecard.store import Store
from scorecard.text import plain
from tests.factories_ingest import GENERIC_HEADER, csv_bytes

AS_OF = datetime(2026, 11, 18, 14, 0)
WEEK_START = date(2026, 11, 16)

HOSTILE_NAMES = (
    "**Bold** _Rep_ [click me](http://evil.example/x)",
    "<b>Html</b> <img src=x onerror=alert(1)> &amp;",
    '=HYPERLINK("http://evil.example/?q","Click")',
    "+Plus -Minus @At ana@evil.example -> www.evil.example",
    "\u202eEvil\u202c Bidi Reversed",
    ":red[Red] :material/warning: $x^2$ `code` ~~gone~~",
)
HOSTILE_TEAM = "# Team <i>X</i> **y** www.evil.example"
HOSTILE_LABEL = "**Demo** <u>call</u> =1+1"
HOSTILE_ALIAS = "[alias](javascript:alert(1))"
HOSTILE_FILE = "<b>week</b> [x](http://e.x) =1.csv"

# Raw fragments that must never reach a Markdown-rendering place unescaped.
# (Specific enough that the pages' own markup, such as status icons, never matches.)
MARKUP = (
    "**Bold**", "_Rep_", "](http", "<b>", "<img", "&amp;", "<i>", "<u>", ":red[Red]", ":material/warning: $",
    "$x^2$", "`code`", "~~gone~~", "# Team <i>", "](javascript", "http://evil", "www.evil", "ana@evil.example",
)  # fmt: skip
# Patterns the renderer rewrites in the text itself, after backslash escapes are undone:
# bare addresses become links, :material/…: an icon, -> an arrow.
REWRITTEN = ("http://evil", "www.evil", "ana@evil", ":material/warning: $", "-> www")


def visible(text: str) -> str:
    """What a person must see for `text`: every visible character, in order."""
    return plain(text)


def hostile_export() -> bytes:
    """Three weeks of activity for each hostile rep, one row with a hostile label, one row that is rejected."""
    rows: list[list[object]] = []
    serial = 0
    for i, name in enumerate(HOSTILE_NAMES):
        for week in range(3):
            monday = datetime.combine(WEEK_START, datetime.min.time()) - timedelta(weeks=2 - week)
            days = 2 if week == 2 else 5  # the current week up to Wednesday
            for day in range(days):
                when = monday + timedelta(days=day, hours=10 + i % 5)
                for kind in (("Call", "Connected"), ("Call", "No answer"), ("Meeting", "")) * (1 + i % 2):
                    serial += 1
                    rows.append([name, f"{when:%Y-%m-%d %H:%M}", *kind, f"h{serial}"])
        rows.append([name, f"{AS_OF - timedelta(days=1):%Y-%m-%d %H:%M}", HOSTILE_LABEL, "", f"label{i}"])
    rows.append([HOSTILE_NAMES[0], "not a date <b>x</b>", "Call", "", "bad1"])
    return csv_bytes(GENERIC_HEADER, rows)


def seed_hostile(store: Store) -> dict[str, int]:
    """The hostile team in `store`; returns display name -> rep_id."""
    ingest_bytes(store, HOSTILE_FILE, hostile_export(), IngestOptions(source="upload"))
    arrived = {normalize_name(n) for n in HOSTILE_NAMES}
    ids = {str(n): int(i) for i, n in store.fetchall("SELECT rep_id, display_name FROM reps")}
    assert set(ids) == arrived, f"the export's names did not arrive as ingest stores them: {sorted(ids)}"
    # Ingest strips invisible marks such as bidi overrides from names (docs/identity.md). A name stored
    # before that rule, or restored from an old backup, can still carry them: put them back, so the
    # pages' escaping is tested against the raw text.
    with store.write() as cur:
        for raw in HOSTILE_NAMES:
            if normalize_name(raw) != raw:
                cur.execute("UPDATE reps SET display_name = ? WHERE display_name = ?", [raw, normalize_name(raw)])
    ids = {str(n): int(i) for i, n in store.fetchall("SELECT rep_id, display_name FROM reps")}
    assert set(ids) == set(HOSTILE_NAMES)
    first_three = [ids[n] for n in HOSTILE_NAMES[:3]]
    with store.write() as cur:
        cur.execute("UPDATE reps SET team = ? WHERE list_contains(?, rep_id)", [HOSTILE_TEAM, first_three])
        cur.execute("UPDATE reps SET aliases = [?] WHERE rep_id = ?", [HOSTILE_ALIAS, ids[HOSTILE_NAMES[1]]])
    catalog = load_catalog(store)
    start = WEEK_START - timedelta(weeks=2)
    set_goals(store, catalog, [GoalChange(rep, m, g, start) for rep in ids.values() for m, g in (("conversations", 8), ("meetings", 9))])
    add_pto_rows(store, [(ids[HOSTILE_NAMES[2]], WEEK_START + timedelta(days=7 + d)) for d in range(2)])
    suggestions = [s for s in contests.suggest_contests(store, AS_OF) if s.format != "coaching"]
    assert suggestions, "the hostile team should be behind on something, so a contest shows names"
    contests.launch_contest(store, suggestions[0], AS_OF)
    return ids


def seed_hostile_file(path: Path) -> dict[str, int]:
    store = Store(path)
    try:
        return seed_hostile(store)
    finally:
        store.close()
