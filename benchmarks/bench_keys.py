#!/usr/bin/env python3
"""Per-key clocks of ``annotate label``, measured from outside in a real pseudo-terminal.

    python benchmarks/bench_keys.py                  # everything (< 2 minutes)
    python benchmarks/bench_keys.py --only baseline  # the bare Textual app alone
    python benchmarks/bench_keys.py --only sample    # bare app + annotate on the sample article
    python benchmarks/bench_keys.py --keys-n 80 --startup-trials 8 --json out.json

Three clocks (the definitions are printed with every run):

* key-to-disk: a key byte is written to the pty master; the clock stops when
  one of the watched files (``--watch-glob``) changes: new inode, size or mtime
  (stat polling every ``--poll-ms``) or an inotify MODIFY/CLOSE_WRITE/MOVED_TO
  event (``--disk-probe inotify``). For an append-only journal this is the
  moment the line is written (the fsync is not visible from outside); for
  write-temp-then-rename it is the rename, after the fsync.
* key-to-screen: the same key; the clock stops at the last output byte read
  from the pty before the terminal has been quiet for ``--quiet-ms``.
* start-up: spawn to the first label on disk. The first key is sent when the
  app's first screen output has gone quiet, and re-sent every ``--resend-ms``
  until a watched file changes (in case the app drops keys while loading).

Each app is compared with ``benchmarks/bare_app.py`` (a bare Textual app that
writes a tiny YAML file durably and repaints one line per key), measured in the
same run and interleaved with it, and the ratios are checked against targets.

Everything happens in a throw-away project directory: the sample article,
``schemas/`` and a generated 10,000-sentence document (``make_big_doc.py``).
Only the standard library is used; children run in their own sessions and
are killed on exit.
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import ctypes.util
import errno
import fnmatch
import glob
import json
import os
import random
import re
import select
import shlex
import shutil
import signal
import struct
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import make_big_doc  # noqa: E402
from term import TOKEN, Terminal, spawn_on_pty  # noqa: E402

SAMPLE_DOC = "kim-visits-beijing"
now = time.perf_counter

DEFAULT_APP_CMD = "{python} -m annotate --root {root} label {doc} --annotator bench"
DEFAULT_BARE_CMD = "{python} {here}/bare_app.py --out {root}/bare/bench.yaml"

DEFINITIONS = """\
Definitions (all times from outside the process, in a {cols}x{rows} pseudo-terminal, TERM=xterm-256color):
  key-to-disk    key byte written to the pty -> first change of a watched file
                 ({probe}; app: {watch}; ignored names: {ignore}).
                 An append-only journal is seen at write(); its fsync is not observable.
  key-to-screen  key byte written -> last output byte before the first {quiet:g} ms without output.
  key-to-settled key byte written -> last output byte before {settle:g} ms without output (late
                 repaints: scroll animations, timers); information only. The next key is sent
                 only after this silence (or {settle_max:g} ms), plus {gap:g} ms.
  start-up       spawn -> first label on disk. Key '{key}' is sent when the first screen output
                 has been quiet for {quiet:g} ms, and re-sent every {resend:g} ms until a watched
                 file changes (apps may drop keys while loading). 'reopen': the label file
                 exists (snapshot taken after a first session quit with ctrl+q, restored before
                 every trial); 'first open': no label file yet.
  Keys '{keys}' (cycled); {warmup} unrecorded warm-up keys per session; subjects interleaved key by
  key (and trial by trial) in random order; targets compare medians.
"""


# --------------------------------------------------------------------------- utilities


def pctl(values: list[float], q: float) -> float:
    """Percentile with linear interpolation (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ms(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x * 1000:.1f}"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- screen





def strip_escapes(data: bytes) -> str:
    text = TOKEN.sub(lambda m: "\n" if m.group(0) in ("\n", "\r") else "", data.decode("utf-8", "replace"))
    return re.sub(r"\n\s*\n+", "\n", text).strip()


# --------------------------------------------------------------------------- processes

_LIVE: list[Session] = []


class AppFailed(RuntimeError):
    def __init__(self, msg: str, session: Session | None = None) -> None:
        super().__init__(msg)
        self.session = session


class Session:
    """One child process on its own pseudo-terminal; output is drained continuously."""

    MAX_BUF = 2 << 20

    def __init__(self, name: str, argv: list[str], cwd: str, env: dict[str, str], cols: int, rows: int) -> None:
        self.name, self.argv, self.cols, self.rows = name, argv, cols, rows
        self.buf = bytearray()
        self.nbytes = 0
        self.first_byte_t: float | None = None
        self.last_byte_t: float | None = None
        self.keys_sent = 0
        self.eof = False
        self.t_spawn = now()
        self.proc, master = spawn_on_pty(argv, cwd, env, cols, rows)
        self.fd = master
        os.set_blocking(master, False)
        _LIVE.append(self)

    def read_available(self) -> int:
        got = 0
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError as exc:  # EIO: the child side is closed
                if exc.errno != errno.EIO:
                    raise
                self.eof = True
                break
            if not chunk:
                self.eof = True
                break
            got += len(chunk)
            self.buf += chunk
        if got:
            t = now()
            self.nbytes += got
            if self.first_byte_t is None:
                self.first_byte_t = t
            self.last_byte_t = t
            if len(self.buf) > self.MAX_BUF:
                del self.buf[: len(self.buf) - self.MAX_BUF // 2]
        return got

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, data: bytes) -> float:
        t = now()
        os.write(self.fd, data)
        self.keys_sent += 1
        return t

    def ensure_alive(self, doing: str) -> None:
        if not self.alive():
            pump(0.05)
            self.read_available()
            raise AppFailed(f"{self.name} exited with code {self.proc.returncode} while {doing}", self)

    def screen(self) -> str:
        scr = Terminal(self.cols, self.rows)
        scr.feed(bytes(self.buf))
        return scr.text()

    def report(self) -> str:
        """Screen and output tail, for error messages."""
        out = [f"--- {self.name}: {' '.join(map(shlex.quote, self.argv))}"]
        out.append(f"--- {self.nbytes} output bytes; emulated screen:")
        out.append(self.screen() or "(empty)")
        tail = re.sub(r"[ \t]{3,}", "  ", strip_escapes(bytes(self.buf[-20000:])))
        out.append("--- output tail without escape sequences:")
        out.append("\n".join(tail[-2500:].splitlines()[-40:]) or "(none)")
        return "\n".join(out)

    def close(self, quit_key: bytes | None, timeout: float) -> float | None:
        """Ask the app to quit (quit_key), wait up to timeout, then TERM/KILL. Returns quit time."""
        quit_time = None
        try:
            if quit_key and self.alive() and not self.eof:
                t0 = now()
                try:
                    os.write(self.fd, quit_key)
                except OSError:
                    pass
                while self.alive() and now() - t0 < timeout:
                    pump(0.01)
                if not self.alive():
                    quit_time = now() - t0
            self.kill()
        finally:
            if self in _LIVE:
                _LIVE.remove(self)
            try:
                os.close(self.fd)
            except OSError:
                pass
        return quit_time

    def kill(self) -> None:
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                return
            try:
                os.killpg(self.proc.pid, sig)  # our child's own session/group
            except (ProcessLookupError, PermissionError):
                return
            t0 = now()
            while self.proc.poll() is None and now() - t0 < wait:
                pump(0.01)


def pump(timeout: float, extra: list[int] | None = None) -> list[int]:
    """Wait up to ``timeout`` for output of any live session (draining all) or an extra fd."""
    fds = [s.fd for s in _LIVE if not s.eof] + (extra or [])
    if not fds:
        time.sleep(max(0.0, timeout))
        return []
    try:
        ready = select.select(fds, [], [], max(0.0, timeout))[0]
    except InterruptedError:
        return []
    for s in list(_LIVE):
        if s.fd in ready:
            s.read_available()
    return ready


def kill_all() -> None:
    for s in list(_LIVE):
        try:
            s.close(None, 0)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(kill_all)


# --------------------------------------------------------------------------- disk watching


class _Inotify:
    IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO = 0x2, 0x8, 0x80
    MASK = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO
    IN_Q_OVERFLOW = 0x4000

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd = fd
        self.wd_dir: dict[int, str] = {}

    def watch(self, directory: str) -> bool:
        wd = self._add(self.fd, os.fsencode(directory), self.MASK)
        if wd < 0:
            return False
        self.wd_dir[wd] = directory
        return True

    def events(self) -> list[tuple[str, str, int]]:
        out: list[tuple[str, str, int]] = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            pos = 0
            while pos + 16 <= len(data):
                wd, mask, _cookie, length = struct.unpack_from("iIII", data, pos)
                name = data[pos + 16 : pos + 16 + length].split(b"\0", 1)[0]
                pos += 16 + length
                out.append((self.wd_dir.get(wd, ""), os.fsdecode(name), mask))

    def close(self) -> None:
        os.close(self.fd)


class Watcher:
    """Tells whether any file matching the patterns changed since ``arm()``."""

    def __init__(self, root: str, patterns: list[str], ignores: list[str], probe: str) -> None:
        self.root, self.patterns, self.ignores = root, patterns, ignores
        self.inotify: _Inotify | None = None
        if probe in ("inotify", "auto") and sys.platform.startswith("linux"):
            if not any(glob.has_magic(os.path.dirname(p)) for p in patterns):
                try:
                    self.inotify = _Inotify()
                except (OSError, AttributeError):
                    if probe == "inotify":
                        raise
        self.polling = self.inotify is None
        self.base: dict[str, tuple[int, int, int, int]] = {}

    def _ignored(self, rel: str) -> bool:
        name = os.path.basename(rel)
        return any(fnmatch.fnmatch(name, ig) for ig in self.ignores)

    def _matches(self, rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, p) for p in self.patterns) and not self._ignored(rel)

    def _sig(self) -> dict[str, tuple[int, int, int, int]]:
        sig = {}
        for pat in self.patterns:
            for rel in glob.glob(pat, root_dir=self.root, include_hidden=True):
                if self._ignored(rel):
                    continue
                try:
                    st = os.stat(os.path.join(self.root, rel))
                except OSError:
                    continue
                sig[rel] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        return sig

    def fileno(self) -> list[int]:
        return [] if self.polling or self.inotify is None else [self.inotify.fd]

    def arm(self) -> None:
        """Take the reference state; changes after this count."""
        self.base = self._sig()
        if self.inotify is not None:
            self.inotify.events()  # discard old events
            self.polling = not all(
                self.inotify.watch(os.path.join(self.root, os.path.dirname(p))) for p in self.patterns
            )

    def check(self) -> str | None:
        """Name (relative to the root) of a changed file, or None."""
        if not self.polling and self.inotify is not None:
            for directory, name, mask in self.inotify.events():
                if mask & _Inotify.IN_Q_OVERFLOW:
                    return self._poll()
                rel = os.path.relpath(os.path.join(directory, name), self.root)
                if name and self._matches(rel):
                    return rel
            return None
        return self._poll()

    def _poll(self) -> str | None:
        for rel, sig in self._sig().items():
            if self.base.get(rel) != sig:
                return rel
        return None

    def close(self) -> None:
        if self.inotify is not None:
            self.inotify.close()


# --------------------------------------------------------------------------- subjects


@dataclass
class Subject:
    name: str  # short label in the tables
    argv: list[str]
    watch: list[str]  # globs relative to the project root
    labels_dir: str | None  # relative dir reset before fresh sessions
    budget: int | None  # keys per session before a restart (sentences in the doc)
    snapshot: str | None = None  # dir with a copy of labels_dir after a first clean session
    watcher: Watcher | None = None
    session: Session | None = None
    keys: list[tuple[float, float, float | None, str]] = field(default_factory=list)
    sessions: int = 0
    last_screen: str = ""


@dataclass
class Cfg:
    root: str
    env: dict[str, str]
    cols: int
    rows: int
    quiet: float
    settle: float
    settle_max: float
    gap: float
    poll: float
    resend: float
    key_timeout: float
    start_timeout: float
    first_open_timeout: float
    quit_timeout: float
    quit_key: bytes
    keys: str
    warmup: int
    probe: str
    ignores: list[str]


def spawn(cfg: Cfg, subj: Subject) -> Session:
    subj.sessions += 1
    try:
        return Session(subj.name, subj.argv, cfg.root, cfg.env, cfg.cols, cfg.rows)
    except OSError as exc:
        raise AppFailed(f"{subj.name}: cannot start {' '.join(subj.argv)}: {exc}") from None


def reset_labels(cfg: Cfg, subj: Subject, restore: bool) -> None:
    """Fresh start (no label files) or the snapshot taken after a first session."""
    if not subj.labels_dir:
        return
    path = os.path.join(cfg.root, subj.labels_dir)
    shutil.rmtree(path, ignore_errors=True)
    if restore and subj.snapshot:
        shutil.copytree(subj.snapshot, path, symlinks=True)


def take_snapshot(cfg: Cfg, subj: Subject) -> None:
    assert subj.labels_dir
    src = os.path.join(cfg.root, subj.labels_dir)
    if not os.path.isdir(src):
        raise AppFailed(f"{subj.name}: no {subj.labels_dir}/ after a session that saved a label")
    dst = os.path.join(cfg.root, ".bench-snapshots", subj.labels_dir.replace("/", "_"))
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    subj.snapshot = dst


def wait_quiet(s: Session, quiet: float, timeout: float, doing: str) -> None:
    """Until the session has produced output and then none for ``quiet`` seconds."""
    t0 = now()
    while True:
        t = now()
        last = s.last_byte_t
        if last is not None and t - last >= quiet:
            return
        if t - t0 > timeout:
            raise AppFailed(f"{s.name}: screen never went quiet within {timeout:g} s while {doing}", s)
        s.ensure_alive(doing)
        pump(quiet if last is None else max(0.0, quiet - (t - last)))


def start_up(cfg: Cfg, subj: Subject, timeout: float) -> dict[str, Any]:
    """Spawn, wait for the first screen, send the key until a label reaches disk."""
    assert subj.watcher is not None
    s = spawn(cfg, subj)
    subj.session = s
    deadline = s.t_spawn + timeout
    doing = "starting (waiting for its first screen output)"
    while s.first_byte_t is None:
        s.ensure_alive(doing)
        if now() > deadline:
            raise AppFailed(f"{s.name}: no output within {timeout:g} s", s)
        pump(0.01)
    wait_quiet(s, cfg.quiet, max(1.0, deadline - now()), doing)
    first_frame = s.last_byte_t - s.t_spawn  # type: ignore[operator]
    key = cfg.keys[0].encode()
    subj.watcher.arm()
    t_send = s.send(key)
    doing = "starting (waiting for the first label on disk)"
    while True:
        extra = subj.watcher.fileno()
        to = cfg.poll if subj.watcher.polling else 0.02
        ready = pump(to, extra)
        t = now()
        if subj.watcher.polling or (extra and extra[0] in ready):
            changed = subj.watcher.check()
            if changed:
                return {
                    "startup": t - s.t_spawn,
                    "first_output": s.first_byte_t - s.t_spawn,
                    "first_frame": first_frame,
                    "keys_sent": s.keys_sent,
                    "file": changed,
                }
        s.ensure_alive(doing)
        if t > deadline:
            raise AppFailed(
                f"{s.name}: no label on disk within {timeout:g} s of spawn "
                f"({s.keys_sent} x key {key!r} sent; watching {subj.watch})",
                s,
            )
        if t - t_send >= cfg.resend:
            t_send = s.send(key)


def press(cfg: Cfg, subj: Subject, key: bytes) -> tuple[float | None, float | None, float | None, str]:
    """One key: (key-to-disk, key-to-screen, key-to-settled, changed file).

    key-to-screen ends at the last byte before the first ``quiet`` silence, key-to-settled
    at the last byte before a ``settle`` silence (later repaints: animations, timers).
    None where a clock did not stop. Returns only once the screen has settled (or
    ``settle_max`` has passed), so a key never sees the previous key's late output.
    """
    s, w = subj.session, subj.watcher
    assert s is not None and w is not None
    pump(0)
    w.arm()
    t0 = s.send(key)
    disk_t: float | None = None
    screen_t: float | None = None
    changed = ""
    deadline = t0 + cfg.key_timeout
    while True:
        t = now()
        last = s.last_byte_t if (s.last_byte_t or 0) > t0 else None
        if last is not None and screen_t is None and t - last >= cfg.quiet:
            screen_t = last
        if disk_t is not None and last is not None:
            if t - last >= cfg.settle:
                return disk_t - t0, (screen_t or last) - t0, last - t0, changed
            if screen_t is not None and t - t0 >= cfg.settle_max:
                return disk_t - t0, screen_t - t0, None, changed
        if t > deadline:
            break
        if disk_t is None and w.polling:
            to = cfg.poll
        elif last is not None:
            to = cfg.quiet - (t - last) if screen_t is None else cfg.settle - (t - last)
        else:
            to = 0.02
        extra = w.fileno() if disk_t is None else []
        prev = last
        ready = pump(max(0.0, min(to, deadline - t)), extra)
        t_wake = now()
        if screen_t is None and prev is not None and s.last_byte_t is not None and s.last_byte_t - prev >= cfg.quiet:
            screen_t = prev  # new output after a long enough silence
        if disk_t is None and (w.polling or (extra and extra[0] in ready)):
            c = w.check()
            if c:
                disk_t, changed = t_wake, c
        s.ensure_alive(f"handling key {key!r}")
    return (
        None if disk_t is None else disk_t - t0,
        None if screen_t is None else screen_t - t0,
        None,
        changed,
    )


def ready_session(cfg: Cfg, subj: Subject, fresh: bool) -> None:
    """(Re)start a subject for key measurements: labels reset, first label saved, warm-up keys."""
    if subj.session is not None:
        subj.session.close(cfg.quit_key, cfg.quit_timeout)
        subj.session = None
    reset_labels(cfg, subj, restore=not fresh)
    start_up(cfg, subj, cfg.start_timeout)
    s = subj.session
    assert s is not None
    wait_quiet(s, max(cfg.quiet, 0.1), cfg.key_timeout, "settling after start-up")
    for i in range(cfg.warmup):
        d, _scr, _settled, _f = press(cfg, subj, cfg.keys[(i + 1) % len(cfg.keys)].encode())
        if d is None:
            raise AppFailed(f"{s.name}: warm-up key {i + 1} did not reach disk", s)


def key_phase(cfg: Cfg, subjects: list[Subject], n: int, fresh: dict[str, bool], rng: random.Random) -> None:
    """n recorded keys per subject, interleaved key by key in random order."""
    for subj in subjects:
        subj.keys = []
        ready_session(cfg, subj, fresh[subj.name])
    failures: Counter[str] = Counter()
    i = 0
    while any(len(sj.keys) < n for sj in subjects):
        i += 1
        for subj in rng.sample(subjects, len(subjects)):
            if len(subj.keys) >= n:
                continue
            s = subj.session
            assert s is not None
            if subj.budget is not None and s.keys_sent + 1 > subj.budget:
                ready_session(cfg, subj, fresh[subj.name])
                s = subj.session
                assert s is not None
            pump(cfg.gap)
            key = cfg.keys[(s.keys_sent) % len(cfg.keys)].encode()
            disk, scr, settled, changed = press(cfg, subj, key)
            if disk is None or scr is None:
                failures[subj.name] += 1
                what = "disk" if disk is None else "screen"
                log(f"  ! {subj.name}: key {key!r}: no {what} change within {cfg.key_timeout:g} s")
                if failures[subj.name] >= 3:
                    raise AppFailed(f"{subj.name}: 3 keys without a {what} change", s)
                wait_quiet(s, cfg.quiet, cfg.key_timeout, "recovering")
                continue
            subj.keys.append((disk, scr, settled, changed))
    for subj in subjects:
        if subj.session is not None:
            subj.last_screen = subj.session.screen()
            subj.session.close(cfg.quit_key, cfg.quit_timeout)
            subj.session = None


def startup_trial(cfg: Cfg, subj: Subject, restore: bool, timeout: float, clean_quit: bool) -> dict[str, Any]:
    """One start-up; then quit with ctrl+q (timed) or, to save time, kill the process."""
    reset_labels(cfg, subj, restore=restore)
    try:
        res = start_up(cfg, subj, timeout)
        assert subj.session is not None
        res["quit"] = subj.session.close(cfg.quit_key if clean_quit else None, cfg.quit_timeout)
    finally:
        if subj.session is not None:
            subj.session.close(None, 0)
            subj.session = None
    return res


# --------------------------------------------------------------------------- reporting


def stats(values: list[float]) -> tuple[int, float, float]:
    return len(values), pctl(values, 0.5), pctl(values, 0.95)


def print_keys_table(title: str, subjects: list[Subject]) -> None:
    print(f"\n{title} (ms)")
    print(
        f"  {'subject':<28}{'n':>4}  {'disk med':>8} {'p95':>7}  {'screen med':>10} {'p95':>7}"
        f"  {'settled med':>11} {'p95':>7}  first changed file"
    )
    for sj in subjects:
        if not sj.keys:
            continue
        n, dm, dp = stats([k[0] for k in sj.keys])
        _, sm, sp = stats([k[1] for k in sj.keys])
        settled = [k[2] for k in sj.keys if k[2] is not None]
        _, tm, tp = stats(settled)
        unsettled = f" ({n - len(settled)} never settled)" if len(settled) < n else ""
        files = Counter(k[3] for k in sj.keys).most_common(2)
        ftxt = ", ".join(f"{f} x{c}" for f, c in files)
        print(
            f"  {sj.name:<28}{n:>4}  {ms(dm):>8} {ms(dp):>7}  {ms(sm):>10} {ms(sp):>7}"
            f"  {ms(tm):>11} {ms(tp):>7}  {ftxt}{unsettled}"
        )


def print_startup_table(rows: dict[str, list[dict[str, Any]]]) -> None:
    print("\nStart-up (ms)")
    print(
        f"  {'subject':<36}{'n':>3}  {'median':>7} {'p95':>7}  {'1st output':>10} "
        f"{'1st frame':>9} {'keys sent':>9} {'quit':>7}"
    )
    for name, res in rows.items():
        if not res:
            continue
        n, med, p95 = stats([r["startup"] for r in res])
        fo = pctl([r["first_output"] for r in res], 0.5)
        ff = pctl([r["first_frame"] for r in res], 0.5)
        ks = max(r["keys_sent"] for r in res)
        qs = [r["quit"] for r in res if r.get("quit") is not None]
        q = ms(pctl(qs, 0.5)) if qs else "-"
        print(f"  {name:<36}{n:>3}  {ms(med):>7} {ms(p95):>7}  {ms(fo):>10} {ms(ff):>9} {ks:>9} {q:>7}")
    print(
        "  1st output, 1st frame (end of the first burst), quit (ctrl+q to exit; only with"
        " --timed-quit): medians; keys sent: max per trial"
    )


# --------------------------------------------------------------------------- main


def build_project(root: str, big_sentences: int, big_doc: str, tagset: str | None) -> None:
    os.makedirs(os.path.join(root, "seeds"), exist_ok=True)
    os.makedirs(os.path.join(root, "labels"), exist_ok=True)
    os.makedirs(os.path.join(root, "schemas"), exist_ok=True)
    shutil.copy2(os.path.join(REPO, "seeds", f"{SAMPLE_DOC}.txt"), os.path.join(root, "seeds"))
    if os.path.isdir(os.path.join(REPO, "schemas")):
        shutil.copytree(os.path.join(REPO, "schemas"), os.path.join(root, "schemas"), dirs_exist_ok=True)
    if tagset:
        shutil.copyfile(tagset, os.path.join(root, "schemas", "claim-types.yaml"))
    make_big_doc.write_doc(root, big_sentences, big_doc)


def count_sentences(path: str) -> int | None:
    try:
        sys.path.insert(0, REPO)
        from annotate.segment import segment  # type: ignore[import-not-found]

        with open(path, encoding="utf-8") as fh:
            return len(segment(fh.read()))
    except Exception:  # noqa: BLE001 - the app may not be importable (yet)
        return None
    finally:
        if sys.path and sys.path[0] == REPO:
            sys.path.pop(0)


def make_env(cols: int, rows: int, extra: list[str], pycache: str | None = None) -> dict[str, str]:
    """The children's environment; ``pycache``: a private bytecode cache both subjects write and read.

    An installed package is byte-compiled (pip does it at install; an editable install
    on first import). With PYTHONDONTWRITEBYTECODE=1 in the environment (CI images, this
    sandbox) every start would compile annotate's modules from source again (~70 ms),
    which is not what a user's start-up costs; the private cache, filled by the warm-up
    runs, gives both subjects the installed state without writing into the repository.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEXTUAL") and k not in ("COLORTERM", "NO_COLOR", "TERM_PROGRAM")
    }
    env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    if pycache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    env["PYTHONPATH"] = os.pathsep.join([REPO] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    for item in extra:
        k, _, v = item.partition("=")
        env[k] = v
    return env


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Key-to-disk, key-to-screen and start-up clocks of `annotate label` "
        "against a bare Textual app, measured in a pseudo-terminal.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument(
        "--only",
        choices=["all", "baseline", "sample", "big"],
        default="all",
        help="baseline = the bare app alone; sample/big = bare app + annotate on one doc",
    )
    ap.add_argument("--keys-n", type=int, default=40, help="recorded keys per subject and document")
    ap.add_argument("--startup-trials", type=int, default=5, help="start-up trials per subject")
    ap.add_argument("--warmup", type=int, default=3, help="unrecorded keys after each start")
    ap.add_argument("--keys", default="1", help="label keys sent, cycled")
    ap.add_argument("--quiet-ms", type=float, default=30.0, help="silence that ends a repaint")
    ap.add_argument(
        "--settle-ms",
        type=float,
        default=100.0,
        help="silence after which the screen counts as settled (next key only then)",
    )
    ap.add_argument(
        "--settle-max-ms", type=float, default=2000.0, help="give up waiting for the settle silence after this long"
    )
    ap.add_argument(
        "--gap-ms", type=float, default=0.0, help="extra idle time before each key (after the settle silence)"
    )
    ap.add_argument("--poll-ms", type=float, default=0.1, help="stat polling interval")
    ap.add_argument(
        "--disk-probe",
        choices=["auto", "inotify", "poll"],
        default="auto",
        help="how file changes are seen (auto: inotify on Linux, else stat polling)",
    )
    ap.add_argument("--resend-ms", type=float, default=50.0, help="start-up: key resend interval")
    ap.add_argument("--key-timeout", type=float, default=10.0)
    ap.add_argument("--start-timeout", type=float, default=60.0)
    ap.add_argument("--first-open-timeout", type=float, default=180.0)
    ap.add_argument("--quit-timeout", type=float, default=30.0, help="wait for exit after ctrl+q")
    ap.add_argument(
        "--timed-quit",
        action="store_true",
        help="end start-up trials with ctrl+q and report the quit time (default: kill them)",
    )
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--big-sentences", type=int, default=10_000)
    ap.add_argument(
        "--app-cmd", default=DEFAULT_APP_CMD, help="app command; {python} {root} {doc} {here} {repo} are filled in"
    )
    ap.add_argument("--bare-cmd", default=DEFAULT_BARE_CMD, help="baseline command")
    ap.add_argument(
        "--watch-glob",
        action="append",
        default=None,
        help="app files whose change counts as 'on disk' (repeatable; default labels/{doc}/.bench.journal: "
        "a key's label goes there, fsynced, before the next key; the YAML file and its cache are written "
        "when a document opens and after a pause, which must not stop the clocks)",
    )
    ap.add_argument("--bare-watch-glob", default="bare/*bench*")
    ap.add_argument(
        "--ignore-glob",
        default="*.lock,*.tmp,*tmp*,*.part,*.new,*~,.#*",
        help="comma-separated file-name patterns never counted as a change",
    )
    ap.add_argument(
        "--keys-per-session",
        type=int,
        default=0,
        help="restart the sample session after this many keys (0: sentences - 1)",
    )
    ap.add_argument("--tagset", metavar="FILE", help="copy FILE to the project's schemas/claim-types.yaml")
    ap.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the children")
    ap.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run the children with the inherited bytecode settings (by default they share a private "
        "bytecode cache in the project, filled by the warm-up runs, as an installed package has)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    ap.add_argument("--show-screen", action="store_true", help="print each app's screen at the end of its key phase")
    ap.add_argument("--json", metavar="PATH", help="write all samples as JSON")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)  # children are killed in the finally below
    t_start = now()
    rng = random.Random(args.seed)
    big_doc = "big-10k" if args.big_sentences == 10_000 else f"big-{args.big_sentences}"
    root = tempfile.mkdtemp(prefix="annotate-bench-")
    watch = args.watch_glob or ["labels/{doc}/.bench.journal"]
    ignores = [g for g in args.ignore_glob.split(",") if g]
    cfg = Cfg(
        root=root,
        env=make_env(
            args.cols, args.rows, args.env, None if args.no_bytecode_cache else os.path.join(root, ".pycache")
        ),
        cols=args.cols,
        rows=args.rows,
        quiet=args.quiet_ms / 1000,
        settle=args.settle_ms / 1000,
        settle_max=args.settle_max_ms / 1000,
        gap=args.gap_ms / 1000,
        poll=args.poll_ms / 1000,
        resend=args.resend_ms / 1000,
        key_timeout=args.key_timeout,
        start_timeout=args.start_timeout,
        first_open_timeout=args.first_open_timeout,
        quit_timeout=args.quit_timeout,
        quit_key=b"\x11",
        keys=args.keys,
        warmup=args.warmup,
        probe=args.disk_probe,
        ignores=ignores,
    )
    fill = {"python": sys.executable, "root": root, "here": HERE, "repo": REPO}
    subjects: list[Subject] = []

    def subject(name: str, cmd: str, globs: list[str], doc: str | None, budget: int | None) -> Subject:
        f = dict(fill, doc=doc or "")
        sj = Subject(
            name=name,
            argv=[a.format(**f) for a in shlex.split(cmd)],
            watch=[g.format(**f) for g in globs],
            labels_dir=f"labels/{doc}" if doc else None,
            budget=budget,
        )
        sj.watcher = Watcher(root, sj.watch, ignores, args.disk_probe)
        subjects.append(sj)
        return sj

    results: dict[str, Any] = {"startup": {}, "keys": {}, "first_open": {}}
    failed = False
    try:
        log(f"project: {root}")
        build_project(root, args.big_sentences, big_doc, args.tagset)
        bare = subject("bare app", args.bare_cmd, [args.bare_watch_glob], None, None)
        want_sample = args.only in ("all", "sample")
        want_big = args.only in ("all", "big")
        n_sample = count_sentences(os.path.join(root, "seeds", f"{SAMPLE_DOC}.txt"))
        budget = args.keys_per_session or (n_sample - 1 if n_sample else 20)
        sample = subject(f"annotate {SAMPLE_DOC}", args.app_cmd, watch, SAMPLE_DOC, budget)
        big = subject(f"annotate {big_doc}", args.app_cmd, watch, big_doc, None)
        assert bare.watcher is not None
        probe = "inotify" if bare.watcher.inotify is not None else f"stat polling every {args.poll_ms:g} ms"
        print(
            DEFINITIONS.format(
                cols=args.cols,
                rows=args.rows,
                probe=probe,
                watch=", ".join(sample.watch),
                ignore=",".join(ignores),
                quiet=args.quiet_ms,
                key=args.keys[0],
                resend=args.resend_ms,
                keys=args.keys,
                gap=args.gap_ms,
                warmup=args.warmup,
                settle=args.settle_ms,
                settle_max=args.settle_max_ms,
            )
        )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, project {root}")
        if args.only != "baseline":
            print(f"app: {' '.join(sample.argv)}")
            print(
                f"sample: {SAMPLE_DOC} ({n_sample or '?'} sentences, restart every {budget} keys); "
                f"big: {big_doc} ({args.big_sentences} sentences)"
            )
        print(f"bare: {' '.join(bare.argv)}")
        pyc = cfg.env.get("PYTHONPYCACHEPREFIX")
        if args.no_bytecode_cache:
            print("bytecode: inherited environment (PYTHONDONTWRITEBYTECODE="
                  f"{cfg.env.get('PYTHONDONTWRITEBYTECODE', '')!r})")
        else:
            print(f"bytecode: both subjects share the cache {pyc}, filled by the warm-up runs")

        # Warm-up runs (byte-compile, page cache) and the label-file snapshots for re-opens.
        log("warm-up: bare app")
        quits = {bare.name: startup_trial(cfg, bare, False, cfg.start_timeout, True)["quit"]}
        if want_sample:
            log("warm-up: annotate on the sample (first open)")
            r = startup_trial(cfg, sample, False, cfg.start_timeout, True)
            quits[sample.name] = r["quit"]
            take_snapshot(cfg, sample)
        if want_big:
            log(f"first open of {big_doc} (segments {args.big_sentences} sentences)")
            r = startup_trial(cfg, big, False, cfg.first_open_timeout, True)
            quits[big.name] = r["quit"]
            results["first_open"][big.name] = r
            print(
                f"\nFirst open of {big_doc}: {ms(r['startup'])} ms to the first label on disk "
                f"(first output {ms(r['first_output'])} ms, {r['keys_sent']} keys sent)"
            )
            take_snapshot(cfg, big)
        results["quit"] = quits
        print(
            "Quit after the first session (ctrl+q to exit, ms): "
            + ", ".join(f"{k} {ms(v) if v is not None else 'did not exit'}" for k, v in quits.items())
        )

        # Start-up trials, interleaved in random order per round.
        trials: list[tuple[str, Subject, bool]] = [("bare app", bare, False)]
        if want_sample:
            trials += [(f"{sample.name} first", sample, False), (f"{sample.name} reopen", sample, True)]
        if want_big:
            trials += [(f"{big.name} reopen", big, True)]
        st: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in trials}
        log(f"start-up: {args.startup_trials} rounds x {len(trials)} subjects")
        for _ in range(args.startup_trials):
            for name, sj, restore in rng.sample(trials, len(trials)):
                timeout = cfg.start_timeout if restore or sj is not big else cfg.first_open_timeout
                st[name].append(startup_trial(cfg, sj, restore, timeout, args.timed_quit))
        results["startup"] = st

        # Key clocks, one phase per document, each interleaved with its own bare-app samples.
        phases: list[tuple[str, list[Subject]]] = []
        if args.only == "baseline":
            phases.append(("baseline", [bare]))
        if want_sample:
            phases.append((SAMPLE_DOC, [bare, sample]))
        if want_big:
            phases.append((big_doc, [bare, big]))
        for phase, subs in phases:
            log(f"keys: {phase}: {args.keys_n} keys x {len(subs)} subjects")
            fresh = {bare.name: True, sample.name: True, big.name: False}
            key_phase(cfg, subs, args.keys_n, fresh, rng)
            results["keys"][phase] = {sj.name: list(sj.keys) for sj in subs}
            print_keys_table(f"Key clocks: {phase}", subs)
            if args.show_screen:
                for sj in subs:
                    print(f"\n--- screen of {sj.name} after its last key ---\n{sj.last_screen}")
        print_startup_table(st)

        # Targets.
        def med(values: list[float]) -> float:
            return pctl(values, 0.5)

        def kv(phase: str, sj: Subject, idx: int) -> list[float]:
            rows = results["keys"].get(phase, {}).get(sj.name, [])
            return [r[idx] for r in rows if r[idx] is not None]

        checks: list[tuple[str, list[float], list[float], float, bool]] = []
        if want_sample:
            checks += [
                ("key-to-disk    sample / bare", kv(SAMPLE_DOC, sample, 0), kv(SAMPLE_DOC, bare, 0), 1.5, False),
                ("key-to-screen  sample / bare", kv(SAMPLE_DOC, sample, 1), kv(SAMPLE_DOC, bare, 1), 5.0, False),
                (
                    "start-up       sample reopen / bare",
                    [r["startup"] for r in st[f"{sample.name} reopen"]],
                    [r["startup"] for r in st["bare app"]],
                    1.5,
                    False,
                ),
                (
                    "start-up       sample first open / bare",
                    [r["startup"] for r in st[f"{sample.name} first"]],
                    [r["startup"] for r in st["bare app"]],
                    1.5,
                    False,
                ),
            ]
        if want_big:
            checks += [
                (f"key-to-disk    {big_doc} / bare", kv(big_doc, big, 0), kv(big_doc, bare, 0), 2.0, False),
                (
                    f"start-up       {big_doc} reopen / bare",
                    [r["startup"] for r in st[f"{big.name} reopen"]],
                    [r["startup"] for r in st["bare app"]],
                    3.0,
                    True,
                ),
            ]
        if want_big and want_sample:
            checks.append(
                (f"key-to-screen  {big_doc} / sample", kv(big_doc, big, 1), kv(SAMPLE_DOC, sample, 1), 1.5, False)
            )
        if checks:
            print("\nTargets (ratio of medians; p95 ratio for information)")
            for label, num, den, limit, strict in checks:
                if not num or not den:
                    print(f"  {label:<42} no data")
                    failed = True
                    continue
                ratio = med(num) / med(den)
                r95 = pctl(num, 0.95) / pctl(den, 0.95)
                ok = ratio < limit if strict else ratio <= limit
                failed |= not ok
                rel = "<" if strict else "<="
                print(f"  {label:<42} {ratio:6.2f}x  (p95 {r95:5.2f}x)  {rel} {limit:g}x  {'PASS' if ok else 'FAIL'}")
        results["config"] = {k: v for k, v in vars(args).items()}
        results["targets_passed"] = not failed
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(results, fh, indent=1, default=str)
        print(f"\ntotal time {now() - t_start:.0f} s")
        return 1 if failed else 0
    except AppFailed as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        if exc.session is not None:
            print(exc.session.report(), file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted {exc}", file=sys.stderr)
        return 130
    finally:
        kill_all()
        for sj in subjects:
            if sj.watcher is not None:
                sj.watcher.close()
        if args.keep:
            log(f"kept project {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
