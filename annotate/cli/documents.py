"""Commands that look at the project's files: segment, validate, status, schemas."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from . import EXIT_INVALID, main, project_of, root_option, user_errors


@main.command()
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of {start, end, text}.")
@root_option
@click.pass_context
@user_errors
def segment(ctx: click.Context, doc: str, as_json: bool) -> None:
    """Show the sentences of a document with their character offsets (the units every annotator labels)."""
    from ..reading import document_units

    project = project_of(ctx)
    document = project.document(doc)
    source = project.read_source(document)
    spans, segmenter = document_units(project, document, source)
    if as_json:
        rows = [{"start": s, "end": e, "text": source.text[s:e]} for s, e in spans]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    width = len(str(len(spans)))
    for n, (s, e) in enumerate(spans, 1):
        text = " ".join(source.text[s:e].split())
        click.echo(f"{n:>{width}}  {s:>6}-{e:<6} {text}")
    click.echo(f"{len(spans)} sentences in {document.id} ({segmenter or 'segmenter not recorded'})", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fix", is_flag=True, help="Re-anchor files whose source changed, and save them.")
@root_option
@click.pass_context
@user_errors
def validate(ctx: click.Context, paths: tuple[Path, ...], fix: bool) -> None:
    """Check label files (default: all under labels/); exit 1 when any is invalid."""
    from ..validate import validate_files
    from .progress import progress_bar

    project = project_of(ctx)
    with progress_bar() as progress:
        results = validate_files(project, list(paths), fix=fix, progress=progress)
    bad = 0
    for r in results:
        if r.problem:
            bad += 1
            click.echo(r.problem)
        elif r.fixed:
            click.echo(f"{r.where}: re-anchored: {r.fixed}")
    n = len(results)
    summary = f"{n - bad} of {n} label files valid" if n else "no label files found"
    click.echo(summary, err=True)
    sys.exit(EXIT_INVALID if bad else 0)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of per-file progress.")
@click.option("--by", type=click.Choice(["document", "annotator"]), default="document", show_default=True,
              help="annotator: progress, speed and quality per annotator (agreement, accuracy vs gold).")
@root_option
@click.pass_context
@user_errors
def status(ctx: click.Context, as_json: bool, by: str) -> None:
    """Progress per document and annotator: labeled / total, unsure, orphans (--by annotator: per annotator)."""
    if by == "annotator":
        from .team import print_annotator_status

        print_annotator_status(ctx, as_json)
        return
    from ..status import status_view
    from .progress import progress_bar

    project = project_of(ctx)
    with progress_bar() as progress:
        view = status_view(project, progress)
    if as_json:
        echo_json_list(view.rows())
        return
    from ..report import print_status

    print_status(project, view.rows, view.unstarted)


def echo_json_list(items: Iterable[Any], chunk: int = 1000) -> None:
    """Print a JSON list one item a line, as the items come (a list of 30,000 rows is not held, nor indented in
    pure Python): ``chunk`` items a write."""
    from itertools import islice

    encode = json.JSONEncoder(ensure_ascii=False).encode
    out = sys.stdout
    items = iter(items)
    first = True
    while batch := list(islice(items, chunk)):
        out.write(("[\n" if first else ",\n") + ",\n".join(map(encode, batch)))
        first = False
    out.write("[]\n" if first else "\n]\n")
    out.flush()


@main.command("schemas")
@click.option("--check", is_flag=True, help="Exit 1 when the committed schemas differ from the models.")
@root_option
@click.pass_context
@user_errors
def schemas_cmd(ctx: click.Context, check: bool) -> None:
    """Write the JSON Schemas of the label file and tagset into schemas/."""
    from ..models import json_schemas
    from ..safefs import read_if_there
    from ..store import atomic_write

    project = project_of(ctx, must_exist=False)  # writes schemas/; no documents needed
    stale = []
    for name, schema in json_schemas().items():
        path = project.schemas / name
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        if check:
            if read_if_there(path, project.root) != text.encode():
                stale.append(name)
        else:
            atomic_write(path, text.encode(), root=project.root)  # never through a link out of the project
            click.echo(f"wrote {project.display(path)}")
    if stale:
        click.echo(f"out of date: {', '.join(stale)} (run annotate schemas)", err=True)
        sys.exit(EXIT_INVALID)
