"""``annotate export``: a leak-free, documented training dataset from the label files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import AnnotateError
from . import main, project_of, root_option, user_errors


@main.command("export")
@click.option("--out", "out", default=None, type=click.Path(path_type=Path),
              help="Folder to write the dataset into (created; never inside labels/).")
@click.option("--labels", "labels_mode", default="majority", show_default=True,
              help="gold | majority | annotator:NAME | all (one row per sentence and annotator).")
@click.option("--include-unsure", is_flag=True, help="Count labels flagged unsure (default: left out, counted).")
@click.option("--min-annotators", default="1", show_default=True,
              help="majority: leave out sentences with fewer counted labels.")
@click.option("--min-agreement", default="0", show_default=True,
              help="majority: leave out sentences whose majority share is below this (0 to 1).")
@click.option("--split", "split", default="80/10/10", show_default=True,
              help="train/dev/test percentages (90/10: train/test; 100: train only).")
@click.option("--seed", default="0", show_default=True, help="Seed of the split assignment.")
@click.option("--dedupe", is_flag=True, help="Keep one copy of sentences whose normalised text repeats.")
@click.option("--context", default="1", show_default=True, help="Neighbouring sentences to include each side.")
@click.option("--format", "formats", multiple=True,
              help="jsonl | csv | parquet | spacy; repeat or comma-separate (default: jsonl).")
@root_option
@click.pass_context
@user_errors
def export_cmd(ctx: click.Context, out: Path | None, labels_mode: str, include_unsure: bool, min_annotators: str,
               min_agreement: str, split: str, seed: str, dedupe: bool, context: str,
               formats: tuple[str, ...]) -> None:
    """Export a dataset: leak-free splits, JSONL/CSV/Parquet/Prodigy files, README.md card and stats.json."""
    import contextlib

    from ..export import command_line, parse_options, run_export

    project = project_of(ctx)
    if out is None:
        raise AnnotateError("--out: required: the folder to write the dataset into (e.g. --out out/)")
    options = parse_options(out, labels_mode, include_unsure, min_annotators, min_agreement, split, seed, dedupe,
                            context, formats or ("jsonl",))

    def warn(message: str) -> None:
        click.echo(f"annotate: warning: {message}", err=True)

    with contextlib.ExitStack() as stack:
        progress = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            bar = stack.enter_context(Progress(console=Console(stderr=True), transient=True))
            task = bar.add_task("reading label files", total=None)

            def progress(done: int, total: int) -> None:
                if total >= 50:
                    bar.update(task, completed=done, total=total)

        result = run_export(project, options, command_line(sys.argv), progress, warn)
    stats = result.stats
    for path in result.files:
        click.echo(project.display(path))
    per_split = ", ".join(f"{name} {s['rows']}" for name, s in stats["splits"].items())
    left = ", ".join(f"{v} {k}" for k, v in stats["left_out"].items() if v) or "nothing"
    click.echo(f"exported {stats['rows']} rows ({per_split}); left out or counted: {left}", err=True)
