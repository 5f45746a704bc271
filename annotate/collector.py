"""Pausing Python's cyclic garbage collector around work that makes many objects it would scan for nothing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off inside the block; switch it back on after, if it was on.

    Two users: a screen starting (a few hundred thousand objects that live as long as
    the app: modules, pydantic validators, Textual's styles; the collector runs over
    them about ten times before the first key, frees nothing and costs 30-50 ms; the
    app freezes them with ``gc.freeze`` once the first frame is up and switches the
    collector on itself), and the export (hundreds of thousands of small acyclic
    containers; the collector's passes over them cost up to a third of its time).
    Reference counting still frees everything that is not cyclic.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
