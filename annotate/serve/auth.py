"""Browser sessions of ``annotate serve`` and the slow-down of failed logins: plain objects, no web code."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .accounts import Account

SESSION_IDLE = 12 * 3600.0
"""A session unused this long (seconds) ends: log in again."""
SESSION_MAX = 7 * 24 * 3600.0
"""A session ends this long after its login, however busy."""
COOKIE = "annotate_session"
"""Name of the session cookie."""


def _key(cookie: str) -> str:
    """What the session table keeps of a cookie: its hash, so the table itself holds no usable secret."""
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


@dataclass
class WebSession:
    """One logged-in browser: whose it is and since when; the key is the hash of its cookie."""

    key: str
    name: str
    stamp: str
    created: float
    seen: float


@dataclass
class Sessions:
    """The logged-in browsers, kept in memory (a restart of the server asks everyone to log in again).

    A session is valid while its account exists with the same password (``Account.stamp``),
    it was used within ``idle`` seconds and is younger than ``lifetime`` seconds.
    """

    idle: float = SESSION_IDLE
    lifetime: float = SESSION_MAX
    clock: Callable[[], float] = time.monotonic
    table: dict[str, WebSession] = field(default_factory=dict)

    def start(self, account: Account) -> str:
        """A new session for ``account``; returns the cookie value (shown to the browser only)."""
        cookie = secrets.token_urlsafe(32)
        now = self.clock()
        self.table[_key(cookie)] = WebSession(_key(cookie), account.name, account.stamp, now, now)
        return cookie

    def find(self, cookie: str | None, accounts: Mapping[str, Account]) -> tuple[WebSession, Account] | None:
        """The session of a cookie and its account, when both are still valid (the session counts as used)."""
        if not cookie:
            return None
        session = self.table.get(_key(cookie))
        if session is None:
            return None
        account = accounts.get(session.name)
        if not self._valid(session, account):
            self.table.pop(session.key, None)
            return None
        session.seen = self.clock()
        assert account is not None
        return session, account

    def end(self, cookie: str | None) -> WebSession | None:
        """End the session of a cookie (logout); returns it, if there was one."""
        return self.table.pop(_key(cookie), None) if cookie else None

    def prune(self, accounts: Mapping[str, Account]) -> list[WebSession]:
        """End every session no longer valid (account removed, password changed, expired); returns them."""
        gone = [s for s in self.table.values() if not self._valid(s, accounts.get(s.name))]
        for s in gone:
            del self.table[s.key]
        return gone

    def _valid(self, session: WebSession, account: Account | None) -> bool:
        now = self.clock()
        return (account is not None and account.stamp == session.stamp
                and now - session.seen < self.idle and now - session.created < self.lifetime)


@dataclass
class Throttle:
    """Failed attempts per key (an account, a client address) and how long the next one must wait.

    The first ``free`` attempts go unhindered; after that each failure doubles the wait, from
    ``base`` seconds up to ``cap``. A key with no failure for ``forget`` seconds starts over,
    and a success clears it. With a small ``cap`` for accounts, someone guessing alice's
    password slows alice down by at most ``cap`` seconds, never locks her out.
    """

    free: int = 5
    base: float = 1.0
    cap: float = 60.0
    forget: float = 15 * 60.0
    clock: Callable[[], float] = time.monotonic
    limit: int = 100_000
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def wait(self, key: str) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        entry = self.failures.get(key)
        if entry is None:
            return 0.0
        count, last = entry
        now = self.clock()
        if now - last >= self.forget:
            del self.failures[key]
            return 0.0
        return max(0.0, last + self.delay(count) - now)

    def delay(self, count: int) -> float:
        """The wait after ``count`` failures in a row."""
        if count < self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(count - self.free, 32))

    def failed(self, key: str) -> None:
        """Count a failure of ``key``."""
        if len(self.failures) >= self.limit:
            self._forget_old()
        self.wait(key)  # forgets a stale entry
        count = self.failures.get(key, (0, 0.0))[0]
        self.failures[key] = (count + 1, self.clock())

    def succeeded(self, key: str) -> None:
        """A success: ``key`` starts over."""
        self.failures.pop(key, None)

    def undo(self, key: str) -> None:
        """Take back one failure of ``key`` (an attempt counted as failed in advance that succeeded)."""
        count, last = self.failures.get(key, (0, 0.0))
        if count <= 1:
            self.failures.pop(key, None)
        else:
            self.failures[key] = (count - 1, last)

    def _forget_old(self) -> None:
        now = self.clock()
        for key, (_count, last) in list(self.failures.items()):
            if now - last >= self.forget:
                del self.failures[key]
        if len(self.failures) >= self.limit:  # still full: drop the oldest tenth
            oldest = sorted(self.failures, key=lambda k: self.failures[k][1])[: self.limit // 10 + 1]
            for key in oldest:
                del self.failures[key]
