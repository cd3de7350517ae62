"""Team Scorecard: the router. Page config, navigation, the shared sidebar, the inbox watcher."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from scorecard import auth, charts, ui
from scorecard.inbox import start_inbox_watcher

st.set_page_config(page_title="Team Scorecard", page_icon="📈", layout="wide")
charts.register_theme()


@st.cache_resource(show_spinner=False)
def _inbox_watcher(db_path: str, inbox: str) -> object:
    """One watcher thread per process and database (the inbox module is idempotent too)."""
    return start_inbox_watcher(ui.get_store(), Path(inbox))


@st.cache_resource(show_spinner=False)
def _ensure_passcode(data_dir: str) -> None:
    """On first start with no passcode configured, generate one and print it on the console."""
    auth.manager_passcode(Path(data_dir))


SECTIONS: dict[str, list[tuple[str, str, str]]] = {
    "Reps": [("pages/scorecard.py", "My scorecard", ":material/person:")],
    "Team": [
        ("pages/team.py", "Team", ":material/groups:"),
        ("pages/standup.py", "Stand-up", ":material/tv:"),
        ("pages/flash.py", "Flash report", ":material/summarize:"),
        ("pages/contests.py", "Contests", ":material/emoji_events:"),
    ],
    "Manager": [
        ("pages/upload.py", "Upload", ":material/upload_file:"),
        ("pages/manage_roster.py", "Roster", ":material/badge:"),
        ("pages/manage_goals.py", "Goals", ":material/flag:"),
        ("pages/manage_pto.py", "PTO", ":material/beach_access:"),
        ("pages/manage_mapping.py", "Mapping", ":material/alt_route:"),
        ("pages/manage_settings.py", "Settings", ":material/settings:"),
    ],
}

by_file = {
    path: st.Page(path, title=title, icon=icon, default=path == "pages/scorecard.py")
    for entries in SECTIONS.values()
    for path, title, icon in entries
}
pages = {section: [by_file[path] for path, _, _ in entries] for section, entries in SECTIONS.items()}

current = st.navigation(pages)

standup = by_file["pages/standup.py"]
if st.query_params.get("view") == "standup" and current is not standup:
    st.switch_page(standup, query_params=dict(st.query_params))

store = ui.get_store()
inbox = ui.inbox_dir()
if inbox is not None:
    _inbox_watcher(str(store.path), str(inbox))

_ensure_passcode(str(ui.data_dir()))

with st.sidebar:
    ui.freshness_line(store)
on_manager_page = any(current is page for page in pages.get("Manager", []))
ui.manager_gate(show_form=not on_manager_page)

current.run()
