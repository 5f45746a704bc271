#!/usr/bin/env python3
"""Crash harness: ``kill -9`` of ``annotate label`` and ``annotate review`` at random moments loses nothing.

    python benchmarks/crash_harness.py                         # 20 rounds, seed 0
    python benchmarks/crash_harness.py --rounds 200 --seed 1   # the long run
    python benchmarks/crash_harness.py --rounds 40 --seed 1 --big --time-limit 600
    python benchmarks/crash_harness.py --rounds 6 --kinds review,restart --quiet

Each round makes a fresh throw-away project (the repo's sample article and
tagset; a 10,000-sentence document in ``big`` rounds), starts the app as a real
process in a pseudo-terminal (100x30, ``TERM=xterm-256color``), types a seeded
random sequence of keys (labels by digit and letter, moves, ``g``, home/end,
undo, redo, clear, unsure, notes; in review also Enter and Tab) with random
small delays and pauses, and sends SIGKILL to its process group at a random
moment: mid-burst, just after a key, once the screen has settled, in the fold
window after a pause, or (big rounds) the moment the fold's temp file appears.
``restart`` rounds (and some review and big rounds) start the app again on the
killed project, type more and kill again, so that a journal left by a crash is
replayed by the next process and the lock left by the killed one must not block.

How a kill is judged. The harness is the app's terminal: it emulates the
screen from the pty output (frame by frame: it answers the app's synchronized-
output query, so every frame ends with ``ESC [?2026l``) and reads what the app
shows: the current sentence, its label and unsure flag, its note mark, and the
bar's counts. A pure model of the screen's logic (``Model``: label and move to
the next unlabeled sentence, undo/redo moving to the sentence they change,
review's next unresolved disagreement, ...) gives the state after every prefix
of the keys. A frame acknowledges ``j`` keys when it shows exactly what the
model shows after ``j`` keys (the smallest such ``j`` not below the previous
acknowledgement, so acknowledgements never run ahead of the app). After the
kill, for every label file under ``labels/``:

* the YAML file alone parses and validates, and the file with its journal
  passes the project's own full check (``annotate.validate.check_file``; the
  ``annotate validate`` command too, every few rounds); a parse cache that
  claims the YAML's sha256 holds the same data; failures count as corrupt;
* its contents (label, unsure, note, and for gold the reviewer and the
  annotators' labels, per sentence; time spent is ignored), as the next
  ``annotate`` would load them (YAML folded with the journal), equal the
  model's state after ``k`` keys for some ``k`` between the acknowledged count
  and the number of keys sent: keys not yet acknowledged may or may not have
  landed, but never partly and never out of order. A file matching no such
  ``k`` is a mismatch; a sentence whose acknowledged label is gone (no such
  ``k`` gives the label found on disk) counts as a lost label. A note is typed
  into its dialog and Enter follows once the dialog shows the text (as a person
  would; ``--burst-notes`` types Enter at once: see ``_type_and_kill``).
* annotators' files that a review round only reads are unchanged;
* after a round's last kill the document is opened again in-process
  (``LabelSession.open``: the stale lock must not block), shows the same state,
  and its fold leaves a YAML file with that state and no journal.

The exit code is 1 when anything was lost, corrupt, mismatched, or the harness
could not drive the app (errors). Only the standard library and ``annotate``
are used. Children run in their own sessions and are killed on any exit.
"""

from __future__ import annotations

import argparse
import atexit
import codecs
import contextlib
import errno
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import make_big_doc  # noqa: E402
from term import Terminal, spawn_on_pty  # noqa: E402

from annotate.errors import AnnotateError  # noqa: E402
from annotate.models import GOLD, LabelFile, Tagset  # noqa: E402
from annotate.reading import cache_path, journal_path, load_current  # noqa: E402
from annotate.segment import segment, segmenter_id  # noqa: E402
from annotate.session import LabelSession  # noqa: E402
from annotate.store import Project, new_label_file, read_label_file, save_label_file  # noqa: E402
from annotate.validate import check_file  # noqa: E402

COLS, ROWS = 100, 30
SAMPLE_DOC = "kim-visits-beijing"
BIG_DOC = "big-10k"
BIG_SENTENCES = 10_000
BIG_PRELABELED = 3_000
"""Sentences of the big document labeled before the rounds (so its YAML is not trivially small)."""
ANNOTATOR, REVIEWER, REVIEWED = "alice", "rita", ("alice", "bob")
FOLD_DELAY = 2.0
STABLE = 0.05
"""Seconds of a quiet terminal after a frame before the harness reads the screen (see App._drain)."""
"""The labeling screen folds the journal this long after the last change (label_screen.FOLD_DELAY)."""

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "synchronized output: supported, currently off"
SYNC_END = b"\x1b[?2026l"

KIND_NAMES = ("label", "restart", "review", "big")

now = time.monotonic

# ------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Step:
    """One write to the terminal and what it does in the model."""

    data: bytes
    op: str
    arg: Any = None
    delay: float = 0.0
    """Seconds to sleep after the write (0: burst); negative: wait until the screen is quiet."""


MOVES = [(b"\x1b[B", 1), (b"j", 1), (b"\x1b[A", -1), (b"k", -1)]
UNDO_KEYS = [b"u", b"\x1a"]  # u, ctrl+z
REDO_KEY = b"\x19"  # ctrl+y
CLEAR_KEYS = [b"\x7f", b"\x1b[3~"]  # backspace, delete
SCREEN_KEYS = set("jkgunO")
NOTE_CHARS = "abcdefghijklmnopqrstuvwxyz    "

OPS_LABEL = {"label": 30, "move": 18, "next": 4, "first": 2, "last": 2, "undo": 10, "redo": 6, "clear": 6,
             "unsure": 7, "note": 5}
OPS_REVIEW = {**OPS_LABEL, "label": 22, "accept": 8, "filter": 3}


def label_keys(tagset: Tagset) -> list[list[bytes]]:
    """For each label, the keys that give it: its digit (1-9) and its letter (unless a screen key)."""
    out = []
    for i, lab in enumerate(tagset.labels):
        keys = [str(i + 1).encode()] if i < 9 else []
        if lab.key and len(lab.key) == 1 and lab.key not in SCREEN_KEYS:
            keys.append(lab.key.encode())
        out.append(keys)
    return out


def make_steps(rng: random.Random, n_keys: int, tagset: Tagset, review: bool, label_budget: list[int],
               pause_p: float) -> list[Step]:
    """A random key sequence. ``label_budget[0]`` caps the label keys of the round (labeling screen):

    with fewer label keys than sentences the document is never complete, so the
    end-of-document summary dialog (a modal) never takes the keys.
    """
    ops = OPS_REVIEW if review else OPS_LABEL
    names, weights = list(ops), list(ops.values())
    keys = label_keys(tagset)
    steps: list[Step] = []

    def delay() -> float:
        r = rng.random()
        if r < pause_p:
            return rng.uniform(FOLD_DELAY + 0.05, FOLD_DELAY + 0.6)  # a pause: the fold starts, then more keys
        if r < 0.35:
            return 0.0
        if r < 0.75:
            return rng.uniform(0.002, 0.04)
        return -1.0

    while len(steps) < n_keys:
        op = rng.choices(names, weights)[0]
        if op == "label":
            if not review and label_budget[0] <= 0:
                op = "move"
            else:
                label_budget[0] -= 1
                n = rng.randrange(len(keys))
                steps.append(Step(rng.choice(keys[n]), "label", n, delay()))
                continue
        if op == "move":
            data, d = rng.choice(MOVES) if rng.random() < 0.5 else rng.choice(MOVES[:2])
            steps.append(Step(data, "move", d, delay()))
        elif op == "next":
            steps.append(Step(b"g", "next", None, delay()))
        elif op == "first":
            steps.append(Step(b"\x1b[H", "first", None, delay()))
        elif op == "last":
            steps.append(Step(b"\x1b[F", "last", None, delay()))
        elif op == "undo":
            steps.append(Step(rng.choice(UNDO_KEYS), "undo", None, delay()))
        elif op == "redo":
            steps.append(Step(REDO_KEY, "redo", None, delay()))
        elif op == "clear":
            steps.append(Step(rng.choice(CLEAR_KEYS), "clear", None, delay()))
        elif op == "unsure":
            steps.append(Step(b"!", "unsure", None, delay()))
        elif op == "accept":
            steps.append(Step(b"\r", "accept", None, delay()))
        elif op == "filter":
            steps.append(Step(b"\t", "filter", None, delay()))
        elif op == "note":
            steps.append(Step(b"n", "note_open"))
            for ch in "".join(rng.choice(NOTE_CHARS) for _ in range(rng.randint(1, 8))):
                steps.append(Step(ch.encode(), "note_char", ch, rng.choice([0.0, 0.0, 0.01])))
            steps.append(Step(b"\r", "note_save", None, delay()))
    return steps


# ------------------------------------------------------------------------------------------- model

Cell = tuple  # (label, unsure, note, reviewer, annotator_labels) of one sentence
LABEL, UNSURE, NOTE, REVIEWER_F, ALABELS = range(5)
EMPTY: Cell = (None, False, None, None, None)


def cell_of(sentence: Any) -> Cell:
    """The compared fields of a sentence, normalised (time spent and suggestions are not compared)."""
    al = sentence.annotator_labels
    return (sentence.label, bool(sentence.unsure), sentence.note or None, sentence.reviewer,
            tuple(sorted(al.items())) if al is not None else None)


def cells_of(labels: LabelFile) -> list[Cell]:
    return [cell_of(s) for s in labels.sentences]


@dataclass
class Row:
    """What the review screen knows about one sentence from the annotators' files."""

    labels: tuple[tuple[str, str | None], ...]
    needs_review: bool
    suggestion: str | None


@dataclass(frozen=True)
class Shown:
    """What the screen shows for a state; ``None`` fields are unknown (not visible)."""

    cursor: int | None = None
    label: str | None | bool = False  # False: unknown (None is "unlabeled")
    unsure: bool | None = None
    note: bool | None = None
    labeled: int | None = None
    counts: tuple[int, ...] | None = None
    unsure_total: int | None = None


def shown_matches(seen: Shown, expected: Shown) -> bool:
    """True when everything the frame shows agrees with the model's state."""
    for name in ("cursor", "unsure", "note", "labeled", "counts", "unsure_total"):
        v = getattr(seen, name)
        if v is not None and v != getattr(expected, name):
            return False
    return seen.label is False or seen.label == expected.label


class ModelError(Exception):
    """The key sequence reached a state the harness does not model (a generator bug)."""


class Model:
    """The labeling (or review) screen's logic on label contents, from label_screen.py and review_screen.py."""

    def __init__(self, base: list[Cell], names: list[str], rows: list[Row] | None = None,
                 reviewer: str | None = None) -> None:
        self.base = base
        self.n = len(base)
        self.names = names
        self.rows = rows
        self.review = rows is not None
        self.reviewer = reviewer
        self.over: dict[int, Cell] = {}
        self.undo_stack: list[tuple[int, dict[int, Any], dict[int, Any]]] = []
        self.redo_stack: list[tuple[int, dict[int, Any], dict[int, Any]]] = []
        self.summary_shown = False
        self.only_disagreements = False
        self.note_buf: str | None = None
        self.note_index = 0
        self.counts = dict.fromkeys(names, 0)
        self.unsure_total = 0
        for c in base:
            self._count(c, 1)
        self.cursor = self._start()

    # state --------------------------------------------------------------------------

    def cell(self, i: int) -> Cell:
        return self.over.get(i, self.base[i])

    def _count(self, c: Cell, sign: int) -> None:
        if c[LABEL] is not None:
            self.counts[c[LABEL]] = self.counts.get(c[LABEL], 0) + sign
        if c[UNSURE]:
            self.unsure_total += sign

    def _set(self, i: int, fields: dict[int, Any]) -> None:
        old = self.cell(i)
        new = list(old)
        for k, v in fields.items():
            new[k] = v
        self._count(old, -1)
        self._count(tuple(new), 1)
        self.over[i] = tuple(new)

    def change(self, i: int, fields: dict[int, Any]) -> bool:
        """LabelSession.change: nothing (and no undo step) when the fields already hold these values."""
        cur = self.cell(i)
        before = {k: cur[k] for k in fields}
        if before == fields:
            return False
        self._set(i, fields)
        self.undo_stack.append((i, before, dict(fields)))
        self.redo_stack.clear()
        return True

    def diff(self) -> dict[int, Cell]:
        """The sentences that differ from the base state."""
        return {i: c for i, c in self.over.items() if c != self.base[i]}

    def shown(self) -> Shown:
        c = self.cell(self.cursor)
        return Shown(cursor=self.cursor, label=c[LABEL], unsure=c[UNSURE], note=c[NOTE] is not None,
                     labeled=sum(self.counts.values()), counts=tuple(self.counts[n] for n in self.names),
                     unsure_total=self.unsure_total)

    # navigation ---------------------------------------------------------------------

    def first_unlabeled(self, after: int = -1) -> int | None:
        """The next unlabeled sentence (on the review screen with disagreements only: of those shown)."""
        for k in range(1, self.n + 1):
            i = (after + k) % self.n
            if self.cell(i)[LABEL] is None and (not self.review or self._navigable(i)):
                return i
        return None

    def _next_unresolved(self, after: int) -> int | None:
        assert self.rows is not None
        for k in range(1, self.n + 1):
            i = (after + k) % self.n
            if self.rows[i].needs_review and self.cell(i)[LABEL] is None:
                return i
        return None

    def _start(self) -> int:
        found = self._next_unresolved(-1) if self.review else self.first_unlabeled()
        return found if found is not None else 0

    def _navigable(self, i: int) -> bool:
        return not self.only_disagreements or self.rows[i].needs_review  # type: ignore[index]

    def _step(self, i: int, delta: int) -> int:
        if not self.review:
            return i + delta
        j = i + delta
        while 0 <= j < self.n and not self._navigable(j):
            j += 1 if delta > 0 else -1
        return j if 0 <= j < self.n else i

    def goto(self, i: int) -> None:
        """Move the cursor; going to a sentence the filter hides (undo, redo) shows every sentence again."""
        self.cursor = max(0, min(i, self.n - 1))
        if self.review and not self._navigable(self.cursor):
            self.only_disagreements = False

    # keys -------------------------------------------------------------------------------

    def apply(self, step: Step) -> None:
        op = step.op
        if op == "label":
            if self.review:
                self._decide(self.names[step.arg])
            else:
                self._label(step.arg)
        elif op == "accept":
            if self.review and self.cell(self.cursor)[LABEL] is not None:  # decided: Enter keeps it, moves on
                self._move_on(self.cursor)
            elif self.review:
                suggestion = self.rows[self.cursor].suggestion  # type: ignore[index]
                if suggestion is not None:
                    self._decide(suggestion)
        elif op == "move":
            self.goto(self._step(self.cursor, step.arg))
        elif op == "next":
            nxt = self.first_unlabeled(after=self.cursor)
            if nxt is not None:
                self.goto(nxt)
        elif op == "first":
            self.goto(min(i for i in range(self.n) if self._navigable(i)) if self.review else 0)
        elif op == "last":
            self.goto(max(i for i in range(self.n) if self._navigable(i)) if self.review else self.n - 1)
        elif op == "clear":
            fields = {LABEL: None, REVIEWER_F: None, ALABELS: None} if self.review else {LABEL: None}
            if self.change(self.cursor, fields) and not self.review:
                self.summary_shown = False
        elif op == "unsure":
            self.change(self.cursor, {UNSURE: not self.cell(self.cursor)[UNSURE]})
        elif op == "undo":
            if self.undo_stack:
                i, before, after = self.undo_stack.pop()
                self._set(i, before)
                self.redo_stack.append((i, before, after))
                self._after_history(i)
        elif op == "redo":
            if self.redo_stack:
                i, before, after = self.redo_stack.pop()
                self._set(i, after)
                self.undo_stack.append((i, before, after))
                self._after_history(i)
        elif op == "note_open":
            self.note_buf = self.cell(self.cursor)[NOTE] or ""
            self.note_index = self.cursor
        elif op == "note_char":
            assert self.note_buf is not None
            self.note_buf += step.arg
        elif op == "note_save":
            assert self.note_buf is not None
            self.change(self.note_index, {NOTE: self.note_buf.strip() or None})
            self.note_buf = None
        elif op == "filter":
            self.only_disagreements = not self.only_disagreements
            if self.only_disagreements and not self._navigable(self.cursor):
                nxt = self._step(self.cursor, 1)
                if nxt == self.cursor:
                    nxt = self._step(self.cursor, -1)
                self.goto(nxt)
        else:  # pragma: no cover
            raise ModelError(f"unknown op {op}")

    def _label(self, n: int) -> None:
        i = self.cursor
        self.change(i, {LABEL: self.names[n]})
        nxt = self.first_unlabeled(after=i)
        if nxt is None:
            self.goto(min(i + 1, self.n - 1))
            if not self.summary_shown:
                raise ModelError("every sentence labeled: the summary dialog would take the next keys")
        else:
            self.goto(nxt)

    def _decide(self, label: str) -> None:
        assert self.rows is not None
        i = self.cursor
        self.change(i, {LABEL: label, REVIEWER_F: self.reviewer, ALABELS: self.rows[i].labels})
        self._move_on(i)

    def _move_on(self, i: int) -> None:
        nxt = self._next_unresolved(i)
        self.goto(self._step(i, 1) if nxt is None else nxt)

    def _after_history(self, i: int) -> None:
        if not self.review:
            self.summary_shown = self.first_unlabeled() is None
        self.goto(i)


@dataclass
class Prefixes:
    """The model after every prefix of a key sequence: what the screen shows and the contents."""

    shown: list[Shown]
    diffs: list[dict[int, Cell]]
    base: list[Cell]


def run_model(base: list[Cell], names: list[str], steps: list[Step], rows: list[Row] | None = None,
              reviewer: str | None = None) -> Prefixes:
    model = Model(base, names, rows, reviewer)
    shown, diffs = [model.shown()], [model.diff()]
    for step in steps:
        model.apply(step)
        shown.append(model.shown())
        diffs.append(model.diff())
    return Prefixes(shown, diffs, base)


# ---------------------------------------------------------------------------------------- screen

_AREA = re.compile("▊([^▊▎]*)▎")
"""A line of the note dialog's text area (between its side borders)."""


class ScreenReader:
    """Reads what the labeling or review screen shows (see label_screen.py, review_screen.py, widgets.py)."""

    def __init__(self, tagset: Tagset, n: int, review: bool, n_annotators: int = 0) -> None:
        from annotate.tui.widgets import abbreviations  # rich only: Textual is not imported

        self.names = tagset.names
        self.n = n
        self.review = review
        short = abbreviations(tagset)
        self.short = [short[name] for name in self.names]
        alt = "|".join(re.escape(x) for x in ["unlabeled", *self.names])
        self.sentence_re = re.compile(rf"Sentence (\d+) of {n}\s+(?:({alt})(?= |$)(\s+unsure\b)?)?")
        self.gold_re = re.compile(rf"^ *gold +({alt})(?= |$)", re.M)
        self.bar_re = re.compile(rf" (\d+)/{n} ")
        self.count_res = [re.compile(rf"\b(?:{re.escape(name)}|{re.escape(s.lower())}) (\d+)\b")
                          for name, s in zip(self.names, self.short, strict=True)]  # full names, or short
        self.unsure_re = re.compile(r" \?(\d+)\b")
        self.row_re = re.compile(r"▶ *(\d+) ")
        num_width = len(str(n))
        badge_width = max(len(s) for s in self.short) + 2
        if review:
            per = badge_width if n_annotators <= 3 else 2
            self.note_col = 1 + num_width + 1 + 2 + per * max(1, n_annotators) + 2 + badge_width
            self.unsure_col = None
        else:
            self.unsure_col = 1 + num_width + 1 + badge_width
            self.note_col = self.unsure_col + 1

    def read(self, lines: list[str]) -> Shown | None:
        """What the screen shows, or None when it does not show the document (loading, a dialog)."""
        text = "\n".join(lines)
        if "Note on this sentence" in text:
            return None
        m = self.sentence_re.search(text)
        if not m:
            return None
        cursor = int(m.group(1)) - 1
        label: str | None | bool = False
        unsure = None
        if not self.review and m.group(2):
            label = None if m.group(2) == "unlabeled" else m.group(2)
            unsure = bool(m.group(3))
        if self.review:
            g = self.gold_re.search(text)
            if g:
                label = None if g.group(1) == "unlabeled" else g.group(1)
        labeled = counts = unsure_total = None
        for line in lines[:3]:
            b = self.bar_re.search(line)
            if b and all(r.search(line) for r in self.count_res):
                labeled = int(b.group(1))
                counts = tuple(int(r.search(line).group(1)) for r in self.count_res)  # type: ignore[union-attr]
                u = self.unsure_re.search(line, b.end())
                unsure_total = int(u.group(1)) if u else 0
                break
        note = None
        for line in lines:
            r = self.row_re.match(line)
            if r and int(r.group(1)) == cursor + 1 and len(line) > self.note_col:
                note = line[self.note_col] == "✎"
                if self.unsure_col is not None and unsure is not None and (line[self.unsure_col] == "?") != unsure:
                    return None  # the gutter and the panel disagree: a frame drawn in parts
                break
        return Shown(cursor=cursor, label=label, unsure=unsure, note=note, labeled=labeled, counts=counts,
                     unsure_total=unsure_total)


# --------------------------------------------------------------------------------------- process

_LIVE: set[App] = set()


class AppFailed(Exception):
    """The app could not be driven (did not start, exited, a dialog never appeared)."""


class App:
    """``python -m annotate ...`` on its own pseudo-terminal; output drained and read frame by frame."""

    command = [sys.executable, "-m", "annotate"]

    def __init__(self, args: list[str], cwd: Path, reader: ScreenReader, prefixes: Prefixes) -> None:
        self.reader = reader
        self.prefixes = prefixes
        self.vt = Terminal(COLS, ROWS)
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.cond = threading.Condition()
        self.sent = 0
        self.ack = -1  # -1: not ready (no frame showing the document yet)
        self.frames = 0
        self.readings = 0
        self.killed_at: float | None = None
        self.unexplained = 0
        self.unexplained_sample: str | None = None
        self.dialog = False
        self.dialog_text = ""
        self.eof = False
        self.sync_seen = False
        self.last_output = now()
        self._write_lock = threading.Lock()
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)}
        for name in ("TEXTUAL", "NO_COLOR", "ANNOTATE_ANNOTATOR"):
            env.pop(name, None)
        self.proc, self.fd = spawn_on_pty([*self.command, *args], cwd, env, COLS, ROWS)
        _LIVE.add(self)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    # output -------------------------------------------------------------------------------

    def _drain(self) -> None:
        """Read the pty until the app is gone; a frame is read once the pty has been quiet for STABLE s.

        Textual may draw one key's effect in two frames (a widget needing layout comes a moment
        later): a frame followed at once by another is not what the screen settled on, so only the
        last frame before a quiet spell is read (and, after the kill, only one drawn STABLE s before it).
        """
        pending = bytearray()
        tail = b""
        unread = False  # frames fed to the emulator and not read yet
        last_frame = 0.0
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], STABLE)
            except (OSError, ValueError):
                break
            if not ready:
                if pending and not self.sync_seen:  # before synchronized output: a quiet pty ends a frame
                    self._feed(bytes(pending))
                    pending.clear()
                    unread, last_frame = True, now()
                if unread and now() - last_frame >= STABLE:
                    self._read_screen()
                    unread = False
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EBADF):
                    raise
                data = b""
            if not data:
                break
            self.last_output = now()
            if SYNC_QUERY in tail + data:
                self.write(SYNC_REPLY)
            tail = data[-16:]
            pending += data
            while (k := pending.find(SYNC_END)) >= 0:
                self.sync_seen = True
                chunk = bytes(pending[: k + len(SYNC_END)])
                del pending[: k + len(SYNC_END)]
                self._feed(chunk)
                unread, last_frame = True, self.last_output
        if pending:
            self._feed(bytes(pending))
        if unread and self.killed_at is not None and self.killed_at - last_frame >= STABLE:
            self._read_screen()  # the app lived on for STABLE s after drawing it: what it settled on
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _feed(self, chunk: bytes) -> None:
        self.vt.feed(self.decoder.decode(chunk))
        with self.cond:
            self.frames += 1

    def _read_screen(self) -> None:
        """Read the screen: the dialog, and how many keys it acknowledges."""
        lines = self.vt.lines()
        seen = self.reader.read(lines)
        with self.cond:
            self.readings += 1
            self.dialog = any("Note on this sentence" in line for line in lines)
            area = "".join(m.group(1) for line in lines for m in _AREA.finditer(line)) if self.dialog else ""
            self.dialog_text = area.replace("▔", "").replace("▁", "")
            if seen is not None:
                lo, hi = max(self.ack, 0), min(self.sent, len(self.prefixes.shown) - 1)
                for j in range(lo, hi + 1):
                    if shown_matches(seen, self.prefixes.shown[j]):
                        self.ack = j
                        break
                else:
                    if self.ack >= 0:
                        self.unexplained += 1
                        if self.unexplained_sample is None:
                            cands = "; ".join(f"{j}: {self.prefixes.shown[j]}" for j in range(lo, hi + 1))
                            self.unexplained_sample = f"screen shows {seen}; keys {lo}..{hi} give {cands}"
            self.cond.notify_all()

    def screen(self) -> str:
        return "\n".join(line.rstrip() for line in self.vt.lines()).rstrip()

    # input --------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        with self._write_lock, contextlib.suppress(OSError):
            os.write(self.fd, data)

    def send(self, data: bytes) -> None:
        """Type one key; it counts as sent before it is written (a frame may show it at once)."""
        with self.cond:
            self.sent += 1
        self.write(data)

    # waiting ------------------------------------------------------------------------------

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = now() + timeout
        with self.cond:
            while not predicate():
                left = deadline - now()
                if left <= 0 or self.eof:
                    return predicate()
                self.cond.wait(min(left, 0.05))
        return True

    def wait_ready(self, timeout: float) -> None:
        if not self.wait(lambda: self.ack >= 0, timeout):
            why = "exited" if self.eof or self.proc.poll() is not None else f"not ready after {timeout:g} s"
            raise AppFailed(f"the app {why}; screen:\n{self.screen()}")

    def wait_quiet(self, quiet: float, limit: float) -> None:
        deadline = now() + limit
        while now() < deadline and now() - self.last_output < quiet:
            time.sleep(0.005)

    # ending -------------------------------------------------------------------------------

    def kill(self) -> int:
        """SIGKILL the app's process group; reap it; read what it had written. Returns its returncode."""
        try:
            self.killed_at = now()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            status = self.proc.wait(timeout=10)
            self._thread.join(timeout=3)
        finally:
            self.close()
        return status

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        if self in _LIVE:
            _LIVE.discard(self)
            self._thread.join(timeout=3)
            with contextlib.suppress(OSError):
                os.close(self.fd)


def kill_all() -> None:
    for app in list(_LIVE):
        with contextlib.suppress(Exception):
            app.close()


atexit.register(kill_all)

# --------------------------------------------------------------------------------------- projects


def make_project(root: Path, big_template: Path | None = None) -> Project:
    """A throw-away project: the repo's sample article and tagsets (as tests/conftest.py builds them)."""
    if big_template is not None:
        shutil.copytree(big_template, root)
        return Project(root)
    (root / "seeds").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "seeds" / f"{SAMPLE_DOC}.txt").write_bytes((REPO / "seeds" / f"{SAMPLE_DOC}.txt").read_bytes())
    for pattern in ("*.yaml", "*.schema.json"):
        for path in sorted((REPO / "schemas").glob(pattern)):
            (root / "schemas" / path.name).write_bytes(path.read_bytes())
    return Project(root)


def big_spans(n: int = BIG_SENTENCES, seed: int = 10_000) -> tuple[str, list[tuple[int, int]]]:
    """make_big_doc's text with the spans of the sentences it generated (what the segmenter finds)."""
    rng = random.Random(seed)
    paragraphs, spans, pos, left = [], [], 0, n
    while left > 0:
        k = min(left, rng.randint(1, 5))
        sents = [make_big_doc.sentence(rng) for _ in range(k)]
        for s in sents:
            spans.append((pos, pos + len(s)))
            pos += len(s) + 1  # the space after it, or the first newline of the paragraph break
        pos += 1
        paragraphs.append(" ".join(sents))
        left -= k
    text = "\n\n".join(paragraphs) + "\n"
    assert text == make_big_doc.make_text(n, seed)
    return text, spans


def build_big_template(root: Path, use_segmenter: bool = False, log: Callable[[str], None] = print) -> Path:
    """A project with the 10,000-sentence document and its label file (3,000 sentences labeled), made once."""
    t0 = now()
    project = make_project(root)
    (project.seeds / f"{SAMPLE_DOC}.txt").unlink()
    make_big_doc.write_doc(str(root), BIG_SENTENCES, BIG_DOC)
    doc = project.document(BIG_DOC)
    source = project.read_source(doc)
    tagset = project.tagset()
    if use_segmenter:
        spans = segment(source.text)
    else:
        text, spans = big_spans()
        assert text == source.text
    labels = new_label_file(doc, source, ANNOTATOR, tagset.name, spans, project, segmenter=segmenter_id())
    rng = random.Random(7)
    for s in labels.sentences[:BIG_PRELABELED]:
        s.label = rng.choice(tagset.names)
        s.unsure = True if rng.random() < 0.05 else None
    save_label_file(project.label_path(BIG_DOC, ANNOTATOR), labels)
    session = LabelSession.open(project, doc, ANNOTATOR, tagset)  # and fold: writes the parse cache too
    session.fold()
    session.close()
    log(f"big document: {len(spans):,} sentences, label file "
        f"{project.label_path(BIG_DOC, ANNOTATOR).stat().st_size:,} bytes, made in {now() - t0:.1f} s"
        f" ({'segmenter' if use_segmenter else 'spans known from the generator'})")
    return root


def write_annotator_files(project: Project, rng: random.Random, tagset: Tagset) -> None:
    """Two annotators' label files for review rounds: random labels, some unsure, a few notes, some missing."""
    doc = project.document(SAMPLE_DOC)
    source = project.read_source(doc)
    spans = segment(source.text)
    first: list[str | None] = []
    for k, name in enumerate(REVIEWED):
        labels = new_label_file(doc, source, name, tagset.name, spans, project, segmenter=segmenter_id())
        for i, s in enumerate(labels.sentences):
            r = rng.random()
            if k == 0:
                s.label = None if r < 0.1 else rng.choice(tagset.names)
                first.append(s.label)
            else:  # agree about half the time, so there are agreements, disagreements and missing labels
                s.label = first[i] if r < 0.5 and first[i] else (None if r < 0.6 else rng.choice(tagset.names))
            if rng.random() < 0.1:
                s.unsure = True
            if rng.random() < 0.1:
                s.note = rng.choice(["hedged", "attributed", "check this"])
        save_label_file(project.label_path(SAMPLE_DOC, name), labels)


def review_rows_of(project: Project, spans: list[tuple[int, int]]) -> list[Row]:
    """The review screen's rows, from the project's own review code."""
    from annotate.reading import document_labels as load_document_labels
    from annotate.review import review_rows

    doc_labels = load_document_labels(project, project.document(SAMPLE_DOC))
    rows = review_rows(doc_labels, doc_labels.annotators, spans)
    return [Row(tuple(sorted(r.labels.items())), r.needs_review, r.suggestion) for r in rows]


# ----------------------------------------------------------------------------------------- checks


@dataclass
class Stats:
    """Totals of a harness run."""

    rounds: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KIND_NAMES, 0))
    kills: int = 0
    restarts: int = 0
    keys_sent: int = 0
    keys_acked: int = 0
    exact: int = 0
    """Kills after which every key sent had been acknowledged (the file had to match exactly)."""
    frames: int = 0
    readings: int = 0
    unexplained: int = 0
    files_checked: int = 0
    lost: int = 0
    corrupt: int = 0
    mismatched: int = 0
    errors: int = 0
    kills_in_write: int = 0
    """Kills that left a fold's temp file behind: the process died inside atomic_write."""
    kills_in_fold: int = 0
    """Kills timed into the fold window (a pause of FOLD_DELAY, then the fold) or on its temp file."""
    journals: int = 0
    """Kills that left a journal for the next open to replay."""
    stale_locks: int = 0
    not_made: int = 0
    """Kills before the first change: no label file may exist yet (it comes with the first change)."""
    reopens: int = 0
    cli_validations: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.corrupt or self.mismatched or self.errors)

    def add(self, other: Stats) -> None:
        for name, value in vars(other).items():
            if name == "kinds":
                for k, v in value.items():
                    self.kinds[k] = self.kinds.get(k, 0) + v
            elif name == "problems":
                self.problems.extend(value)
            elif name != "seconds":
                setattr(self, name, getattr(self, name) + value)

    def summary(self, seed: int) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.kinds.items() if v)
        return (
            f"crash harness (seed {seed}): {self.rounds} rounds ({kinds}), {self.kills} kills "
            f"({self.restarts} restarts on a killed project), {self.keys_sent} keys sent, {self.keys_acked} "
            f"acknowledged on screen, {self.files_checked} files checked: {self.lost} lost labels, "
            f"{self.corrupt} corrupt files, {self.mismatched} mismatches, {self.errors} errors; "
            f"{self.kills_in_fold} kills in the fold window, {self.kills_in_write} inside the YAML write, "
            f"{self.journals} left a journal to replay, {self.stale_locks} stale locks taken over, "
            f"{self.not_made} before any change (no file, rightly), "
            f"{self.exact} with every key acknowledged; {self.frames} frames, {self.unexplained} of "
            f"{self.readings} screens read unexplained; "
            f"{self.seconds:.1f} s"
        )


def _fmt(c: Cell | None) -> str:
    if c is None:
        return "-"
    parts = [str(c[LABEL])]
    if c[UNSURE]:
        parts.append("unsure")
    if c[NOTE]:
        parts.append(f"note={c[NOTE]!r}")
    if c[REVIEWER_F]:
        parts.append(f"by {c[REVIEWER_F]}")
    return " ".join(parts)


def compare(disk: list[Cell], prefixes: Prefixes, ack: int, sent: int) -> tuple[int | None, int, str]:
    """The ``k`` in [ack, sent] whose model state equals ``disk`` (or None), lost labels, and a diagnosis."""
    base = prefixes.base
    if len(disk) != len(base):
        return None, 0, f"{len(disk)} sentences on disk, {len(base)} expected"
    found = {i: c for i, c in enumerate(disk) if c != base[i]}
    hi = min(sent, len(prefixes.diffs) - 1)
    for k in range(ack, hi + 1):
        if found == prefixes.diffs[k]:
            return k, 0, ""
    lost = 0
    cands = prefixes.diffs[ack: hi + 1]
    touched = set(found).union(*cands)
    for i in touched:
        acked = cands[0].get(i, base[i])
        possible = {d.get(i, base[i])[LABEL] for d in cands}
        if acked[LABEL] is not None and disk[i][LABEL] not in possible:
            lost += 1
    lines = [f"disk matches no state after {ack}..{hi} keys"]
    for i in sorted(touched)[:12]:
        lines.append(f"  sentence {i + 1}: disk {_fmt(disk[i])}; after {ack} keys {_fmt(cands[0].get(i, base[i]))};"
                     f" after {hi} keys {_fmt(cands[-1].get(i, base[i]))}")
    return None, lost, "\n".join(lines)


def check_file_now(project: Project, path: Path, stats: Stats, where: str) -> list[Cell] | None:
    """Parse and validate one label file as a killed process left it; its state, or None when corrupt."""
    stats.files_checked += 1
    rel = project.display(path)
    try:
        yaml_alone, _ = read_label_file(path, rel)  # the YAML file by itself: never half-written
    except AnnotateError as exc:
        stats.corrupt += 1
        stats.problems.append(f"{where}: {rel}: the YAML file does not parse: {exc}")
        return None
    result = check_file(project, path)  # YAML + journal against tagset and source, as `annotate validate`
    if result.problem or result.labels is None:
        stats.corrupt += 1
        stats.problems.append(f"{where}: {rel}: invalid: {result.problem}")
        return None
    cpath = cache_path(path)
    if cpath.exists():
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            cache = json.loads(cpath.read_bytes())
            if cache["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest():
                cached = cells_of(LabelFile.from_trusted(cache["data"]))
                if cached != cells_of(yaml_alone):
                    stats.corrupt += 1
                    stats.problems.append(f"{where}: {rel}: the parse cache claims the YAML's sha256 but differs")
                    return None
    return cells_of(result.labels)  # as the next `annotate` loads it: the YAML folded with the journal


def leftovers(path: Path) -> set[str]:
    """Temp files of atomic_write beside a label file (left behind when a write was killed)."""
    return {p.name for p in path.parent.glob(f".{path.name}.*.tmp")} if path.parent.is_dir() else set()


def run_cli_validate(project: Project, stats: Stats, where: str) -> None:
    n = len(project.label_files())
    result = subprocess.run([sys.executable, "-m", "annotate", "--root", str(project.root), "validate"],
                            capture_output=True, text=True, timeout=120)
    stats.cli_validations += 1
    summary = f"{n} of {n} label files valid" if n else "no label files found"  # none made yet is fine
    if result.returncode != 0 or summary not in result.stderr:
        stats.corrupt += 1
        stats.problems.append(f"{where}: annotate validate exit {result.returncode}: "
                              f"{(result.stdout + result.stderr).strip()[-500:]}")


# ------------------------------------------------------------------------------------------ rounds


@dataclass
class RoundPlan:
    kind: str
    segments: list[tuple[list[Step], str, int]]
    """Per process: the keys, the kill mode and how many keys are typed before the kill."""
    cli: bool


KILL_MODES_SMALL = {"now": 25, "jitter": 25, "settle": 18, "acked": 17, "fold": 15}
KILL_MODES_BIG = {"write": 40, "fold": 30, "jitter": 15, "acked": 15}


def plan_round(rng: random.Random, kind: str, tagset: Tagset, n_small: int, cli: bool) -> RoundPlan:
    review = kind == "review"
    big = kind == "big"
    if kind == "restart":
        n_segments = rng.randint(2, 4)
    elif kind == "review":
        n_segments = rng.choice([1, 1, 2, 3])
    elif kind == "big":
        n_segments = rng.choice([1, 1, 2])
    else:
        n_segments = 1
    budget = [BIG_SENTENCES if big else n_small - 1]
    modes = KILL_MODES_BIG if big else KILL_MODES_SMALL
    segments = []
    for _ in range(n_segments):
        n_keys = rng.randint(4, 30) if big else rng.randint(3, 40)
        steps = make_steps(rng, n_keys, tagset, review, budget, 0.06 if big else 0.03)
        mode = rng.choices(list(modes), list(modes.values()))[0]
        kill_at = len(steps) if mode in ("write", "fold") or rng.random() < 0.3 else rng.randint(1, len(steps))
        segments.append((steps, mode, kill_at))
    return RoundPlan(kind, segments, cli)


def run_round(index: int, plan: RoundPlan, workdir: Path, rng: random.Random, big_template: Path | None,
              log: Callable[[str], None], verbose: bool, burst_notes: bool = False) -> Stats:
    stats = Stats(rounds=1)
    stats.kinds[plan.kind] += 1
    root = workdir / f"round-{index:04d}"
    big = plan.kind == "big"
    review = plan.kind == "review"
    project = make_project(root, big_template if big else None)
    tagset = project.tagset()
    doc_id = BIG_DOC if big else SAMPLE_DOC
    doc = project.document(doc_id)
    owner = GOLD if review else ANNOTATOR
    path = project.label_path(doc_id, owner)
    killed_pid = None
    spans = segment(project.read_source(doc).text) if not big else None
    rows: list[Row] | None = None
    fixed: dict[Path, list[Cell]] = {}
    if review:
        write_annotator_files(project, rng, tagset)
        assert spans is not None
        rows = review_rows_of(project, spans)
        for name in REVIEWED:
            p = project.label_path(doc_id, name)
            fixed[p] = cells_of(load_current(p))
    existed = path.exists()
    if existed:
        base = cells_of(load_current(path))
    else:
        assert spans is not None
        base = [EMPTY] * len(spans)
    n = len(base)
    reader = ScreenReader(tagset, n, review, len(REVIEWED) if review else 0)
    args = ["--root", str(root)]
    args += (["review", doc_id, "--reviewer", REVIEWER] if review else ["label", doc_id, "--annotator", ANNOTATOR])
    where = f"round {index} ({plan.kind})"
    notes: list[str] = []
    t_round = now()
    try:
        for seg, (steps, mode, kill_at) in enumerate(plan.segments):
            wseg = f"{where}, process {seg + 1}"
            prefixes = run_model(base, tagset.names, steps, rows, REVIEWER if review else None)
            if seg:
                stats.restarts += 1
                with contextlib.suppress(OSError, ValueError):
                    if json.loads(path.with_name(f".{path.name}.lock").read_text()).get("pid") == killed_pid:
                        stats.stale_locks += 1  # the killed process's lock: the next one must take it over
            before_tmp = leftovers(path)
            t_spawn = now()
            app = App(args, root, reader, prefixes)
            try:
                app.wait_ready(60 if big else 30)
                t_ready = now()
                killed_in_fold = _type_and_kill(app, steps, kill_at, mode, path, rng, big, burst_notes)
            except AppFailed as exc:
                stats.errors += 1
                stats.problems.append(f"{wseg}: {exc}")
                return stats
            finally:
                killed_pid = app.proc.pid
                status = app.kill()
            if status != -signal.SIGKILL:
                stats.errors += 1
                stats.problems.append(f"{wseg}: the app was not killed by SIGKILL (status {status}); screen:\n"
                                      f"{app.screen()}")
                return stats
            stats.kills += 1
            t_killed = now()
            stats.kills_in_fold += killed_in_fold
            stats.frames += app.frames
            stats.readings += app.readings
            stats.unexplained += app.unexplained
            if app.unexplained_sample and verbose:
                log(f"  {wseg}: {app.unexplained} unexplained frames; first: {app.unexplained_sample}")
            sent, ack = app.sent, max(app.ack, 0)
            stats.keys_sent += sent
            stats.keys_acked += ack
            stats.exact += ack == sent
            if leftovers(path) - before_tmp:
                stats.kills_in_write += 1
            if journal_path(path).exists():
                stats.journals += 1
            # every label file: parses, validates, and holds what was shown
            disk_state = None
            for p in project.label_files():
                state = check_file_now(project, p, stats, wseg)
                if state is None:
                    continue
                if p == path:
                    disk_state = state
                elif p in fixed:
                    if state != fixed[p]:
                        stats.mismatched += 1
                        stats.problems.append(f"{wseg}: {project.display(p)} changed, but review only reads it")
                else:
                    stats.errors += 1
                    stats.problems.append(f"{wseg}: unexpected label file {project.display(p)}")
            if not path.exists():
                if existed:  # a label file is never deleted once made
                    stats.mismatched += 1
                    stats.lost += sum(1 for c in prefixes.diffs[ack].values() if c[LABEL] is not None)
                    stats.problems.append(f"{wseg}: {project.display(path)} is missing")
                    return stats
                # Never made: the file comes with the first change, so nothing was changed yet. That is
                # the model's first state, which compare() below checks against what the screen showed.
                stats.not_made += 1
                disk_state = list(prefixes.base)
            existed = True if path.exists() else existed
            if disk_state is None:
                return stats
            k, lost, why = compare(disk_state, prefixes, ack, sent)
            if k is None:
                stats.mismatched += 1
                stats.lost += lost
                keys = " ".join(_key_name(s) for s in steps[:sent])
                stats.problems.append(f"{wseg}: {project.display(path)}: kill mode {mode}, {sent} keys sent, "
                                      f"{ack} acknowledged: {why}\n  keys: {keys}")
                return stats
            notes.append(f"{mode} {k}/{ack}/{sent} ({t_ready - t_spawn:.1f}+{t_killed - t_ready:.1f}"
                         f"+{now() - t_killed:.1f} s)")
            base = disk_state  # the next process opens what is on disk
        if plan.cli:
            run_cli_validate(project, stats, where)
        _reopen(project, doc, owner, tagset, base, stats, where)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if verbose or stats.failed:
        log(f"round {index:4d} {plan.kind:<7} {len(plan.segments)} kills; kill mode, disk=model after k keys, "
            f"k/acknowledged/sent (start+typing+check): "
            f"{', '.join(notes)}; {stats.files_checked} files ok{' + cli' if plan.cli else ''}; "
            f"{now() - t_round:.1f} s")
    return stats


def _key_name(step: Step) -> str:
    names = {b"\x1b[B": "down", b"\x1b[A": "up", b"\x1b[H": "home", b"\x1b[F": "end", b"\x1a": "^z",
             b"\x19": "^y", b"\x7f": "bksp", b"\x1b[3~": "del", b"\r": "enter", b"\t": "tab", b" ": "space"}
    return names.get(step.data, step.data.decode("utf-8", "replace"))


def _type_and_kill(app: App, steps: list[Step], kill_at: int, mode: str, path: Path, rng: random.Random,
                   big: bool, burst_notes: bool = False) -> int:
    """Type ``steps[:kill_at]`` as planned, then wait as ``mode`` says (the caller kills). 1 if in a fold.

    A note's Enter is typed once the dialog shows what was typed (as a person would), unless
    ``burst_notes``: the dialog's Enter is a priority binding, handled before characters still queued
    for the text area, so a note typed with its Enter in one burst is saved without its end.
    """
    typed = ""
    for step in steps[:kill_at]:
        if step.op == "note_save" and not burst_notes:
            want = re.sub(r"\s", "", typed)[-40:]
            if want:
                if not app.wait(lambda w=want: re.sub(r"\s", "", app.dialog_text).endswith(w), 10):
                    raise AppFailed(f"the note dialog never showed {typed!r}; screen:\n{app.screen()}")
            else:
                app.wait_quiet(0.05, 1.0)
        app.send(step.data)
        if step.op == "note_open":
            typed = ""
            if not app.wait(lambda: app.dialog, 10):
                raise AppFailed(f"the note dialog did not open; screen:\n{app.screen()}")
        elif step.op == "note_char":
            typed += step.arg
        elif step.op == "note_save":
            if not app.wait(lambda: not app.dialog, 10):
                raise AppFailed(f"the note dialog did not close; screen:\n{app.screen()}")
        if step.delay > 0:
            time.sleep(step.delay)
        elif step.delay < 0:
            app.wait_quiet(STABLE + 0.01, 0.4)
        if app.eof:
            raise AppFailed(f"the app exited; screen:\n{app.screen()}")
    if mode == "jitter":
        time.sleep(rng.uniform(0, 0.08))
    elif mode == "settle":
        app.wait_quiet(STABLE + 0.02, 1.5)
    elif mode == "acked":
        app.wait(lambda: app.ack >= app.sent, 1.5)
    elif mode == "fold":
        app.wait_quiet(0.05, 1.0)
        time.sleep(rng.uniform(FOLD_DELAY - 0.1, FOLD_DELAY + (0.6 if big else 0.15)))
        return 1
    elif mode == "write":  # the moment the fold's temp file appears (or a little after)
        deadline = now() + FOLD_DELAY + 3.0
        extra = rng.choice([0.0, 0.0, rng.uniform(0, 0.02)])
        while now() < deadline:
            if leftovers(path):
                if extra:
                    time.sleep(extra)
                return 1
            time.sleep(0.0005)
    return 0


def _reopen(project: Project, doc: Any, owner: str, tagset: Tagset, expected: list[Cell], stats: Stats,
            where: str) -> None:
    """Open the killed document in-process as the next ``annotate`` would: same state, clean fold."""
    path = project.label_path(doc.id, owner)
    try:
        session = LabelSession.open(project, doc, owner, tagset)
    except AnnotateError as exc:
        stats.errors += 1
        stats.problems.append(f"{where}: reopening after the kill failed: {exc}")
        return
    try:
        if cells_of(session.labels) != expected:
            stats.mismatched += 1
            stats.problems.append(f"{where}: reopened state differs from what was checked on disk")
    finally:
        session.close()
    stats.reopens += 1
    if not path.exists() and all(c == EMPTY for c in expected):
        return  # nothing was ever changed: opening and closing makes no file
    yaml_alone, _ = read_label_file(path)
    if cells_of(yaml_alone) != expected or journal_path(path).exists():
        stats.mismatched += 1
        stats.problems.append(f"{where}: after reopen and fold the YAML file does not hold the state")


# ------------------------------------------------------------------------------------------- runs


def round_kinds(rounds: int, rng: random.Random, big: bool, kinds: Iterable[str] | None) -> list[str]:
    """Which kind each round is: a fixed cycle when ``kinds`` is given, else a seeded mix."""
    if kinds:
        cycle = list(kinds)
        return [cycle[i % len(cycle)] for i in range(rounds)]
    pool = {"label": 40, "restart": 30, "review": 30, **({"big": 20} if big else {})}
    out = [rng.choices(list(pool), list(pool.values()))[0] for _ in range(rounds)]
    if big and rounds and "big" not in out:
        out[-1] = "big"
    return out


def run_harness(rounds: int = 20, seed: int = 0, big: bool = False, time_limit: float | None = None,
                kinds: Iterable[str] | None = None, cli_every: int = 5, verbose: bool = False,
                log: Callable[[str], None] | None = None, big_segmenter: bool = False,
                burst_notes: bool = False) -> Stats:
    """Run ``rounds`` seeded rounds (fewer if ``time_limit`` seconds pass first); the totals."""
    if os.name != "posix":  # pragma: no cover
        raise RuntimeError("the crash harness needs POSIX pseudo-terminals")
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    t0 = now()
    total = Stats()
    master = random.Random(seed)
    plan_kinds = round_kinds(rounds, master, big, kinds)
    tmp = Path(tempfile.mkdtemp(prefix="annotate-crash-"))
    try:
        sample = make_project(tmp / "sample")
        tagset = sample.tagset()
        n_small = len(segment(sample.read_source(sample.document(SAMPLE_DOC)).text))
        big_template = None
        if "big" in plan_kinds:
            big_template = build_big_template(tmp / "big-template", big_segmenter, log)
        for i, kind in enumerate(plan_kinds):
            if time_limit is not None and now() - t0 > time_limit:
                log(f"time limit of {time_limit:g} s reached after {i} rounds")
                break
            rng = random.Random(f"{seed}:{i}")
            plan = plan_round(rng, kind, tagset, n_small, cli=cli_every > 0 and i % cli_every == cli_every - 1)
            try:
                total.add(run_round(i, plan, tmp, rng, big_template, log, verbose, burst_notes))
            except Exception:  # noqa: BLE001 - a harness failure is reported, and the run goes on
                import traceback

                total.add(Stats(rounds=1, errors=1, problems=[f"round {i} ({kind}): {traceback.format_exc()}"]))
            finally:
                kill_all()
    finally:
        kill_all()
        shutil.rmtree(tmp, ignore_errors=True)
    total.seconds = now() - t0
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=20, help="rounds to run (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the key sequences and kill plans")
    ap.add_argument("--big", action="store_true", help="include rounds on a 10,000-sentence document")
    ap.add_argument("--kinds", default=None,
                    help=f"comma-separated round kinds to cycle through ({', '.join(KIND_NAMES)}); default: a mix")
    ap.add_argument("--time-limit", type=float, default=None, help="start no round after this many seconds")
    ap.add_argument("--cli-every", type=int, default=5, help="run `annotate validate` every N rounds (0: never)")
    ap.add_argument("--big-segmenter", action="store_true",
                    help="split the big document with annotate's segmenter (10-30 s) instead of the known spans")
    ap.add_argument("--burst-notes", action="store_true",
                    help="type a note's Enter right after its text, without waiting for the dialog to show it")
    ap.add_argument("--quiet", "-q", action="store_true", help="no line per round (only problems and the summary)")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",") if args.kinds else None
    if kinds and not set(kinds) <= set(KIND_NAMES):
        ap.error(f"--kinds: choose from {', '.join(KIND_NAMES)}")

    def interrupted(signum: int, _frame: object) -> None:
        kill_all()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    stats = run_harness(args.rounds, args.seed, args.big or bool(kinds and "big" in kinds), args.time_limit,
                        kinds, args.cli_every, not args.quiet, big_segmenter=args.big_segmenter,
                        burst_notes=args.burst_notes)
    for problem in stats.problems:
        print(problem, file=sys.stderr)
    print(stats.summary(args.seed))
    return 1 if stats.failed else 0


if __name__ == "__main__":
    sys.exit(main())
