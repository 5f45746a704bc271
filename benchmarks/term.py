"""What the benchmarks' small terminal emulators share: starting a child on its own
pseudo-terminal, splitting pty output into text and control sequences, and the cursor
and erase sequences (CSI) Textual sends."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import termios
from collections.abc import Sequence
from typing import Protocol


def _set_ctty() -> None:  # in the child, after setsid() and the dup2()s: the pty becomes its terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn_on_pty(argv: Sequence[str], cwd: str, env: dict[str, str], cols: int, rows: int
                 ) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``argv`` in its own session with a ``cols`` x ``rows`` pseudo-terminal as its
    controlling terminal and stdin/stdout/stderr; returns the process and the master fd."""
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                start_new_session=True, preexec_fn=_set_ctty, close_fds=True)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master

TOKEN = re.compile(
    r"(\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # other escapes
    r"|[\x00-\x1f\x7f])"
)
"""``TOKEN.split(text)``: text at even indexes, one control sequence at each odd index."""


class Grid(Protocol):
    cols: int
    rows: int
    x: int
    y: int
    grid: list[list[str]]

    def _blank(self) -> list[list[str]]: ...


def apply_csi(term: Grid, body: str, final: str) -> None:
    """Cursor moves (CUP, CUU/CUD/CUF/CUB, CHA, VPA) and erases (ED, EL, ECH) of ``ESC [ body final``.

    Private modes (``body`` starting with ``?``) are the caller's: emulators differ on the
    alternate screen.
    """
    nums = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", body)] if body else []
    a = nums[0] if nums else 0
    b = nums[1] if len(nums) > 1 else 0
    if final in "Hf":
        term.y = min(term.rows - 1, max(1, a) - 1)
        term.x = min(term.cols - 1, max(1, b) - 1)
    elif final == "A":
        term.y = max(0, term.y - max(1, a))
    elif final == "B":
        term.y = min(term.rows - 1, term.y + max(1, a))
    elif final == "C":
        term.x = min(term.cols - 1, term.x + max(1, a))
    elif final == "D":
        term.x = max(0, term.x - max(1, a))
    elif final == "G":
        term.x = min(term.cols - 1, max(1, a) - 1)
    elif final == "d":
        term.y = min(term.rows - 1, max(1, a) - 1)
    elif final == "J":
        if a in (2, 3):
            term.grid[:] = term._blank()
        elif a == 0:
            term.grid[term.y][term.x:] = [" "] * (term.cols - term.x)
            for r in range(term.y + 1, term.rows):
                term.grid[r] = [" "] * term.cols
    elif final == "K":
        row = term.grid[term.y]
        if a == 0:
            row[term.x:] = [" "] * (term.cols - term.x)
        elif a == 1:
            row[: term.x + 1] = [" "] * (term.x + 1)
        else:
            row[:] = [" "] * term.cols
    elif final == "X":
        n = max(1, a)
        term.grid[term.y][term.x: term.x + n] = [" "] * min(n, term.cols - term.x)
