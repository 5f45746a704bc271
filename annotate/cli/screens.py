"""Commands that open a screen: label and review (a bare ``annotate`` opens the home screen)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import AnnotateError
from . import collector_paused, main, project_of, root_option, user_errors


@main.command()
@click.argument("docs", nargs=-1)
@click.option("--annotator", "annotator_opt", default=None, help="Your annotator name.")
@click.option("--scheme", default=None, help="Tagset name (schemas/<name>.yaml) or a tagset file.")
@click.option("--suggest", is_flag=True,
              help="Show a suggested label for each sentence (Enter accepts). Default: blind, nothing shown.")
@click.option("--order", type=click.Choice(["document", "uncertain"]), default="document", show_default=True,
              help="Which unlabeled sentence comes next: in reading order, or the ones the suggester is least "
                   "sure of first (its suggestions stay hidden unless --suggest).")
@root_option
@click.pass_context
@user_errors
def label(ctx: click.Context, docs: tuple[str, ...], annotator_opt: str | None, scheme: str | None,
          suggest: bool, order: str) -> None:
    """Open the labeling screen on documents (doc ids or paths under seeds/).

    Without a document: the next one of your queue (annotate.yaml), the rest of the queue after it.
    """
    with collector_paused():
        code = _label(ctx, docs, annotator_opt, scheme, suggest, order)
    sys.exit(code)


def _label(ctx: click.Context, docs: tuple[str, ...], annotator_opt: str | None, scheme: str | None,
           suggest: bool, order: str) -> int:
    """The body of ``annotate label``; returns the exit code."""
    from ..models import GOLD
    from ..segment import cancel_prefetch, prefetch
    from ..store import annotator_name

    project = project_of(ctx)
    name = annotator_name(annotator_opt or ctx.find_root().params.get("annotator"))
    if name == GOLD:
        raise AnnotateError("--annotator: gold is reserved for review decisions (use annotate review)")
    named = [project.document(d) for d in docs]
    documents = named or _queue(project, name)
    # A missing or binary source: error now (of a queue, the first document; the others when they open).
    sources = [project.read_source(d) for d in named or (documents or [])[:1]]
    if documents and not project.label_path(documents[0].id, name).exists():
        prefetch(sources[0].text)  # a new document: segmented on another core while the screen starts
    try:
        tagset = project.tagset(scheme) if scheme else project.tagset()
        lock = None
        if documents:
            from ..store import LabelLock

            # Refuse at once, before the screen opens, when another process is labeling this file.
            lock = LabelLock(project.label_path(documents[0].id, name), "annotate label", root=project.root)
            lock.acquire()
        from ..tui.app import run_app
        from ..tui.options import AppOptions

        code = run_app(AppOptions(project, name, tagset, documents or (), suggest=suggest, order=order, lock=lock))
    finally:
        cancel_prefetch()  # not picked up (an error, or the screen never opened the document)
    return code


def _queue(project: Any, annotator: str) -> list[Any] | None:
    """With a project file: the annotator's documents left to label, in queue order (None: all done, or no file).

    Without a project file (or with nothing left) ``annotate label`` opens the home screen, as it always did.
    """
    from ..team.projectfile import load_project_file

    if load_project_file(project) is None:
        return None
    from ..team.queues import queue_of

    return queue_of(project, annotator).todo or None


@main.command()
@click.argument("doc", required=False)
@click.option("--annotators", default=None, help="Comma-separated annotators to compare (default: all).")
@click.option("--reviewer", default=None, help="Your name as reviewer (default: $ANNOTATE_ANNOTATOR or login).")
@click.option("--scheme", default=None, help="Tagset name or file (default: the annotators' tagset).")
@root_option
@click.pass_context
@user_errors
def review(ctx: click.Context, doc: str | None, annotators: str | None, reviewer: str | None,
           scheme: str | None) -> None:
    """Compare annotators on a document and decide gold labels (saved to labels/DOC/gold.yaml).

    Without DOC: the first document ready for review (every annotator done, gold labels not
    complete; one already in review first), as the home screen lists them."""
    with collector_paused():  # a screen starts: see collector_paused
        from ..models import GOLD
        from ..store import annotator_name

        project = project_of(ctx)
        name = annotator_name(reviewer or ctx.find_root().params.get("annotator"))
        if name == GOLD:
            raise AnnotateError("--reviewer: gold is reserved for the adjudicated labels; use your own name")
        document = project.document(doc) if doc is not None else _first_to_review(project)
        project.read_source(document)
        names = [a.strip() for a in annotators.split(",") if a.strip()] if annotators else []
        from ..tui.options import AppOptions, review_options

        options = review_options(AppOptions(project, name, project.tagset(scheme) if scheme else None,
                                            review=names), document)
        from ..store import LabelLock

        LabelLock(project.label_path(document.id, GOLD), "annotate review", root=project.root).acquire_and_release()
        from ..tui.app import run_app

        sys.exit(run_app(options))


def _first_to_review(project: Any) -> Any:
    """The first document of the review queue (see :func:`annotate.team.queues.review_queue`), or an error."""
    from ..team import team_state
    from ..team.queues import review_queue

    ready = review_queue(team_state(project, figures=False))
    if not ready:
        raise AnnotateError("nothing is ready for review (a document is once every annotator has finished it and"
                            " its gold labels are not complete): name one, annotate review DOC")
    click.echo(f"reviewing {ready[0].doc.id} ({len(ready)} ready for review)", err=True)
    return ready[0].doc
