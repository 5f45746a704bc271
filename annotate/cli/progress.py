"""A progress bar on stderr for commands that can take a while on a large project (only when stderr is a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

StepProgress = Callable[[str, int, int], None]
"""``progress(what, done, total)``."""

MIN_TOTAL = 50
"""Fewer items than this finish too fast to need a bar."""


@contextmanager
def progress_bar() -> Iterator[StepProgress | None]:
    """A ``progress(what, done, total)`` callback drawing one transient bar per step on stderr; None off a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: int, total: int) -> None:
            if total < MIN_TOTAL:
                return
            task = tasks.get(what)
            if task is None:
                task = tasks[what] = bar.add_task(what, total=total)
            bar.update(task, completed=done, total=total)

        yield progress
