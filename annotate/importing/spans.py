"""Segmenting imported documents on every core: sentence spans computed by a process pool,
remembered by this process for every later reader (:func:`annotate.reading.remember_spans`)."""

from __future__ import annotations

import multiprocessing
import os
import sys
from array import array
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from ..reading import Span, remember_spans
from ..store import Project, Source

POOL_CHARS = 100_000
"""Texts are segmented here, without a pool, until this many characters wait (a pool takes ~0.5 s to start)."""

IN_FLIGHT_PER_WORKER = 4
"""Documents handed to each worker at once: enough to keep it busy, few enough to bound memory."""


def segment_flat(text: str) -> bytes:
    """The sentence spans of ``text`` as flat native 64-bit offsets (start, end, start, end...): a worker's job."""
    from ..segment import segment

    return array("q", [offset for span in segment(text) for offset in span]).tobytes()


def spans_of(flat: bytes) -> list[Span]:
    """The spans from :func:`segment_flat`'s bytes."""
    offsets = array("q")
    offsets.frombytes(flat)
    return list(zip(offsets[::2], offsets[1::2], strict=True))


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """forkserver on Linux (workers start clean, without this process's threads), spawn elsewhere."""
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["annotate.segment", "pysbd"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover


@dataclass
class SpanWorkers:
    """Segments documents as they are imported and remembers their spans; a pool once there is enough to do.

    ``done(sentences)`` is called after each document. Memory stays bounded: at most
    ``IN_FLIGHT_PER_WORKER`` texts per worker wait in the pool.
    """

    project: Project
    workers: int = field(default_factory=cores)
    done: Callable[[int], None] | None = None
    segmented: int = 0
    sentences: int = 0
    failed: int = 0
    """Documents a worker could not segment (they are segmented when first opened instead)."""
    _waiting: list[tuple[Source, int]] = field(default_factory=list)
    _waiting_chars: int = 0
    _pool: ProcessPoolExecutor | None = None
    _futures: dict[Future[bytes], Source] = field(default_factory=dict)

    def add(self, source: Source) -> None:
        """Segment this document (now or later) and remember its spans."""
        if self._pool is None:
            self._waiting.append((source, len(source.text)))
            self._waiting_chars += len(source.text)
            if self._waiting_chars >= POOL_CHARS and self.workers > 1:
                self._start_pool()
            return
        self._submit(source)

    def _start_pool(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context())
        waiting, self._waiting = self._waiting, []
        for source, _ in waiting:
            self._submit(source)

    def _submit(self, source: Source) -> None:
        assert self._pool is not None
        while len(self._futures) >= self.workers * IN_FLIGHT_PER_WORKER:
            self._collect(wait(self._futures, return_when=FIRST_COMPLETED).done)
        self._futures[self._pool.submit(segment_flat, source.text)] = source
        self._collect([f for f in self._futures if f.done()])

    def _collect(self, finished: object) -> None:
        for future in list(finished):  # type: ignore[call-overload]
            source = self._futures.pop(future)
            try:
                flat = future.result()
            except Exception:  # noqa: BLE001 - a worker died or pySBD failed: the first open segments it
                self.failed += 1
                continue
            self._remember(source, spans_of(flat))

    def _remember(self, source: Source, spans: list[Span]) -> None:
        from ..segment import segmenter_id

        remember_spans(self.project, source, spans, segmenter_id())
        self.segmented += 1
        self.sentences += len(spans)
        if self.done is not None:
            self.done(len(spans))

    def finish(self) -> None:
        """Segment what is left and wait for the pool; the pool is shut down."""
        from ..segment import segment

        for source, _ in self._waiting:
            self._remember(source, segment(source.text))
        self._waiting = []
        try:
            while self._futures:
                self._collect(wait(self._futures, return_when=FIRST_COMPLETED).done)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the pool without waiting for what is left (an interrupted import)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def pending(self) -> int:
        """Documents not segmented yet."""
        return len(self._waiting) + len(self._futures)
