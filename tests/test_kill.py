"""kill -9 in the middle of labeling loses nothing: every key shown is on disk and the files validate."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from snapshot_apps import DOC, REPO, build_project

from annotate.reading import journal_path, load_current
from annotate.store import read_label_file

KEYS: list[tuple[bytes, str]] = [
    (b"1", "0 fact, on to 1"),
    (b"s", "1 speculation, on to 2"),
    (b"j", "down to 3"),
    (b"q", "3 quote, on to 4"),
    (b"k", "up to 3"),
    (b"!", "3 unsure"),
    (b"u", "undo: 3 not unsure"),
    (b"\x1a", "ctrl+z, undo: 3 unlabeled"),
    (b"\x19", "ctrl+y, redo: 3 quote"),
    (b"o", "3 opinion, on to 4"),
    (b"!", "4 unsure"),
    (b"g", "next unlabeled after 4: 5"),
    (b"4", "5 opinion, on to 6"),
]
"""The keys typed, with what each should do (the expected state below follows them)."""

EXPECTED_LABELS = {0: "fact", 1: "speculation", 3: "opinion", 5: "opinion"}
EXPECTED_UNSURE = {4}


class Terminal:
    """``python -m annotate ...`` in a pseudo-terminal of 100x30, its output drained in a thread."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
        env.pop("TEXTUAL", None)
        self.output = bytearray()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size the terminal, then become annotate
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
                os.chdir(cwd)
                os.execvpe(sys.executable, [sys.executable, "-m", "annotate", *args], env)
            finally:
                os._exit(127)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready:
                    data = os.read(self.fd, 65536)
                    if not data:
                        return
                    self.output += data
            except OSError:
                return

    def wait_for(self, text: bytes, timeout: float = 8.0) -> None:
        """Wait until ``text`` has been written to the terminal."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; output ends {bytes(self.output[-400:])!r}")
            time.sleep(0.02)

    def type(self, key: bytes) -> None:
        """Type one key."""
        os.write(self.fd, key)

    def kill(self) -> int:
        """SIGKILL the app; returns its wait status."""
        os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status


def test_kill_9_while_labeling_loses_nothing(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    term = Terminal(["--root", str(project.root), "label", DOC, "--annotator", "alice"], cwd=REPO)
    try:
        term.wait_for(b"labeled")  # the bar of the labeling screen: the document is open
        time.sleep(0.2)
        for key, _what in KEYS:
            term.type(key)
            time.sleep(0.08)
        time.sleep(0.3)
    finally:
        status = term.kill()
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    path = project.label_path(DOC, "alice")
    assert journal_path(path).exists(), "killed after a fold: the journal was not put to the test"

    result = subprocess.run([sys.executable, "-m", "annotate", "--root", str(project.root), "validate"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 of 1 label files valid" in result.stderr

    read_label_file(path)  # the YAML file by itself parses too (the journal holds the rest)
    labels = load_current(path)
    got = {i: s.label for i, s in enumerate(labels.sentences) if s.label is not None}
    unsure = {i for i, s in enumerate(labels.sentences) if s.unsure}
    assert (got, unsure) == (EXPECTED_LABELS, EXPECTED_UNSURE)
    assert all(s.seconds is None or s.seconds < 10 for s in labels.sentences)
