"""``annotate suggest [DOC]...``: pre-label sentences; ``annotate suggest train``: fit the model suggester."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import AnnotateError
from . import main, project_of, root_option, user_errors

TRAIN_HINT = "to suggest a document named train, give its path: annotate suggest seeds/train.txt"


class DocumentsOrCommand(click.Group):
    """A group whose first argument is a subcommand when it names one, else the first of a list of documents.

    ``annotate suggest train`` trains; ``annotate suggest DOC... [OPTIONS]`` suggests, with
    the options anywhere among the documents (a document named ``train`` is given by its path).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Subcommand arguments as click parses them; else options and documents, in any order."""
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx.allow_interspersed_args = True
        return click.Command.parse_args(self, ctx, args)  # what is left (ctx.args) are the documents


@main.group("suggest", cls=DocumentsOrCommand, invoke_without_command=True,
            subcommand_metavar="[DOC]... | train [OPTIONS]")
@click.option("--with", "agent", type=click.Choice(["rules", "model"]), default=None,
              help="rules: cue lists of the tagset (default); model: the classifier made by annotate suggest train.")
@click.option("--scheme", default=None, help="rules: tagset name or file (default: the document's tagset).")
@click.option("--print/--no-print", "show", default=True, show_default=True, help="Print the suggestions table.")
@root_option
@click.pass_context
@user_errors
def suggest_cmd(ctx: click.Context, agent: str | None, scheme: str | None, show: bool) -> None:
    """Pre-label sentences: write labels/DOC/_suggestions.yaml for each DOC (default: every document).

    The file is not an annotator's: agreement and status never count it. `annotate
    label --suggest` shows its suggestions; blind labeling (the default) does not.
    DOC is a document id or the path of its source; a document named "train" is
    given by its path (seeds/train.txt), since `annotate suggest train` trains.
    """
    if ctx.invoked_subcommand is not None:
        return
    docs = list(ctx.args)
    if docs[:1] == ["train"]:
        raise AnnotateError(f"annotate suggest train takes none of --with, --scheme, --print; {TRAIN_HINT}")
    project = project_of(ctx)
    suggest_documents(project, docs, agent, scheme, show)


def suggest_documents(project: Any, docs: list[str], agent: str | None, scheme: str | None, show: bool) -> None:
    """Write (and print) the suggestions of the documents named, or of every document."""
    import shutil

    from .. import suggest as sg

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


@suggest_cmd.command("train")
@click.argument("extra", nargs=-1, metavar="")
@root_option
@click.pass_context
@user_errors
def train_cmd(ctx: click.Context, extra: tuple[str, ...]) -> None:
    """Train the model suggester on the project's labels.

    Needs the optional extra annotate[model] (scikit-learn). Trains on every
    labeled sentence: gold where decided, else the annotators' majority. Prints
    accuracy and per-label F1 from cross-validation with folds grouped by document
    (no document in two folds), next to a majority-class baseline, and stores the
    model in .annotate/model.npz: arrays only (vocabulary, idf weights,
    coefficients), never a pickle. `annotate suggest --with model` uses it.
    """
    if extra:
        raise AnnotateError(f"suggest train takes no documents: it trains on every labeled document; {TRAIN_HINT}")
    from .. import suggest as sg

    project = project_of(ctx)
    trainer = sg.ModelSuggester()  # says at once when scikit-learn is missing
    if sys.stderr.isatty():
        click.echo("training the model suggester (cross-validation first) ...", err=True)
    report = trainer.train(project)
    for line in report.lines():
        click.echo(line)
