"""``annotate serve``: textual-serve's server with accounts, one labeling process per tab, nothing else reachable."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from ..errors import AnnotateError
from .accounts import MAX_NAME, MAX_PASSWORD, Account, AccountStore, check_password
from .auth import COOKIE, SESSION_MAX, Sessions, Throttle, WebSession
from .pages import TEMPLATES, Assets, security_headers
from .sessions import (
    CLOSE_BUSY,
    CLOSE_SIGNED_OUT,
    CheckedMessages,
    SessionService,
    clamp_size,
    session_command,
)

log = logging.getLogger("annotate.serve")

FAILED_LOGIN_DELAY = 1.0
"""Seconds every failed login (or bad link) waits before its answer."""
REFRESH_SECONDS = 2.0
"""How often the accounts file is checked, so a removed account's sessions end."""
SESSION_KEY: web.RequestKey[Any] = web.RequestKey("annotate_session", object)
"""Where a request's (session, account) is kept for the handlers (None when not logged in)."""
PUBLIC_PATHS = re.compile(r"^/(login(/[^/]*)?|assets/[^/]*|static/.*)$")
"""Paths answered without a session: the login pages and the page assets."""


@dataclass(frozen=True)
class ServeOptions:
    """How ``annotate serve`` runs: the project, where it listens, the address browsers use, limits."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    max_sessions: int = 100
    sessions_per_account: int = 4

    @property
    def url(self) -> str:
        """The address browsers use (``--public-url``, else ``http://HOST:PORT``)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def secure(self) -> bool:
        """True when browsers come through https (the cookie is then marked Secure)."""
        return self.url.startswith("https://")


def check_options(options: ServeOptions) -> None:
    """Refuse options that cannot work: a public URL that is not an origin, a wildcard host without one."""
    if options.public_url is not None:
        parts = urlsplit(options.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or parts.fragment or parts.username or parts.password:
            raise AnnotateError(f"--public-url {options.public_url!r} must be http(s)://HOST[:PORT], without a path")
    elif options.host in ("0.0.0.0", "::", ""):
        raise AnnotateError(f"--host {options.host or '(all)'} needs --public-url, the address browsers use"
                            " (e.g. https://annotate.example.org behind a TLS proxy)")
    if not 0 < options.port < 65536:
        raise AnnotateError(f"--port {options.port} is not a port number")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def network_warning(options: ServeOptions) -> str | None:
    """A warning when the server listens beyond this machine without https in front of it."""
    if is_loopback(options.host) or options.secure:
        return None
    return (f"listening on {options.host} without https: passwords and session cookies cross the network in"
            " clear text. Put a TLS proxy in front and pass --public-url https://... (see the README)")


def client_address(request: web.Request) -> str:
    """The browser's address: the peer, or, when the peer is a proxy on this machine, the last X-Forwarded-For."""
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and is_loopback(peer):
        return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


class AnnotateServer(Server):
    """textual-serve's ``Server``, one account per browser session.

    Built on the base: its routes (``/``, ``/ws``, ``/download/{key}``, ``/static``), its message
    loop and its app service are used as they are, with these methods overridden: the page
    (``handle_index``), the websocket (``handle_websocket``: session, Origin, per-account command,
    checked messages), downloads (only the owner's), logging (no local variables in tracebacks, no
    login tokens in the access log) and start-up. A middleware puts every request through the
    session check, refuses anything under ``/static`` that is not one of textual-serve's own asset
    files (no folder listings), and adds the security headers. Added routes: login with a
    password, a one-time link that sets the password, logout, and this page's own assets.
    """

    def __init__(self, options: ServeOptions, accounts: AccountStore | None = None) -> None:
        check_options(options)
        super().__init__("annotate", host=options.host, port=options.port, title="annotate",
                         public_url=options.url, templates_path=TEMPLATES)
        self.options = options
        self.root = options.root.resolve()
        self.origin = options.url
        self.accounts = accounts or AccountStore(self.root)
        self.sessions = Sessions()
        self.by_address = Throttle(free=10, cap=300.0)  # an office behind one address logs in at 9 o'clock
        self.by_account = Throttle(free=5, cap=30.0)  # guessing alice's password delays alice by 30 s at most
        self.in_flight: set[str] = set()
        self.live: set[SessionService] = set()
        self.assets = Assets()
        self.static_files = frozenset(
            "/static/" + p.relative_to(self.statics_path).as_posix()
            for p in self.statics_path.rglob("*") if p.is_file() and not p.is_symlink()
        )
        self._refresher: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- the application

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        app.add_routes([
            web.get("/login", self.login_page),
            web.post("/login", self.login),
            web.get("/login/{token}", self.link_page),
            web.post("/login/{token}", self.use_link),
            web.post("/logout", self.logout),
            web.get("/assets/{name}", self.assets.handle),
        ])
        return app

    @web.middleware
    async def guard(self, request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        """Every request: canonical host, asset allow-list, session check, security headers."""
        try:
            self._check_host(request)
            if request.path.startswith("/static") and request.path not in self.static_files:
                raise web.HTTPNotFound()
            request[SESSION_KEY] = found = self.session_of(request)
            if found is None and not PUBLIC_PATHS.match(request.path):
                if request.method == "GET" and request.path == "/":
                    raise web.HTTPSeeOther("/login")
                raise web.HTTPUnauthorized(text="log in first: /login\n")
            response = await handler(request)
        except web.HTTPException as exc:
            security_headers(exc, self.origin)
            raise
        except AnnotateError as exc:  # the accounts file cannot be read: nobody gets in until it is fixed
            log.error("annotate serve: %s", exc)
            response = web.Response(status=503, text="The server cannot read its accounts: tell the project lead.\n")
        if not response.prepared:
            security_headers(response, self.origin)
        return response

    def _check_host(self, request: web.Request) -> None:
        """Without --public-url, one address only (a cookie set for localhost is not sent to 127.0.0.1)."""
        if self.options.public_url is not None:
            return
        expected = urlsplit(self.origin).netloc
        if request.host != expected:
            if request.method in ("GET", "HEAD") and request.path != "/ws":
                raise web.HTTPTemporaryRedirect(self.origin + request.rel_url.path_qs)
            raise web.HTTPMisdirectedRequest(text=f"use {self.origin}\n")

    def session_of(self, request: web.Request) -> tuple[WebSession, Account] | None:
        """The valid session and account of a request's cookie, or None."""
        return self.sessions.find(request.cookies.get(COOKIE), self._accounts())

    def _accounts(self) -> dict[str, Account]:
        try:
            return self.accounts.current()
        except AnnotateError as exc:
            log.error("annotate serve: %s (nobody can log in until it is fixed)", exc)
            return {}

    def same_origin(self, request: web.Request) -> bool:
        """True when the request comes from a page of this server (the browser's Origin header)."""
        return request.headers.get("Origin") == self.origin

    # ----------------------------------------------------------------- pages

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The labeling page of the logged-in account (the terminal; its websocket starts the app)."""
        _session, account = request[SESSION_KEY]
        font = request.query.get("fontsize", "16")
        context = {
            "account": account,
            "websocket_url": re.sub(r"^http", "ws", self.origin) + "/ws",
            "font_size": min(max(int(font), 8), 40) if font.isdigit() else 16,
        }
        return aiohttp_jinja2.render_template("app.html", request, context)

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        """The login form (a logged-in browser goes straight to its page)."""
        if request[SESSION_KEY] is not None:
            raise web.HTTPSeeOther("/")
        return self.page(request, "login.html")

    def page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.StreamResponse:
        """A rendered page of this server."""
        response = aiohttp_jinja2.render_template(template, request, context, status=status)
        if status == 429 and "wait" in context:
            response.headers["Retry-After"] = str(int(context["wait"]) + 1)
        return response

    # ----------------------------------------------------------------- logging in

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Check a name and password; on success a session cookie and the labeling page."""
        self._require_origin(request)
        form = await request.post()
        name = str(form.get("name", "")).strip().lower()[: MAX_NAME + 1]
        password = str(form.get("password", ""))[: MAX_PASSWORD + 1]
        keys = (f"address:{client_address(request)}", f"account:{name}")
        refused = self._begin_attempt(request, keys, "login.html", name=name)
        if refused is not None:
            return refused
        try:
            account = await asyncio.to_thread(self.accounts.login, name, password)
            if account is None:
                await self._failed(keys)
                return self.page(request, "login.html", 401, name=name, error="Wrong name or password.")
        finally:
            self.in_flight.difference_update(keys[1:])
        self._succeeded(keys)
        log.info("%s logged in from %s", account.name, keys[0].partition(":")[2])
        return self._logged_in(account)

    async def link_page(self, request: web.Request) -> web.StreamResponse:
        """The page of a one-time login link: choose a password (the link is used up when it is saved)."""
        token = request.match_info["token"]
        keys = (f"address:{client_address(request)}",)
        refused = self._begin_attempt(request, keys, "link.html")
        if refused is not None:
            return refused
        owner = await asyncio.to_thread(self.accounts.link_owner, token)
        if owner is None:
            await self._failed(keys)
            return self.page(request, "link.html", 401, invalid=True)
        self._succeeded(keys)
        return self.page(request, "link.html", name=owner)

    async def use_link(self, request: web.Request) -> web.StreamResponse:
        """Save the password chosen on a login link's page; the link is used up, the browser logged in."""
        self._require_origin(request)
        token = request.match_info["token"]
        form = await request.post()
        password, again = (str(form.get(k, ""))[: MAX_PASSWORD + 1] for k in ("password", "again"))
        keys = (f"address:{client_address(request)}",)
        refused = self._begin_attempt(request, keys, "link.html")
        if refused is not None:
            return refused
        owner = await asyncio.to_thread(self.accounts.link_owner, token)
        problem = check_password(password) or ("the two passwords differ" if password != again else None)
        if owner is not None and problem is not None:
            self._succeeded(keys)  # the link is right; the password is not acceptable
            return self.page(request, "link.html", 400, name=owner, error=problem.capitalize() + ".")
        account = await asyncio.to_thread(self.accounts.use_link, token, password) if owner else None
        if account is None:
            await self._failed(keys)
            return self.page(request, "link.html", 401, invalid=True)
        self._succeeded(keys)
        log.info("%s set a password with a login link", account.name)
        return self._logged_in(account)

    def _logged_in(self, account: Account) -> web.StreamResponse:
        response = see_other("/")
        response.set_cookie(COOKIE, self.sessions.start(account), max_age=int(SESSION_MAX), path="/",
                            httponly=True, samesite="Strict", secure=self.options.secure)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """End this browser's session (and its open labeling tabs)."""
        self._require_origin(request)
        ended = self.sessions.end(request.cookies.get(COOKIE))
        if ended is not None:
            await self._close_live(lambda s: s.session_key == ended.key, "signed out")
        response = see_other("/login")
        response.del_cookie(COOKIE, path="/")
        return response

    def _require_origin(self, request: web.Request) -> None:
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="this form must be sent from this server's own page\n")

    def _begin_attempt(self, request: web.Request, keys: tuple[str, ...], template: str,
                       **context: Any) -> web.StreamResponse | None:
        """Start a login attempt of ``keys`` (the client address, then the account if any), or refuse it.

        Refused (a 429 page) while a key must wait, or while another attempt on the same
        account is running. Otherwise the attempt counts as failed until it succeeds, so
        attempts sent in parallel cannot slip past the slow-down; returns None.
        """
        accounts = keys[1:]
        wait = max(self.by_address.wait(keys[0]), *(self.by_account.wait(k) for k in accounts), 0.0)
        if wait > 0.0 or self.in_flight.intersection(accounts):
            message = f"Too many failed attempts: try again in {int(wait) + 1} seconds."
            return self.page(request, template, 429, error=message, wait=wait, **context)
        self.by_address.failed(keys[0])
        for key in accounts:
            self.by_account.failed(key)
        self.in_flight.update(accounts)
        return None

    def _succeeded(self, keys: tuple[str, ...]) -> None:
        self.by_address.undo(keys[0])
        for key in keys[1:]:
            self.by_account.succeeded(key)

    async def _failed(self, keys: tuple[str, ...]) -> None:
        log.info("failed login attempt (%s)", ", ".join(keys))
        await asyncio.sleep(FAILED_LOGIN_DELAY)

    # ----------------------------------------------------------------- the labeling sessions

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A tab's websocket: its own labeling process, as the session's account, until either side ends."""
        session, account = request[SESSION_KEY]
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="websocket from another origin\n")
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=1024 * 1024)
        await websocket.prepare(request)
        busy = self._busy(account.name)
        if busy:
            await websocket.close(code=CLOSE_BUSY, message=busy.encode())
            return websocket
        width, height = clamp_size(*(_int(request.query.get(k)) for k in ("width", "height")))
        service = SessionService(session_command(self.root, account.name, account.role), self.root,
                                 account.name, session.key, websocket, self.download_manager, self.debug)
        self.live.add(service)
        try:
            await service.start(width, height)
            log.info("session of %s started (pid %s, %dx%d)", account.name, service.pid, width, height)
            await self._process_messages(CheckedMessages(websocket, lambda: self._seen(session)), service)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - one session's failure is logged; the server goes on
            log.exception("session of %s failed", account.name)
        finally:
            self.live.discard(service)
            await service.stop()
            await service.close(1000, "session ended")
            log.info("session of %s ended (pid %s)", account.name, service.pid)
        return websocket

    def _busy(self, name: str) -> str | None:
        if len(self.live) >= self.options.max_sessions:
            return f"The server is full ({self.options.max_sessions} sessions): try again later."
        if sum(1 for s in self.live if s.account == name) >= self.options.sessions_per_account:
            return f"{name} has {self.options.sessions_per_account} tabs open already: close one first."
        return None

    def _seen(self, session: WebSession) -> None:
        session.seen = self.sessions.clock()

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file the app delivers (e.g. a screenshot), only to the account whose session made it."""
        _session, account = request[SESSION_KEY]
        try:
            download = await self.download_manager.get_download_metadata(request.match_info["key"])
        except KeyError:
            raise web.HTTPNotFound() from None
        if getattr(download.app_service, "account", None) != account.name:
            raise web.HTTPNotFound()
        return await super().handle_download(request)

    async def _close_live(self, which: Callable[[SessionService], bool], reason: str) -> None:
        for service in [s for s in self.live if which(s)]:
            await service.close(CLOSE_SIGNED_OUT, reason)

    async def _refresh(self) -> None:
        """Every few seconds: end the sessions of removed accounts and changed passwords."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            accounts = self._accounts()
            await self._end_sessions({s.key for s in self.sessions.prune(accounts)})

    async def _end_sessions(self, keys: set[str]) -> None:
        if keys:
            await self._close_live(lambda s: s.session_key in keys, "signed out: account removed or changed")

    # ----------------------------------------------------------------- start and stop

    def initialize_logging(self) -> None:
        """Plain log lines on stderr; login tokens never appear in the access log."""
        logging.basicConfig(level=logging.DEBUG if self.debug else logging.INFO,
                            format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
        logging.getLogger("aiohttp.access").addFilter(_hide_tokens)

    async def on_startup(self, app: web.Application) -> None:
        """Say where the server is, and start watching the accounts file."""
        count = len(self._accounts())
        print(f"annotate serve: {self.root} on {self.origin} ({count} account{'s' * (count != 1)};"
              " annotate users add NAME for more). Ctrl+C stops.", file=sys.stderr, flush=True)
        self._refresher = asyncio.create_task(self._refresh())

    async def on_shutdown(self, app: web.Application) -> None:
        """Stop watching; ask every session to quit (each folds its journal)."""
        if self._refresher is not None:
            self._refresher.cancel()
        await asyncio.gather(*(s.close(1001, "server stopped") for s in list(self.live)), return_exceptions=True)

    def serve(self, debug: bool = False) -> None:
        """Run until Ctrl+C or SIGTERM (textual-serve's loop); an address in use is an OSError before anything."""
        with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))  # aiohttp would say so only after the start-up message
        super().serve(debug=debug)


def see_other(location: str) -> web.Response:
    """A 303 redirect (after a form: the browser follows it with a GET)."""
    return web.Response(status=303, headers={"Location": location})


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 6 else None


def _hide_tokens(record: logging.LogRecord) -> bool:
    """Logging filter: ``/login/TOKEN`` becomes ``/login/...`` in access log lines."""
    with contextlib.suppress(Exception):
        record.msg = re.sub(r"/login/[^\s\"?]+", "/login/...", str(record.msg))
    return True
