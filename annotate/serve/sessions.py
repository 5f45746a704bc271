"""One browser tab's labeling process: textual-serve's app service, started as one account, checked input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMessage, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

log = logging.getLogger("annotate.serve")

MIN_COLS, MAX_COLS = 20, 1000
MIN_ROWS, MAX_ROWS = 6, 400
"""Terminal sizes a browser may ask for; smaller or larger requests are clamped (0x0 becomes 20x6)."""
MAX_STDIN = 64 * 1024
"""Longest keyboard or paste message passed on to the app (characters)."""
STOP_SECONDS = 10.0
"""How long a session gets to fold its journal and exit after it is asked to, before it is killed."""

CLOSE_CRASHED = 4001
"""Websocket close code: the labeling process ended by itself, with an error or a signal."""
CLOSE_BUSY = 4002
"""Websocket close code: too many sessions (for this account, or on this server)."""
CLOSE_SIGNED_OUT = 4003
"""Websocket close code: logged out, the account was removed or its password changed."""


def session_command(root: Path, name: str, role: str) -> list[str]:
    """The command line of one browser session: the ``annotate`` home screen, as ``name``, in ``role``.

    ``-P`` keeps the project folder (the child's working folder) off ``sys.path``, so no file in
    the project can stand in for a module. The role reaches the app by ONE channel, the bare
    command's hidden ``--role`` option; the name by ``--annotator``; neither comes from the browser.
    """
    return [sys.executable, "-P", "-m", "annotate", "--root", str(root), "--annotator", name, "--role", role]


def clamp_size(width: object, height: object) -> tuple[int, int]:
    """A terminal size the app can draw: integers within the limits (anything else becomes 80x24)."""
    w = width if isinstance(width, int) and not isinstance(width, bool) else 80
    h = height if isinstance(height, int) and not isinstance(height, bool) else 24
    return min(max(w, MIN_COLS), MAX_COLS), min(max(h, MIN_ROWS), MAX_ROWS)


def checked_envelope(text: str) -> list[Any] | None:
    """A browser message in textual-serve's form (``["stdin", "f"]``, ``["resize", {...}]``...), made safe.

    Returns the message to pass on, or None to drop it: not JSON, not a list, an unknown
    type, a field of the wrong type or size. A resize is clamped to sizes the app can draw.
    """
    try:
        envelope = json.loads(text)
    except ValueError:
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
    if kind == "stdin" and isinstance(data, str) and 0 < len(data) <= MAX_STDIN:
        return [kind, data]
    if kind == "resize" and isinstance(data, dict):
        width, height = clamp_size(data.get("width"), data.get("height"))
        return [kind, {"width": width, "height": height}]
    if kind == "ping" and isinstance(data, str) and len(data) <= 64:
        return [kind, data]
    if kind in ("focus", "blur"):
        return [kind]
    return None


class CheckedMessages:
    """The browser's websocket as textual-serve's message loop reads it, every message checked first.

    ``Server._process_messages`` iterates over the websocket and answers pings with
    ``send_json``; this stands in for the websocket, passing on only what
    :func:`checked_envelope` accepts, so a malformed message is dropped instead of ending
    the session (or reaching the app). ``seen`` is called on every message (the session is in use).
    """

    def __init__(self, websocket: web.WebSocketResponse, seen: Callable[[], None]) -> None:
        self.websocket = websocket
        self.seen = seen
        self.dropped = 0

    def __aiter__(self) -> AsyncIterator[WSMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[WSMessage]:
        async for message in self.websocket:
            if message.type != WSMsgType.TEXT:
                continue
            self.seen()
            envelope = checked_envelope(message.data)
            if envelope is None:
                self.dropped += 1
                log.debug("dropped a malformed message from the browser: %.80r", message.data)
                continue
            yield WSMessage(WSMsgType.TEXT, json.dumps(envelope), None)

    async def send_json(self, data: Any) -> None:
        """Answer the browser (textual-serve answers pings with this)."""
        await self.websocket.send_json(data)


class ErrorTail:
    """A process's stderr reader that also keeps the last few kilobytes (to tell the browser why it ended)."""

    KEEP = 4096

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.tail = b""

    async def read(self, n: int = -1) -> bytes:
        """Read like the wrapped reader, keeping a copy of the end."""
        data = await self.reader.read(n)
        self.tail = (self.tail + data)[-self.KEEP :]
        return data

    def last_line(self) -> str:
        """The last non-empty line read so far."""
        lines = [line.strip() for line in self.tail.decode("utf-8", "replace").splitlines() if line.strip()]
        return lines[-1][:1000] if lines else ""


class SessionService(AppService):
    """textual-serve's app service for one browser tab, run as an account, with an honest ending.

    Differences from the base: the process is started from an argument list (no shell) in the
    project folder, without the server's ``ANNOTATE_ANNOTATOR``; a process that ends by itself
    with an error or a signal is reported to its browser (close code ``CLOSE_CRASHED``); and a
    process that does not exit within ``STOP_SECONDS`` of being asked is killed.
    """

    def __init__(self, argv: list[str], cwd: Path, account: str, session_key: str,
                 websocket: web.WebSocketResponse, download_manager: DownloadManager, debug: bool = False) -> None:
        super().__init__(" ".join(argv), write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                         close=self._app_exited, download_manager=download_manager, debug=debug)
        self.argv = argv
        self.cwd = cwd
        self.account = account
        self.session_key = session_key
        self.websocket = websocket
        self.stopping = False

    @property
    def pid(self) -> int | None:
        """The labeling process's id (None before it started)."""
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.pop("ANNOTATE_ANNOTATOR", None)  # the name is --annotator, from the account
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        pipe = asyncio.subprocess.PIPE
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, cwd=self.cwd, env=self._build_environment(width, height), stdin=pipe, stdout=pipe, stderr=pipe)
        assert process.stdin is not None and process.stderr is not None
        self._stdin = process.stdin
        process.stderr = ErrorTail(process.stderr)  # type: ignore[assignment]  # the base reads it on
        return process

    def last_error(self) -> str:
        """The last line the process wrote on stderr (``annotate: file:line: message`` for a user error)."""
        stderr = self._process.stderr if self._process is not None else None
        return stderr.last_line() if isinstance(stderr, ErrorTail) else ""

    async def run(self) -> None:
        """Relay the process's output until it ends; report an ending nobody asked for."""
        await super().run()
        process = self._process
        if process is None:
            return
        code = await process.wait()
        if isinstance(process.stderr, ErrorTail):  # what the base stopped reading when stdout ended
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(process.stderr.read(), 1.0)
        if code != 0 and not self.stopping:
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            log.warning("session of %s (pid %s) ended by itself: %s", self.account, process.pid, how)
            if not self.websocket.closed:
                await self.websocket.send_json(["annotate_error", {"message": self.last_error(), "how": how}])
            await self.close(CLOSE_CRASHED, how)

    async def stop(self) -> None:
        """Ask the app to quit (it folds its journal); kill it if it has not gone within STOP_SECONDS."""
        self.stopping = True
        try:
            await asyncio.wait_for(super().stop(), STOP_SECONDS)
        except TimeoutError:
            log.warning("session of %s (pid %s) did not quit: killed", self.account, self.pid)
            self.kill()
        if self._process is not None and self._process.returncode is None:
            with_timeout: Awaitable[int] = asyncio.wait_for(self._process.wait(), STOP_SECONDS)
            try:
                await with_timeout
            except TimeoutError:
                self.kill()

    def kill(self) -> None:
        """Kill the labeling process at once (its labels are safe in the journal)."""
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass

    async def _app_exited(self) -> None:
        """The app says it is exiting (the annotator quit): the tab ends normally."""
        await self.close(1000, "session ended")

    async def close(self, code: int, reason: str) -> None:
        """Close the browser's websocket with a code and a short reason (the page shows what it means)."""
        if not self.websocket.closed:
            await self.websocket.close(code=code, message=reason.encode("utf-8")[:120])
