"""``annotate import``: bring documents in; ``annotate import-labels``: bring labels made in other tools in."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import AnnotateError
from . import fail, main, project_of, root_option, user_errors

SHOWN_PER_KIND = 20
"""At most this many duplicates (refusals, renames) are listed one by one; the rest are counted."""


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


@contextlib.contextmanager
def progress_bar(stages: dict[str, str]) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal: ``progress(stage, done, total)``; None otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.fields[count]}"),
               TimeRemainingColumn())
    bar = Progress(*columns, console=Console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        if not tasks:
            bar.start()  # its refresh thread starts with the first figure, after the import forked its workers
        count = f"{done / 1e6:.1f}/{(total or 0) / 1e6:.1f} MB" if stage == "read" else f"{done}/{total} documents"
        if stage not in tasks:
            tasks[stage] = bar.add_task(stages.get(stage, stage), total=total, count=count)
        bar.update(tasks[stage], completed=done, total=total, count=count)

    try:
        yield progress
    finally:
        bar.stop()


@main.command("import")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="auto", show_default=True, metavar="FORMAT",
              help="auto (by suffix) | txt | md | html | jsonl | json | csv | tsv | parquet | arrow.")
@click.option("--text", "text_field", default=None, metavar="FIELD", help="Rows: the field holding the article text.")
@click.option("--id", "id_field", default=None, metavar="FIELD", help="Rows: the field holding the document id.")
@click.option("--title", "title_field", default=None, metavar="FIELD", help="Rows: the field holding the headline.")
@click.option("--meta", "meta_fields", multiple=True, metavar="FIELDS",
              help="Rows: more fields to keep as metadata, comma-separated or repeated ('*': all others).")
@click.option("--into", default=None, metavar="PREFIX",
              help="Put the documents in a folder under seeds/ (their ids start PREFIX/).")
@click.option("--encoding", default=None, metavar="NAME", help="Read the sources in this encoding (default: detected).")
@click.option("--update", is_flag=True, help="Replace a document whose id exists with other text (labels follow).")
@click.option("--no-segment", is_flag=True, help="Do not segment now (each document is segmented when first opened).")
@click.option("--dry-run", is_flag=True, help="Say what would be imported; write nothing.")
@root_option
@click.pass_context
@user_errors
def import_cmd(ctx: click.Context, sources: tuple[Path, ...], fmt: str, text_field: str | None, id_field: str | None,
               title_field: str | None, meta_fields: tuple[str, ...], into: str | None, encoding: str | None,
               update: bool, no_segment: bool, dry_run: bool) -> None:
    """Import documents into seeds/: text, Markdown and HTML files, folders of them, and rows of
    JSONL/JSON/CSV/TSV/Parquet files (one document per row), with their metadata (title, url, date, outlet).

    A document already in seeds/ (the same text) is skipped; a document that cannot be read is
    refused and the others are imported. Exit 0 when something was imported (or everything
    was there already), 2 when nothing could be.
    """
    from ..importing import ImportOptions, ReadOptions, import_documents

    if not sources:
        raise AnnotateError("give the files or folders to import (annotate import --help)")
    project = project_of(ctx, must_exist=False)
    read = ReadOptions(fmt, text_field, id_field, title_field, _split(meta_fields), encoding)
    options = ImportOptions(read, into=into, dry_run=dry_run, update=update, segment=not no_segment)
    with progress_bar({"read": "reading", "segment": "segmenting"}) as progress:
        report = import_documents(project, list(sources), options, progress)
    _print_report(project, report)
    if report.written == 0 and (report.refused or report.read == 0):
        fail("nothing imported" + (f": {len(report.refused)} refused" if report.refused else ": no documents found"))


def _print_report(project: Any, report: Any) -> None:
    for doc_id in [*report.imported, *report.updated]:
        click.echo(f"seeds/{doc_id}.txt")
    for name, info in report.files.items():
        if info.fields is not None or (info.encoding and info.encoding != "UTF-8"):
            fields = f"; fields: {info.fields.describe()}" if info.fields else ""
            click.echo(f"{name}: read as {info.encoding or 'UTF-8'}{fields}", err=True)
    for kind, items in (("refused", report.refused), ("duplicate", report.duplicates), ("renamed", report.renamed)):
        for item in items[:SHOWN_PER_KIND]:
            click.echo(f"{kind}: {item.where}: {item.reason}", err=True)
        if len(items) > SHOWN_PER_KIND:
            click.echo(f"{kind}: ... and {len(items) - SHOWN_PER_KIND} more", err=True)
    if report.other_files:
        shown = ", ".join(report.other_files[:5]) + (", ..." if len(report.other_files) > 5 else "")
        click.echo(f"left alone: {len(report.other_files)} files of other kinds ({shown})", err=True)
    click.echo(_summary(report), err=True)


def _summary(report: Any) -> str:
    verb = "would import" if report.dry_run else "imported"
    parts = [f"{verb} {len(report.imported)} documents"]
    if report.updated:
        parts.append(f"{'would update' if report.dry_run else 'updated'} {len(report.updated)}")
    parts.append(f"{len(report.duplicates)} duplicates skipped")
    parts.append(f"{len(report.refused)} refused")
    line = f"{', '.join(parts)} ({report.read} read)"
    if report.segmented:
        line += (f"; segmented {report.segmented} documents ({report.sentences} sentences)"
                 f" on {report.workers} {'core' if report.workers == 1 else 'cores'}")
    if report.segment_failed:
        line += f"; {report.segment_failed} left to be segmented when first opened"
    if report.dry_run:
        line += "; dry run: nothing written"
    return line


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in _split(values):
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise AnnotateError(f"{option} {value}: expected OLD=NEW")
        out[old.strip()] = new.strip()
    return out


@main.command("import-labels")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--from", "tool", default="auto", show_default=True, metavar="TOOL",
              help="auto | prodigy | doccano | label-studio | annotate (our own exported JSONL).")
@click.option("--annotator", "annotators", multiple=True, metavar="NAME|OLD=NEW",
              help="NAME: every label is NAME's; OLD=NEW: the file's annotator OLD is NEW here (repeatable).")
@click.option("--map", "label_map", multiple=True, metavar="OLD=NEW",
              help="Rename a label (repeatable or comma-separated).")
@click.option("--scheme", default=None, metavar="NAME", help="Tagset the labels belong to (default: claim-types).")
@click.option("--merge", is_flag=True, help="Fill an annotator's existing label file where it has no label yet.")
@click.option("--dry-run", is_flag=True, help="Say what would be written; write nothing.")
@root_option
@click.pass_context
@user_errors
def import_labels_cmd(ctx: click.Context, files: tuple[Path, ...], tool: str, annotators: tuple[str, ...],
                      label_map: tuple[str, ...], scheme: str | None, merge: bool, dry_run: bool) -> None:
    """Import labels made in Prodigy, doccano or Label Studio (or exported by annotate) as label files.

    Each item is aligned to our sentences (by document and offsets, by its text, or by the
    spans it labels); what matches no sentence is listed with its text. An annotator's
    existing label file is never overwritten: the import is refused, or with --merge fills
    only its unlabeled sentences.
    """
    from ..importing.labels import LabelOptions, import_labels
    from ..models import is_valid_annotator

    if not files:
        raise AnnotateError("give the files of labels to import (annotate import-labels --help)")
    project = project_of(ctx)
    single = [a for a in annotators if "=" not in a]
    if len(single) > 1 or (single and len(annotators) > 1):
        raise AnnotateError("--annotator: give one NAME, or OLD=NEW pairs")
    renames = _pairs(tuple(a for a in annotators if "=" in a), "--annotator")
    for name in [*single, *renames.values()]:
        if not is_valid_annotator(name):
            raise AnnotateError(f"--annotator {name}: lower case letters, digits, '.', '_' or '-'")
    options = LabelOptions(tool, single[0] if single else None, renames, _pairs(label_map, "--map"), scheme,
                           merge, dry_run)
    report = import_labels(project, list(files), options)
    _print_label_report(report)
    if not report.labels:
        fail("no labels imported" + (f": {len(report.unmatched)} items matched no sentence" if report.unmatched
                                     else ""))


def _print_label_report(report: Any) -> None:
    for path, n in report.files.items():
        kept = report.kept.get(path)
        click.echo(f"{path}: {n} labels" + (f" ({kept} of its own, different labels kept)" if kept else ""))
    for name, tool in report.tools.items():
        click.echo(f"{name}: read as {tool}", err=True)
    for kind, items in (("no match", report.unmatched), ("skipped", report.skipped), ("conflict", report.conflicts)):
        for item in items[:SHOWN_PER_KIND]:
            text = f": {' '.join(item.text.split())[:100]!r}" if item.text and kind == "no match" else ""
            click.echo(f"{kind}: {item.where}: {item.reason}{text}", err=True)
        if len(items) > SHOWN_PER_KIND:
            click.echo(f"{kind}: ... and {len(items) - SHOWN_PER_KIND} more", err=True)
    verb = "would import" if report.dry_run else "imported"
    line = (f"{verb} {report.labels} labels into {len(report.files)} label files; {len(report.unmatched)} items"
            f" matched no sentence, {len(report.skipped)} gave no label")
    if report.several:
        line += f"; {report.several} items matched a sentence in several documents (each got the label)"
    click.echo(line + ("; dry run: nothing written" if report.dry_run else ""), err=True)
