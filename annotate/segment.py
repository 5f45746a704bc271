"""Sentence segmentation: source text to exact, trimmed, gap-free sentence spans (pySBD inside)."""

from __future__ import annotations

import os
import re
import sys
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

Span = tuple[int, int]

SEGMENTER_RULES = 2
"""Version of our own rules around pySBD (blank lines, trimming, offset mapping); bump on change."""

_BLOCK_SEP = re.compile(
    r"(?:\r\n?|[\n\u2028\u2029])(?:[^\S\r\n\u2028\u2029]*+(?:\r\n?|[\n\u2028\u2029]))+|\u2029"
)

MAX_CHUNK = 5_000
"""pySBD is given at most this many characters at once (it slows down badly on huge paragraphs)."""


@lru_cache(maxsize=1)
def segmenter_id() -> str:
    """Name and version of the segmenter, recorded in every label file."""
    return f"pysbd {_pysbd_version()}; annotate-rules {SEGMENTER_RULES}"


def _pysbd_version() -> str:
    """pySBD's version from its ``about.py``, without importing pySBD (~12 ms at a first open,
    where a prefetch segments in another process) or searching the installed distributions."""
    about = sys.modules.get("pysbd.about")
    if about is not None:
        return str(about.__version__)
    import importlib.util

    spec = importlib.util.find_spec("pysbd")
    for directory in (spec.submodule_search_locations or []) if spec else []:
        try:
            with open(os.path.join(directory, "about.py"), encoding="utf-8") as fh:
                found = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", fh.read())
        except OSError:
            continue
        if found:
            return found.group(1)
    from importlib.metadata import version

    return version("pysbd")


@lru_cache(maxsize=1)
def _pysbd() -> Callable[[str], list[str]]:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    return seg.segment  # type: ignore[no-any-return]


def _blocks(text: str) -> Iterator[Span]:
    """Spans of the text between blank lines (a blank line always ends a sentence)."""
    pos = 0
    for m in _BLOCK_SEP.finditer(text):
        if m.start() > pos:
            yield (pos, m.start())
        pos = m.end()
    if pos < len(text):
        yield (pos, len(text))


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _chunks(text: str, start: int, end: int) -> Iterator[Span]:
    """Cut a very long block at line breaks, else at spaces, so pySBD never sees a huge input."""
    while end - start > MAX_CHUNK:
        cut = -1
        for sep in ("\n", "\u2028", ". ", " "):
            cut = text.rfind(sep, start + MAX_CHUNK // 2, start + MAX_CHUNK)
            if cut != -1:
                cut += len(sep)
                break
        if cut == -1:
            cut = start + MAX_CHUNK
        yield (start, cut)
        start = cut
    yield (start, end)


def _split_block(text: str, start: int, end: int) -> Iterator[Span]:
    """Split one block with pySBD and map its sentences back to exact offsets.

    pySBD's output is mapped by counting non-whitespace characters, so the spans
    cover every non-whitespace character of the block exactly once even if the
    segmenter changed whitespace.
    """
    block = text[start:end]
    pieces = _pysbd()(block.replace("\u2028", "\n"))  # pySBD breaks lines at \n, not U+2028
    # Cut points: after the n-th non-whitespace character of the block.
    nonspace_positions = [i for i, ch in enumerate(block) if not ch.isspace()]
    total = len(nonspace_positions)
    cuts: list[int] = []
    consumed = 0
    for piece in pieces[:-1]:
        consumed += sum(1 for ch in piece if not ch.isspace())
        if 0 < consumed < total:
            cuts.append(nonspace_positions[consumed - 1] + 1)
    prev = 0
    for cut in [*cuts, len(block)]:
        if cut <= prev:
            continue
        trimmed = _trim(block, prev, cut)
        if trimmed:
            yield (start + trimmed[0], start + trimmed[1])
        prev = cut


def segment(text: str) -> list[Span]:
    """Split ``text`` into sentences and return their ``(start, end)`` character offsets.

    Guarantees: deterministic; ``text[start:end]`` is the sentence with no
    leading or trailing whitespace; every non-whitespace character lies in
    exactly one sentence; spans are in order and do not overlap; a blank line
    always ends a sentence, so a headline above a blank line is its own sentence.
    """
    return list(iter_segment(text))


def iter_segment(text: str) -> Iterator[Span]:
    """Like :func:`segment`, yielding spans as they are found (for progress on big documents)."""
    prefetched = _take_prefetched(text)
    if prefetched is not None:
        yield from prefetched
        return
    for b_start, b_end in _blocks(text):
        trimmed = _trim(text, b_start, b_end)
        if not trimmed:
            continue
        for c_start, c_end in _chunks(text, *trimmed):
            yield from _split_block(text, c_start, c_end)


# --------------------------------------------------------------------------- prefetch

PREFETCH_CHARS = 20_000
"""Only sources up to this size are segmented ahead (bigger ones are segmented with progress shown)."""


@dataclass
class _Prefetch:
    pid: int
    fd: int


_prefetched: dict[str, _Prefetch] = {}


def prefetch(text: str) -> bool:
    """Start segmenting ``text`` in a forked child process; :func:`segment` picks the result up.

    ``annotate label`` calls this for a document opened for the first time, before
    it imports the user interface: pySBD's first run (~60 ms of building rules and
    regular expressions for an article) then happens on another core while this
    process starts the screen. Linux only (fork without exec is not safe
    everywhere), never with other threads running, and only for texts up to
    ``PREFETCH_CHARS``. Returns whether a child was started. If anything goes
    wrong, the text is simply segmented here, as without a prefetch.
    """
    if (not sys.platform.startswith("linux") or len(text) > PREFETCH_CHARS or text in _prefetched
            or threading.active_count() > 1):
        return False
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return False
    if pid == 0:  # the child: segment, write the flat offsets, leave without any cleanup of the parent's
        code = 1
        try:
            os.close(r)
            flat = array("q", [offset for span in iter_segment(text) for offset in span]).tobytes()
            view = memoryview(flat)
            while view:
                view = view[os.write(w, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    _prefetched[text] = _Prefetch(pid, r)
    return True


def _take_prefetched(text: str) -> list[Span] | None:
    """The spans of a prefetch of exactly ``text`` (waits for the child), or None."""
    job = _prefetched.pop(text, None) if _prefetched else None
    if job is None:
        return None
    chunks = []
    try:
        while chunk := os.read(job.fd, 1 << 16):
            chunks.append(chunk)
    except OSError:
        chunks = []
    finally:
        os.close(job.fd)
    try:
        _, status = os.waitpid(job.pid, 0)
    except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler): trust the data checks below
        status = 0
    if status != 0:
        return None
    flat = array("q")
    data = b"".join(chunks)
    if len(data) % (2 * flat.itemsize):
        return None
    flat.frombytes(data)
    spans = list(zip(flat[::2], flat[1::2], strict=True))  # even length: checked above
    return spans if _plausible(text, spans) else None


def _plausible(text: str, spans: list[Span]) -> bool:
    """Spans in order, inside the text, not overlapping and trimmed (what segment() guarantees)."""
    prev = 0
    for start, end in spans:
        if not prev <= start < end <= len(text) or text[start].isspace() or text[end - 1].isspace():
            return False
        prev = end
    return bool(spans) or not text.strip()


def cancel_prefetch() -> None:
    """Stop and reap every prefetch child not picked up (the document was not opened after all)."""
    import signal

    while _prefetched:
        _, job = _prefetched.popitem()
        os.close(job.fd)
        try:
            os.kill(job.pid, signal.SIGKILL)
            os.waitpid(job.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
