"""The pages of ``annotate serve``: where the templates and assets live, how they are served, their headers."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
"""Jinja templates (autoescaped): the labeling page, the login page, a login link's page."""


class Assets:
    """This server's asset files, read once at start-up and served by name: no path ever reaches the disk."""

    NAMES = {"annotate.css": "text/css", "annotate.js": "text/javascript"}

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        for name, content_type in self.NAMES.items():
            data = pkgutil.get_data(__package__ or "annotate.serve", f"assets/{name}")
            assert data is not None, name
            self.files[name] = (data, content_type)

    async def handle(self, request: web.Request) -> web.Response:
        """``GET /assets/{name}``: one of the files by its exact name, else 404."""
        found = self.files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(body=body, content_type=content_type, charset="utf-8",
                            headers={"Cache-Control": "no-cache"})


def security_headers(response: web.StreamResponse, origin: str) -> None:
    """Headers every answer carries: a strict content policy, no framing, no sniffing, no referrer to other sites.

    The policy lets pages load scripts, styles and fonts from this server only and open a
    websocket to it only; nothing is fetched from anywhere else. Pages are not cached.
    """
    websocket = "ws" + origin[len("http"):]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self';"
        f" img-src 'self' data:; connect-src 'self' {websocket}; form-action 'self'; frame-ancestors 'none';"
        " base-uri 'none'"
    ))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not response.headers.get("Content-Type", "").startswith(("text/css", "text/javascript", "font/")):
        headers.setdefault("Cache-Control", "no-store")
