"""The contest scenario on the demo team: its meetings gap gets a contest that rewards converting.

The demo's team is behind on meetings this week, and over the last four
completed weeks its conversations turned into meetings far less often than
before. The Team page and the Contests page, on the same database and moment,
must tell the manager the same thing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.catalog import load_catalog
from scorecard.contests import suggest_contests
from scorecard.demo import build_demo
from scorecard.store import Store
from tests.ui_apptest import app, texts

AS_OF = datetime(2026, 11, 19, 15, 0)  # a Thursday afternoon: Thu and Fri are left for a contest
CLAIM = re.compile(
    r"(\d+)% \((\d+) of (\d+) conversations → meetings\) over the last 4 completed weeks \(Oct 19 – Nov 15\) "
    r"vs (\d+)% \(([\d,]+) of ([\d,]+)\) over the 13 weeks before; p (<|=) 0\.\d+"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("demo-contests")
    store = Store(root / "demo.duckdb")
    build_demo(store, AS_OF, out_dir=root / "files")
    yield store
    store.close()


def test_the_demo_gets_a_meetings_contest_that_rewards_converting(demo: Store) -> None:
    suggestions = suggest_contests(demo, AS_OF)

    # One suggestion: the meetings contest. No coaching action replaces it, and no
    # claim about win rate from a handful of this week's proposals.
    assert [s.metric for s in suggestions] == ["meetings"]
    [s] = suggestions
    assert s.format in ("threshold", "team_goal", "division_race")
    assert s.focus == "conversion" and s.converted == "meetings booked from conversations"
    assert s.skills_session == load_catalog(demo).ratios["conversation_to_meeting"].coaching
    [claim] = s.evidence
    match = CLAIM.search(claim)
    assert match, claim
    recent_pct, recent_x, recent_n = int(match[1]), int(match[2]), int(match[3])
    usual_pct = int(match[4])
    assert round(100 * recent_x / recent_n) == recent_pct and recent_pct < 0.75 * usual_pct
    assert claim in s.rationale and "Conversation → meeting" in s.rationale
    assert "What counts: meetings booked from conversations" in s.announcement
    assert "Skills session on Thu Nov 19" in s.announcement
    assert any(line.startswith("Budget: ") for line in s.arithmetic)  # sized as any contest


def _unlocked(page: str, tmp_path: Path) -> AppTest:
    at = app(page, tmp_path, as_of=AS_OF.isoformat())
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_team_page_and_contests_page_agree_on_the_demo(tmp_path: Path) -> None:
    with Store(Path(os.environ["SCORECARD_DB"])) as store:
        build_demo(store, AS_OF, out_dir=tmp_path / "files")

    team = app("pages/team.py", tmp_path, as_of=AS_OF.isoformat()).run()
    contests = _unlocked("pages/contests.py", tmp_path)
    assert not team.exception and not contests.exception

    # The Team page points at a contest for each gap it names, and says what it rewards.
    promised = re.findall(r"the Contests page suggests an? (\w+) contest", " ".join(w.value for w in team.warning))
    assert promised == ["meetings"]
    [warning] = [w.value for w in team.warning if "Team gap on Meetings" in w.value]
    assert "rewards meetings booked from conversations, with a skills session attached" in warning

    # The Contests page shows exactly those contests, shaped the same way.
    shown = [h.value.split(" · ")[0].lower() for h in contests.subheader]
    assert shown == promised
    page = texts(contests).replace("**", "")
    assert "Rewards converting: meetings booked from conversations" in page
    assert "Skills session attached:" in page
    assert CLAIM.search(page)
    assert [b.label for b in contests.button if b.label == "Launch"] == ["Launch"]
