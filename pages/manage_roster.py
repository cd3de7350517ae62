"""Roster: edit a rep's name, link, email, team, aliases and status; merge duplicates."""

from __future__ import annotations

import streamlit as st

from scorecard import admin, links, ui
from scorecard.settings import load_settings

ui.page_header("Roster", "Names, links, emails, aliases and teams. Merge two reps that are the same person.")
ui.require_manager()

store = ui.get_store()
ui.live(store)

FLASH = "roster_flash"


FORM_KEYS = ("name", "slug", "email", "team", "active", "aliases")


def _done(message: str, *reps: int) -> None:
    """Show `message` after a rerun, so the tables above already reflect the change.

    The edited reps' form fields are dropped so they refill from the database
    (a rename adds the old name to the aliases, a merge adds several).
    """
    for rep in reps:
        for key in FORM_KEYS:
            st.session_state.pop(f"{key}_{rep}", None)
    st.session_state[FLASH] = message
    st.rerun()


if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

roster = admin.roster_table(store)
if roster.is_empty():
    st.info("No reps yet. They appear with the first upload.")
    st.stop()

st.dataframe(
    roster.drop("rep_id"),
    hide_index=True,
    width="stretch",
    column_config={
        "name": "Name",
        "slug": "Link (/?rep=…)",
        "email": "Email",
        "team": "Team",
        "active": st.column_config.CheckboxColumn("Active"),
        "aliases": "Also known as",
        "events": st.column_config.NumberColumn("Events", format="%d"),
        "last_activity": st.column_config.DatetimeColumn("Last activity", format="YYYY-MM-DD HH:mm"),
    },
)

labels = {int(r["rep_id"]): f"{r['name']} ({r['slug']})" for r in roster.iter_rows(named=True)}
ids = list(labels)

st.subheader("Edit a rep")
rep_id = st.selectbox("Rep", ids, format_func=labels.__getitem__, key="edit_rep")
current = admin.rep_edit(store, rep_id)
with st.form(f"edit_rep_{rep_id}"):
    slots: dict[str, st.delta_generator.DeltaGenerator] = {}
    name = st.text_input("Name", current.display_name, key=f"name_{rep_id}")
    slots["display_name"] = st.empty()
    slug = st.text_input(
        "Link", current.slug, key=f"slug_{rep_id}", help="The rep's scorecard is at /?rep=<link>. Changing it breaks old links."
    )
    slots["slug"] = st.empty()
    email = st.text_input("Email", current.email or "", key=f"email_{rep_id}")
    slots["email"] = st.empty()
    team = st.text_input("Team", current.team, key=f"team_{rep_id}")
    slots["team"] = st.empty()
    active = st.checkbox(
        "Active", current.active, key=f"active_{rep_id}", help="Inactive reps keep their history but leave the team views."
    )
    slots["active"] = st.empty()
    aliases = st.text_area(
        "Also known as (one per line)",
        "\n".join(current.aliases),
        key=f"aliases_{rep_id}",
        help="Other spellings exports use for this rep. A renamed rep keeps the old name here automatically.",
    )
    slots["aliases"] = st.empty()
    if st.form_submit_button("Save rep", type="primary"):
        edit = admin.RepEdit(name, slug, email or None, team, active, tuple(aliases.splitlines()))
        try:
            saved = admin.update_rep(store, rep_id, edit)
        except admin.InvalidInput as exc:
            for field, message in exc.errors.items():
                slots.get(field, slots["display_name"]).error(ui.escape_md(message))
        else:
            _done(f"Saved. {ui.escape_md(saved.display_name)}'s scorecard is at /?rep={saved.slug}", rep_id)

st.subheader("Private links")
if not load_settings(store).private_links:
    st.caption("Private links are off (Settings): anyone can open a scorecard at /?rep=<link>. Turn them on to give each rep a signed link.")
else:
    st.caption("Send each rep their own link. A new link stops the old one at once (for a lost phone, or a rep who shared it).")
    base = (st.context.url or "").split("?")[0].rstrip("/")
    st.dataframe(links.rep_links(store, base).select("name", "link"), hide_index=True, width="stretch", column_config={"name": "Rep", "link": "Link"})
    rotate_id = st.selectbox("Rep", ids, format_func=labels.__getitem__, key="link_rep")
    if st.button("Make a new link (the old one stops working)", key="link_rotate"):
        links.rotate(store, rotate_id)
        st.session_state[FLASH] = f"New link made for {ui.escape_md(labels[rotate_id])}; send it to them. The old one no longer opens the scorecard."
        st.rerun()

st.subheader("Merge two reps")
st.caption(
    "When one person shows up under two names: every event, goal, PTO day, quota and contest entry moves to the rep "
    "you keep, the other name becomes an alias (so future uploads match), and the other rep is deleted."
)
if len(ids) < 2:
    st.info("Merging needs at least two reps.")
    st.stop()
left, right = st.columns(2)
keep_id = left.selectbox("Keep", ids, format_func=labels.__getitem__, key="merge_keep")
others = [i for i in ids if i != keep_id]
merge_id = right.selectbox("Same person, to fold in and delete", others, format_func=labels.__getitem__, key="merge_other")
events = {int(r["rep_id"]): int(r["events"]) for r in roster.iter_rows(named=True)}
st.text(
    f"{labels[merge_id]} has {events[merge_id]:,} events; after merging, {labels[keep_id]} will have "
    f"{events[keep_id] + events[merge_id]:,}."
)
confirm = st.checkbox(
    f"Yes, delete {ui.escape_md(labels[merge_id])} after moving everything to {ui.escape_md(labels[keep_id])}",
    key="merge_confirm",
)
if st.button("Merge reps", disabled=not confirm, key="merge_go"):
    try:
        result = admin.merge_reps(store, keep_id, merge_id)
    except (admin.InvalidInput, LookupError) as exc:
        st.error(ui.escape_md(exc))
    else:
        st.session_state.pop("merge_confirm", None)
        _done(
            f"Merged: {result.events_moved:,} events, {result.goals_moved} goals, {result.pto_days_added} PTO days, "
            f"{result.quotas_moved} quotas and {result.contest_entries_moved} contest entries moved"
            + (f"; {result.goals_dropped} overlapping goals kept from the surviving rep" if result.goals_dropped else "")
            + ".",
            keep_id,
        )
