"""The benchmarks' terminal: start a child on its own pseudo-terminal, and a small emulator
(:class:`Terminal`) that turns what the child wrote into the characters on screen."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import termios
import unicodedata
from collections.abc import Sequence


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


def apply_csi(term: Terminal, body: str, final: str) -> None:
    """Cursor moves (CUP, CUU/CUD/CUF/CUB, CHA, VPA) and erases (ED, EL, ECH) of ``ESC [ body final``.

    Private modes (``body`` starting with ``?``) are :meth:`Terminal._mode`'s.
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


_ALT_SCREEN = {"1049", "1047", "47"}


class Terminal:
    """A small terminal emulator: enough of xterm for Textual's output.

    Text, CR/LF/BS/TAB, cursor moves and erases (:func:`apply_csi`), autowrap on and off
    (``ESC [?7h/l``: Textual turns it off, so a character at the last column overwrites
    it), the alternate screen (``ESC [?1049h/l``), wide (East Asian) characters taking
    two cells and combining marks taking none.
    """

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.main = self._blank()
        self.grid = self.main
        self.x = self.y = 0
        self.autowrap = True

    def _blank(self) -> list[list[str]]:
        return [[" "] * self.cols for _ in range(self.rows)]

    def feed(self, data: bytes | str) -> None:
        """Take what the child wrote (bytes are decoded as UTF-8)."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for i, tok in enumerate(TOKEN.split(text)):
            if tok:
                self._control(tok) if i % 2 else self._text(tok)

    def _newline(self) -> None:
        self.y += 1
        if self.y >= self.rows:
            self.grid.pop(0)
            self.grid.append([" "] * self.cols)
            self.y = self.rows - 1

    def _text(self, tok: str) -> None:
        for ch in tok:
            if unicodedata.combining(ch):
                continue
            w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if self.x + w > self.cols:
                if self.autowrap:
                    self.x = 0
                    self._newline()
                else:  # the last cell is overwritten
                    self.x = self.cols - w
            row = self.grid[self.y]
            row[self.x] = ch
            if w == 2:
                row[self.x + 1] = ""
            self.x += w

    def _control(self, tok: str) -> None:
        if tok == "\r":
            self.x = 0
        elif tok == "\n":
            self._newline()
        elif tok == "\b":
            self.x = max(0, self.x - 1)
        elif tok == "\t":
            self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
        elif tok.startswith("\x1b[") and len(tok) > 2:
            body, final = tok[2:-1], tok[-1]
            if body.startswith("?"):
                self._mode(body[1:].split(";"), final)
            else:
                apply_csi(self, body, final)

    def _mode(self, params: list[str], final: str) -> None:
        if final not in "hl":
            return
        on = final == "h"
        if "7" in params:
            self.autowrap = on
        if _ALT_SCREEN & set(params):
            self.grid = self._blank() if on else self.main

    def lines(self) -> list[str]:
        """Every row as it is on screen (wide characters' second cells empty)."""
        return ["".join(r) for r in self.grid]

    def text(self) -> str:
        """The screen as text: rows without trailing blanks, empty rows at the bottom dropped."""
        lines = [line.rstrip() for line in self.lines()]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)
