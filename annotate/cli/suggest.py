"""``annotate suggest``: pre-label sentences; ``annotate suggest train``: fit the model suggester."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import AnnotateError
from . import main, project_of, root_option, user_errors


@main.command("suggest")
@click.argument("docs", nargs=-1)
@click.option("--with", "agent", type=click.Choice(["rules", "model"]), default=None,
              help="rules: cue lists of the tagset (default); model: the classifier made by annotate suggest train.")
@click.option("--scheme", default=None, help="rules: tagset name or file (default: the document's tagset).")
@click.option("--print/--no-print", "show", default=True, show_default=True, help="Print the suggestions table.")
@root_option
@click.pass_context
@user_errors
def suggest_cmd(ctx: click.Context, docs: tuple[str, ...], agent: str | None, scheme: str | None,
                show: bool) -> None:
    """Pre-label sentences: write labels/DOC/_suggestions.yaml for each DOC (default: every document).

    The file is not an annotator's: agreement and status never count it. `annotate
    label --suggest` shows its suggestions; blind labeling (the default) does not.

    `annotate suggest train` instead trains the model suggester (needs the extra
    `annotate[model]`) on the project's labels, gold where decided, else the
    annotators' majority; stores it in .annotate/model.pkl and prints
    cross-validated accuracy and per-label F1, folds grouped by document.
    (A document named "train": give its path, seeds/train.txt.)
    """
    import shutil

    from .. import suggest as sg

    project = project_of(ctx)
    if docs and docs[0] == "train":
        if len(docs) > 1:
            raise AnnotateError("suggest train takes no documents: it trains on every labeled document")
        if agent == "rules" or scheme:
            raise AnnotateError("suggest train fits the model suggester; --with and --scheme do not apply")
        trainer = sg.ModelSuggester()  # says at once when scikit-learn is missing
        if sys.stderr.isatty():
            click.echo("training the model suggester (cross-validation first) ...", err=True)
        report = trainer.train(project)
        for line in report.lines():
            click.echo(line)
        return
    documents = [project.document(d) for d in docs] if docs else project.documents()
    if not documents:
        raise AnnotateError(f"no documents under {project.display(project.seeds)}")
    model = sg.ModelSuggester.load(project) if agent == "model" else None
    if model is not None and scheme and project.tagset(scheme).name != model.scheme:
        raise AnnotateError(f"--scheme: the model was trained on tagset {model.scheme}, not {scheme}")
    width = shutil.get_terminal_size((120, 24)).columns
    for document in documents:
        spans, text, _, doc_scheme = sg.document_spans(project, document)
        if model is not None:
            if doc_scheme and doc_scheme != model.scheme:
                raise AnnotateError(f"the model was trained on tagset {model.scheme}, but labels/{document.id}/"
                                    f" uses {doc_scheme}")
            suggester: Any = model
        else:
            suggester = sg.RulesSuggester(project.tagset(scheme or doc_scheme or "claim-types"))
        texts = [text[s:e] for s, e in spans]
        items = [(s, e, sug) for (s, e), sug in zip(spans, suggester.suggest_all(texts), strict=True)]
        path = sg.write_suggestions(project, document, items, suggester)
        if show:
            click.echo(f"{document.id} ({suggester.agent}, tagset {suggester.scheme})")
            for line in sg.format_table(items, texts, width):
                click.echo(line)
            click.echo("")
        click.echo(f"wrote {project.display(path)}", err=True)
