"""Team Scorecard: personal sales scorecards, team gaps and contests from CRM exports.

The public API is a set of modules, each owning one part of the domain; pages
and the command line import these and nothing else. Modules and names with a
leading underscore are private.

- `store`      the DuckDB file: connection, cursors, write lock, data version
- `ingest`     export file -> validated rows -> one atomic batch; undo; rejects
- `inbox`      the watched drop folder
- `roster`     reps and how export names resolve to them
- `catalog`    metric definitions and the export-label mapping (data/*.toml)
- `settings`   team settings (calendar, thresholds, contest sizing)
- `calendar`   periods and working time: the denominators of pace
- `goals`      effective-dated goals, quotas and PTO
- `funnel`     goals worked backwards from quota; the value of a unit of activity
- `imports`    goals, PTO and quota CSV imports
- `scores`     personal scorecards, team view, flags, tiers, flash report
- `contests`   suggest, size, launch, track and measure contests and spiffs
- `coaching`   1:1 prep, the coaching log and commitments, peer pairs, the leader's scorecard
- `admin`, `admin_goals`, `backup`   the manager's edits, backup and restore
- `demo`, `setup`  the demo team and first-run setup
- `spreadsheet` the formula-injection guard for every CSV we export
- `charts`     Altair chart builders with the one theme
- `ui`, `auth`  the small Streamlit glue: store handle, manager gate, live refresh
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "admin",
    "admin_goals",
    "auth",
    "backup",
    "calendar",
    "catalog",
    "charts",
    "coaching",
    "contests",
    "demo",
    "funnel",
    "goals",
    "imports",
    "inbox",
    "ingest",
    "roster",
    "scores",
    "settings",
    "setup",
    "spreadsheet",
    "store",
    "ui",
]
