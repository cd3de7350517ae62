"""Team Scorecard: the router. Page config, navigation, the shared sidebar and the manager gate."""

from __future__ import annotations

import streamlit as st

from scorecard import charts, metrics, server_life, ui

st.set_page_config(page_title="Team Scorecard", page_icon="📈", layout="wide")
# Normally done by the server's lifespan (server.py) before any page; a no-op then.
server_life.start()
charts.register_theme()

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
        ("pages/one_on_one.py", "1:1 prep", ":material/record_voice_over:"),
        ("pages/coaching.py", "Coaching", ":material/school:"),
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
# A rep's page shows its own freshness line and is redrawn on its own after new
# data (docs/live-pages.md), so the sidebar, which is not, does not repeat it.
if not (current is by_file["pages/scorecard.py"] and st.query_params.get("rep")):
    with st.sidebar:
        ui.freshness_line(store)
on_manager_page = any(current is page for page in pages.get("Manager", []))
ui.manager_gate(show_form=not on_manager_page)

with metrics.page_run(current.url_path):
    current.run()
