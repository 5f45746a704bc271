"""Drive ``annotate serve`` from Python as a browser does: the server process, accounts, login, tabs over websockets.

Shared by ``bench_serve.py`` and the tests (``tests/test_serve_*.py``). A tab speaks
textual-serve's protocol, as its ``textual.js`` does: JSON text messages ``["stdin", keys]``,
``["resize", {"width": W, "height": H}]``, ``["ping", ...]``; the app's screen comes back as
binary messages (terminal output), kept here with the escape sequences taken out, so a test
can wait for a piece of text to appear.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``annotate serve`` on a project, in a process of its own, on a free port of 127.0.0.1."""

    def __init__(self, root: Path, log: Path, *extra: str) -> None:
        self.root = Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(log)
        argv = [sys.executable, "-m", "annotate", "--root", str(self.root), "serve", "--port", str(self.port), *extra]
        env = {k: v for k, v in os.environ.items() if k != "ANNOTATE_ANNOTATOR"}
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"annotate serve exited ({self.process.returncode}): {self.log.read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"annotate serve did not listen within {timeout} s")

    def children(self) -> list[int]:
        """Ids of the server's child processes (one per open tab)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry))
        return found

    def stop(self) -> int:
        """SIGTERM, as a service manager would; the sessions are asked to quit. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def add_account(root: Path, name: str, password: str, role: str = "annotator") -> None:
    """Create an account and set its password, as its login link's page would."""
    from annotate.serve.accounts import AccountStore

    store = AccountStore(root)
    issued = store.add(name, role)  # type: ignore[arg-type]
    assert store.use_link(issued.token, password) is not None


def browser() -> aiohttp.ClientSession:
    """An HTTP client that keeps cookies like a browser does (also for 127.0.0.1, which aiohttp skips by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(http: aiohttp.ClientSession, url: str, name: str, password: str) -> aiohttp.ClientResponse:
    """Log in with the login form (the server's own Origin); the session cookie lands in ``http``'s jar."""
    return await http.post(f"{url}/login", data={"name": name, "password": password},
                           headers={"Origin": url}, allow_redirects=False)


class Tab:
    """One browser tab's websocket: what the app drew (as text), keys and resizes sent to it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.text = ""
        self.strings: list[str] = []
        self.changed = asyncio.Event()
        self.reading = True
        """False: the screen is not decoded (a benchmark's client keeps its CPU for the clocks)."""
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, url: str, width: int = 120, height: int = 40,
                   origin: str | None = None, answer_pings: bool = True) -> Tab:
        """Open the websocket as the page does (``/ws?width=..&height=..``).

        ``answer_pings=False``: the tab stops answering the server's pings, as when the network is lost.
        """
        ws = await http.ws_connect(f"{url}/ws?width={width}&height={height}", origin=origin or url,
                                   max_msg_size=0, autoping=answer_pings)
        return cls(ws)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY and self.reading:
                self.text = (self.text + ESCAPES.sub(b"", message.data).decode("utf-8", "replace"))[-200_000:]
            elif message.type == aiohttp.WSMsgType.TEXT:
                self.strings.append(message.data)
            self.changed.set()
        self.changed.set()

    async def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        """Wait until ``needle`` appears in what the app drew since the last ``mark()``."""
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            if self.ws.closed and self.reader.done():
                raise AssertionError(f"tab closed ({self.ws.close_code}) before {needle!r} appeared")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} did not appear within {timeout} s; last: {self.text[-400:]!r}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                pass

    def mark(self) -> None:
        """Forget what was drawn so far (the next ``wait_for`` looks at new output only)."""
        self.text = ""

    async def send(self, envelope: object) -> None:
        """Send one protocol message (anything JSON; the tests send malformed ones too)."""
        await self.ws.send_json(envelope)

    async def press(self, keys: str) -> None:
        """Type keys (terminal input: ``"\\r"`` is Enter)."""
        await self.send(["stdin", keys])

    async def resize(self, width: int, height: int) -> None:
        """Tell the app the tab's terminal size changed."""
        await self.send(["resize", {"width": width, "height": height}])

    async def closed(self, timeout: float = 30.0) -> int | None:
        """Wait until the server closes the tab; returns the close code."""
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        return self.ws.close_code

    async def close(self) -> None:
        """Close the tab as a browser does when it is closed or reloaded."""
        await self.ws.close()
        await self.reader
