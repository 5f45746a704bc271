"""Work done ahead in a forked child process, its result read back through a pipe.

Two users: :func:`annotate.segment.prefetch` segments a new document while the labeling
screen starts, and :mod:`annotate.listing` walks the project while the home screen starts
(or while a command reads back what it remembered). Linux only (fork without exec is not
safe everywhere) and never with other threads running. The caller checks what comes back:
if anything goes wrong it does the work itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Child:
    """A child started by :func:`start`: its process id and the read end of its pipe."""

    pid: int
    fd: int


def start(work: Callable[[], bytes]) -> Child | None:
    """Run ``work()`` in a forked child that writes what it returns to a pipe and exits; None when no child could
    be started (not Linux, another thread running, fork failed)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: work, write, leave without any cleanup of the parent's
        code = 1
        try:
            os.close(r)
            view = memoryview(work())
            while view:
                view = view[os.write(w, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    return Child(pid, r)


def collect(child: Child) -> bytes | None:
    """What the child wrote (waits for it to finish), or None when it failed."""
    chunks = []
    try:
        while chunk := os.read(child.fd, 1 << 16):
            chunks.append(chunk)
    except OSError:
        chunks = []
    finally:
        os.close(child.fd)
    try:
        _, status = os.waitpid(child.pid, 0)
    except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler): the caller's checks are enough
        status = 0
    return b"".join(chunks) if status == 0 else None


def ready(child: Child, wait: float = 0.0) -> bool:
    """True when the child has written (or closed its pipe) within ``wait`` seconds."""
    import select

    try:
        return bool(select.select([child.fd], [], [], wait)[0])
    except (OSError, ValueError):
        return False


def stop(child: Child) -> None:
    """Stop and reap a child whose result is not wanted."""
    import signal

    os.close(child.fd)
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)
