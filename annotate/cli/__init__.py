"""The ``annotate`` command: a thin click layer that parses, calls the parts, prints and exits."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__
from ..collector import collector_paused
from ..errors import AnnotateError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INVALID = 1
"""Exit code when a check found problems (validate)."""
EXIT_USAGE = 2
"""Exit code for usage and input errors."""


def fail(message: str) -> None:
    """Print one line on stderr and exit with code 2."""
    click.echo(f"annotate: {message}", err=True)
    sys.exit(EXIT_USAGE)


def user_errors(func: F) -> F:
    """Turn errors the user can cause into one line on stderr and exit code 2.

    A reader that goes away (``annotate status | head -1``) ends the command quietly,
    as Unix tools do: no message, exit status 141 (128 + SIGPIPE).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            reader_gone()
        except AnnotateError as exc:
            fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")

    return wrapper  # type: ignore[return-value]


EXIT_PIPE = 141
"""Exit status when the reader of the output went away (128 + SIGPIPE, as a shell reports it)."""


def reader_gone() -> None:
    """Stdout's reader closed the pipe: stop without a word (and without Python's flush warning at exit)."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_PIPE)


ROOT_KEY = "annotate.root"


def project_of(ctx: click.Context, must_exist: bool = True) -> Any:
    """The project of the command (``--root``, default the current folder).

    ``must_exist``: a folder without ``seeds/`` is no project, an error saying so
    (``annotate import`` creates one and passes False).
    """
    from ..project import Project

    given = ctx.find_root().meta.get(ROOT_KEY)
    project = Project(given or ".")
    if not project.root.is_dir():
        raise AnnotateError("project root is not a folder", given or ".")
    if must_exist and not project.seeds.is_dir():
        hint = "pass the project folder with --root DIR" if given is None else "is --root the project folder?"
        raise AnnotateError(f"no annotation project here: {project.root} has no seeds/ folder ({hint})")
    return project


def _remember_root(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.find_root().meta[ROOT_KEY] = value


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project root holding seeds/, labels/ and schemas/ (default: the current folder).",
    expose_value=False,
    is_eager=True,
    callback=_remember_root,
)
"""``--root``, before the command (``annotate --root P status``) or after it (``annotate status --root P``)."""


@click.group(invoke_without_command=True)
@root_option
@click.option("--annotator", default=None, help="Your annotator name (default: $ANNOTATE_ANNOTATOR or login).")
@click.option("--role", type=click.Choice(["annotator", "reviewer"]), default=None, hidden=True,
              help="Set by annotate serve for a browser session (the one channel of the role).")
@click.version_option(version=__version__, prog_name="annotate")
@click.pass_context
@user_errors
def main(ctx: click.Context, annotator: str | None, role: str | None) -> None:
    """Label sentences of news articles as fact, speculation, quote or opinion.

    With no command, opens the home screen: every document with your progress.

    ``--role`` (hidden) is how ``annotate serve`` tells a browser session's app what its
    account may do: "annotator" (no review screen) or "reviewer"; absent for a local user,
    who may do everything. It goes into ``AppOptions.role``, the app's one notion of a role.
    """
    if ctx.invoked_subcommand is None:
        with collector_paused():
            from ..listing import cancel_prefetch, prefetch_walk

            project = project_of(ctx)
            prefetch_walk(project)  # the walk that checks the remembered rows: on another core meanwhile
            try:
                from ..store import annotator_name

                name = annotator_name(annotator)
                from ..homeview import read_ahead

                read_ahead(project, name, role)  # the remembered rows, read while Textual is imported
                project.tagset()  # fail early, before the screen, on a broken tagset
                from ..tui.app import run_app
                from ..tui.options import AppOptions

                run_app(AppOptions(project, name, role=role))
            finally:
                cancel_prefetch()  # not picked up (an error, or the home screen never read its rows)


from . import agreement, documents, export, importing, screens, serve, suggest, team  # noqa: E402, F401  (they register their commands)
