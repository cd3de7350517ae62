"""The rules live in the repository: every team setting and server variable is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from scorecard.settings import TeamSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _table_names(text: str) -> list[str]:
    """The first cell of each table row, when it is a `code` name."""
    return re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)


def test_every_team_setting_has_a_row_with_meaning_default_and_why() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    names = _table_names(text)
    fields = [f.name for f in dataclasses.fields(TeamSettings)]
    assert sorted(set(fields) - set(names)) == [], "team settings missing from docs/settings.md"
    assert sorted(set(names) & set(fields)) == sorted(fields)
    for name in fields:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), f"{name}: meaning, default and why must all be filled in"


def test_server_settings_are_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS.parent / "scorecard").rglob("*.py"))
    used = set(re.findall(r"\"(SCORECARD_[A-Z_]+)\"", code))
    assert used >= {"SCORECARD_DB", "SCORECARD_INBOX", "SCORECARD_MANAGER_PASSCODE"}
    assert used <= set(_table_names(text)), "an environment variable the code reads is not in docs/settings.md"


def test_the_index_links_every_rule_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([a-z-]+\.md)(?:#[a-z-]+)?\)", index))
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert {"pace.md", "team-gaps.md", "contests.md", "identity.md", "settings.md", "security.md"} <= pages
    assert linked == pages, "every rule page is linked from docs/README.md, and every link leads to a page"
    security = (DOCS / "security.md").read_text(encoding="utf-8")
    for anchor in re.findall(r"security\.md#([a-z-]+)", (DOCS / "settings.md").read_text(encoding="utf-8")):
        headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", security, re.M)}
        assert anchor in headings, f"settings.md links to a missing section: security.md#{anchor}"
