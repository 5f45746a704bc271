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
@click.option("--unsure-weight", default=None,
              help="How much a label flagged unsure counts, 0 to 1, in the majority, soft_label and agreement"
                   " (0: not at all, left out and counted; 1: like any other).  [default: 0.5]")
@click.option("--include-unsure", is_flag=True, help="Same as --unsure-weight 1.")
@click.option("--min-annotators", default="1", show_default=True,
              help="majority: leave out sentences with fewer counted labels.")
@click.option("--min-agreement", default="0", show_default=True,
              help="majority: leave out sentences whose weighted majority share is below this (0 to 1).")
@click.option("--split", "split", default="80/10/10", show_default=True,
              help="train/dev/test percentages (90/10: train/test; 100: train only).")
@click.option("--seed", default="0", show_default=True, help="Seed of the split assignment.")
@click.option("--dedupe", is_flag=True, help="Keep one copy of sentences whose normalised text repeats.")
@click.option("--context", default="1", show_default=True, help="Neighbouring sentences to include each side.")
@click.option("--format", "formats", multiple=True,
              help="jsonl | csv | parquet | prodigy; repeat or comma-separate (default: jsonl).")
@root_option
@click.pass_context
@user_errors
def export_cmd(ctx: click.Context, out: Path | None, labels_mode: str, unsure_weight: str | None,
               include_unsure: bool, min_annotators: str, min_agreement: str, split: str, seed: str, dedupe: bool,
               context: str, formats: tuple[str, ...]) -> None:
    """Export a dataset: leak-free splits, JSONL/CSV/Parquet/Prodigy files, README.md card and stats.json."""
    from ..export import command_line, parse_options, run_export
    from .progress import progress_bar

    project = project_of(ctx)
    if out is None:
        raise AnnotateError("--out: required: the folder to write the dataset into (e.g. --out out/)")

    def warn(message: str) -> None:
        click.echo(f"annotate: warning: {message}", err=True)

    options = parse_options(out, labels_mode, include_unsure, min_annotators, min_agreement, split, seed, dedupe,
                            context, formats or ("jsonl",), unsure_weight=unsure_weight, warn=warn)
    with progress_bar() as progress:
        result = run_export(project, options, command_line(sys.argv), progress, warn)
    stats = result.stats
    for path in result.files:
        click.echo(project.display(path))
    per_split = ", ".join(f"{name} {s['rows']}" for name, s in stats["splits"].items())
    left = ", ".join(f"{v} {k}" for k, v in stats["left_out"].items() if v) or "nothing"
    click.echo(f"exported {stats['rows']} rows ({per_split}); left out or counted: {left}", err=True)
