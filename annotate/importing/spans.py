"""Segmenting imported documents on every core: sentence spans computed by a process pool,
remembered by this process for every later reader (:func:`annotate.reading.remember_spans`)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ..reading import Span, remember_spans
from ..segment import segment, segmenter_id
from ..store import Project, Source

POOL_CHARS = 100_000
"""Less text than this is segmented here, without a pool (starting one costs more than it saves)."""

IN_FLIGHT_PER_WORKER = 4
"""Documents handed to each worker at once: enough to keep it busy, few enough to bound memory."""


def segment_flat(text: str) -> bytes:
    """The sentence spans of ``text`` as flat native 64-bit offsets (start, end, start, end...): a worker's job."""
    return array("q", [offset for span in segment(text) for offset in span]).tobytes()


def _start_worker() -> None:
    """A worker's start: leave when the importing process is gone (killed), then warm pySBD up.

    A worker of a killed import would otherwise wait for work forever. pySBD builds its
    rules on its first text: done here, before real work arrives.
    """

    parent = os.getppid()  # the import (fork) or the fork server, which ends with the import

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    segment("Warm up. Now.")


def _ready() -> None:
    """A job that does nothing: the first one submitted starts every worker."""


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
    """fork on Linux while this process has no other thread (workers start at once, with pySBD loaded and
    nothing to import again); else forkserver (Linux) or spawn, where workers import the segmenter."""
    if sys.platform.startswith("linux"):
        if threading.active_count() == 1:
            return multiprocessing.get_context("fork")
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["annotate.segment", "pysbd"])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover


@dataclass
class SpanWorkers:
    """Segments documents as they are imported and remembers their spans; with a pool when there is enough to do.

    ``done(sentences)`` is called after each document. Memory stays bounded: at most
    ``IN_FLIGHT_PER_WORKER`` texts per worker wait in the pool. If the pool breaks (a
    worker killed), the rest is segmented here.
    """

    project: Project
    workers: int = field(default_factory=cores)
    done: Callable[[int], None] | None = None
    remember: Callable[[Source, list[Span]], None] | None = None
    """Keeps a document's spans (default: :func:`annotate.reading.remember_spans`, here and now)."""
    segmented: int = 0
    sentences: int = 0
    failed: int = 0
    """Documents a worker could not segment (they are segmented when first opened instead)."""
    pooled: bool = False
    """True once a pool was started (else everything was segmented in this process, on one core)."""
    _waiting: list[Source] = field(default_factory=list)
    _waiting_chars: int = 0
    _pool: ProcessPoolExecutor | None = None
    _futures: dict[Future[bytes], Source] = field(default_factory=dict)

    def start(self) -> None:
        """Start the pool now (an import that knows it has enough text): workers warm up while reading goes on."""
        if self._pool is not None or self.workers < 2:
            return
        import pysbd  # noqa: F401 - loaded once here, shared by forked workers

        try:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                             initializer=_start_worker)
            self._pool.submit(_ready)  # starts every worker
            self.pooled = True
        except (OSError, BrokenProcessPool):
            self._pool = None
            self.workers = 1
        waiting, self._waiting, self._waiting_chars = self._waiting, [], 0
        for source in waiting:
            self.add(source)

    def add(self, source: Source) -> None:
        """Segment this document (now or later) and remember its spans."""
        if self._pool is None:
            self._waiting.append(source)
            self._waiting_chars += len(source.text)
            if self._waiting_chars >= POOL_CHARS and self.workers > 1:
                self.start()
            return
        while len(self._futures) >= self.workers * IN_FLIGHT_PER_WORKER:
            self._collect(wait(self._futures, return_when=FIRST_COMPLETED).done)
        try:
            self._futures[self._pool.submit(segment_flat, source.text)] = source
        except BrokenProcessPool:
            self._remember(source, segment(source.text))
            return
        self._collect([f for f in self._futures if f.done()])

    def _collect(self, finished: Iterable[Future[bytes]]) -> None:
        for future in list(finished):
            source = self._futures.pop(future)
            try:
                flat = future.result()
            except BrokenProcessPool:  # a worker was killed: this one is done here
                self._remember(source, segment(source.text))
                continue
            except Exception:  # noqa: BLE001 - pySBD failed on this text: the first open tries again
                self.failed += 1
                continue
            self._remember(source, spans_of(flat))

    def _remember(self, source: Source, spans: list[Span]) -> None:
        if self.remember is not None:
            self.remember(source, spans)
        else:
            remember_spans(self.project, source, spans, segmenter_id())
        self.segmented += 1
        self.sentences += len(spans)
        if self.done is not None:
            self.done(len(spans))

    def finish(self) -> None:
        """Segment what is left, wait for the pool, and shut it down."""
        for source in self._waiting:
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
