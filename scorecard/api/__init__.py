"""The HTTP API and CRM webhooks, served beside the app by the same server (see docs/api.md).

`routes()` is what `server_life.routes()` mounts; `tokens` manages API tokens.
"""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    from scorecard.api.routes import routes as api_routes

    return list(api_routes())
