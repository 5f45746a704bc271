"""``annotate agreement``: inter-annotator agreement figures with their unit counts."""

from __future__ import annotations

import click

from ..errors import AnnotateError
from . import main, project_of, root_option, user_errors


@main.command()
@click.argument("docs", nargs=-1)
@click.option("--annotators", default=None, help="Comma-separated annotators (default: all but gold).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every figure.")
@root_option
@click.pass_context
@user_errors
def agreement(ctx: click.Context, docs: tuple[str, ...], annotators: str | None, as_json: bool) -> None:
    """Inter-annotator agreement: Krippendorff's alpha, Fleiss' and Cohen's kappa, with unit counts."""
    from ..review import agreement_report

    project = project_of(ctx)
    documents = [project.document(d) for d in docs] if docs else None
    names = [a.strip() for a in annotators.split(",") if a.strip()] if annotators else None
    if names:
        from ..models import is_valid_annotator

        for n in names:
            if not is_valid_annotator(n):
                raise AnnotateError(f"--annotators: {n!r} is not a valid annotator name")
    from .progress import progress_bar

    with progress_bar() as progress:
        result = agreement_report(project, documents, names, progress, lazy_documents=True)
    if as_json:
        from ..agreement import write_json

        write_json(result, lambda text: click.echo(text, nl=False))
        click.echo()
        return
    from ..report import print_agreement

    print_agreement(result)
