"""The ``annotate`` command: a thin click layer that parses, calls the parts, prints and exits."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import AnnotateError

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
    """Turn errors the user can cause into one line on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AnnotateError as exc:
            fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")

    return wrapper  # type: ignore[return-value]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the garbage collector off while a screen starts; the app switches it back on.

    Start-up creates a few hundred thousand objects that live as long as the app
    (modules, pydantic validators, Textual's styles). The collector runs over them
    about ten times before the first key can be handled, frees nothing and costs
    30-50 ms (a full collection alone ~25 ms). Once the first frame is shown the app
    freezes them out of its reach (``gc.freeze``) and switches it on again; if the
    screen never opens, it is switched on here.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _project(ctx: click.Context) -> Any:
    from .store import Project

    root = ctx.find_root().params.get("root") or "."
    project = Project(root)
    if not project.root.is_dir():
        raise AnnotateError("project root is not a folder", root)
    return project


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project root holding seeds/, labels/ and schemas/ (default: the current folder).",
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: ctx.find_root().params.__setitem__("root", value)
    if value is not None
    else None,
)


@click.group(invoke_without_command=True)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project root holding seeds/, labels/ and schemas/ (default: the current folder).",
)
@click.option("--annotator", default=None, help="Your annotator name (default: $ANNOTATE_ANNOTATOR or login).")
@click.version_option(version=__version__, prog_name="annotate")
@click.pass_context
@user_errors
def main(ctx: click.Context, root: Path | None, annotator: str | None) -> None:
    """Label sentences of news articles as fact, speculation, quote or opinion.

    With no command, opens the home screen: every document with your progress.
    """
    if ctx.invoked_subcommand is None:
        with collector_paused():
            from .store import annotator_name

            project = _project(ctx)
            name = annotator_name(annotator)
            project.tagset()  # fail early, before the screen, on a broken tagset
            from .tui.app import run_app

            run_app(project, annotator=name, documents=None, scheme=None, home=True)


@main.command()
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of {start, end, text}.")
@root_option
@click.pass_context
@user_errors
def segment(ctx: click.Context, doc: str, as_json: bool) -> None:
    """Show the sentences of a document with their character offsets."""
    from .segment import segment as split
    from .segment import segmenter_id

    project = _project(ctx)
    document = project.document(doc)
    source = project.read_source(document)
    spans = split(source.text)
    if as_json:
        rows = [{"start": s, "end": e, "text": source.text[s:e]} for s, e in spans]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    width = len(str(len(spans)))
    for n, (s, e) in enumerate(spans, 1):
        text = " ".join(source.text[s:e].split())
        click.echo(f"{n:>{width}}  {s:>6}-{e:<6} {text}")
    click.echo(f"{len(spans)} sentences in {document.id} ({segmenter_id()})", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fix", is_flag=True, help="Re-anchor files whose source changed, and save them.")
@root_option
@click.pass_context
@user_errors
def validate(ctx: click.Context, paths: tuple[Path, ...], fix: bool) -> None:
    """Check label files (default: all under labels/); exit 1 when any is invalid."""
    from .validate import validate_files

    project = _project(ctx)
    results = validate_files(project, list(paths), fix=fix)
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
@root_option
@click.pass_context
@user_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """Progress per document and annotator: labeled / total, unsure, orphans."""
    from .validate import status_rows

    project = _project(ctx)
    rows = status_rows(project)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from .report import print_status
    from .validate import unstarted_documents

    print_status(project, rows, unstarted_documents(project))


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
    """Open the labeling screen on documents (doc ids or paths under seeds/)."""
    with collector_paused():
        code = _label(ctx, docs, annotator_opt, scheme, suggest, order)
    sys.exit(code)


def _label(ctx: click.Context, docs: tuple[str, ...], annotator_opt: str | None, scheme: str | None,
           suggest: bool, order: str) -> int:
    """The body of ``annotate label``; returns the exit code."""
    from .models import GOLD
    from .segment import cancel_prefetch, prefetch
    from .store import annotator_name

    project = _project(ctx)
    name = annotator_name(annotator_opt or ctx.find_root().params.get("annotator"))
    if name == GOLD:
        raise AnnotateError("--annotator: gold is reserved for review decisions (use annotate review)")
    documents = [project.document(d) for d in docs] or None
    sources = [project.read_source(d) for d in documents or []]  # a missing or binary source: error now
    if documents and not project.label_path(documents[0].id, name).exists():
        prefetch(sources[0].text)  # a new document: segmented on another core while the screen starts
    try:
        tagset = project.tagset(scheme) if scheme else project.tagset()
        lock = None
        if documents:
            from .store import LabelLock

            # Refuse at once, before the screen opens, when another process is labeling this file.
            lock = LabelLock(project.label_path(documents[0].id, name), "annotate label")
            lock.acquire()
        from .tui.app import run_app

        code = run_app(project, annotator=name, documents=documents, scheme=scheme, home=not documents,
                       tagset=tagset, lock=lock, suggest=suggest, order=order)
    finally:
        cancel_prefetch()  # not picked up (an error, or the screen never opened the document)
    return code


@main.command()
@click.argument("docs", nargs=-1)
@click.option("--annotators", default=None, help="Comma-separated annotators (default: all but gold).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every figure.")
@root_option
@click.pass_context
@user_errors
def agreement(ctx: click.Context, docs: tuple[str, ...], annotators: str | None, as_json: bool) -> None:
    """Inter-annotator agreement: Krippendorff's alpha, Fleiss' and Cohen's kappa, with unit counts."""
    from .review import agreement_report

    project = _project(ctx)
    documents = [project.document(d) for d in docs] if docs else None
    names = [a.strip() for a in annotators.split(",") if a.strip()] if annotators else None
    if names:
        from .models import is_valid_annotator

        for n in names:
            if not is_valid_annotator(n):
                raise AnnotateError(f"--annotators: {n!r} is not a valid annotator name")
    result = agreement_report(project, documents, names)
    if names:
        known = {a for d in (documents or project.documents()) for a in project.annotators(d.id)}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise AnnotateError(f"--annotators: no label files by {', '.join(unknown)}")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    from .report import print_agreement

    print_agreement(result)


@main.command()
@click.argument("doc")
@click.option("--annotators", default=None, help="Comma-separated annotators to compare (default: all).")
@click.option("--reviewer", default=None, help="Your name as reviewer (default: $ANNOTATE_ANNOTATOR or login).")
@click.option("--scheme", default=None, help="Tagset name or file (default: the annotators' tagset).")
@root_option
@click.pass_context
@user_errors
def review(ctx: click.Context, doc: str, annotators: str | None, reviewer: str | None,
           scheme: str | None) -> None:
    """Compare annotators on a document and decide gold labels (saved to labels/DOC/gold.yaml)."""
    with collector_paused():  # a screen starts: see collector_paused
        from .models import GOLD
        from .review import load_document_labels
        from .store import annotator_name

        project = _project(ctx)
        name = annotator_name(reviewer or ctx.find_root().params.get("annotator"))
        if name == GOLD:
            raise AnnotateError("--reviewer: gold is reserved for the adjudicated labels; use your own name")
        document = project.document(doc)
        project.read_source(document)
        names = [a.strip() for a in annotators.split(",") if a.strip()] if annotators else []
        available = load_document_labels(project, document).annotators
        unknown = [n for n in names if n not in available]
        if GOLD in names:
            raise AnnotateError("--annotators: gold is the adjudicated label, not an annotator")
        if unknown:
            raise AnnotateError(f"--annotators: no label file for {', '.join(unknown)} in labels/{document.id}/"
                                f" (have: {', '.join(available) or 'none'})")
        if not available:
            raise AnnotateError(f"nobody has labeled {document.id} yet: nothing to review", document.id)
        if scheme:
            tagset = project.tagset(scheme)
        else:
            from .session import load_current

            first = load_current(project.label_path(document.id, (names or available)[0]))
            tagset = project.tagset(first.scheme)
        from .store import LabelLock

        LabelLock(project.label_path(document.id, GOLD), "annotate review").acquire_and_release()
        from .tui.app import run_app

        sys.exit(run_app(project, annotator=name, documents=[document], scheme=None, home=False,
                         tagset=tagset, review=names))


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

    from . import suggest as sg

    project = _project(ctx)
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


@main.command("schemas")
@click.option("--check", is_flag=True, help="Exit 1 when the committed schemas differ from the models.")
@root_option
@click.pass_context
@user_errors
def schemas_cmd(ctx: click.Context, check: bool) -> None:
    """Write the JSON Schemas of the label file and tagset into schemas/."""
    from .models import json_schemas

    project = _project(ctx)
    stale = []
    for name, schema in json_schemas().items():
        path = project.schemas / name
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            project.schemas.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            click.echo(f"wrote {project.display(path)}")
    if stale:
        click.echo(f"out of date: {', '.join(stale)} (run annotate schemas)", err=True)
        sys.exit(EXIT_INVALID)


# --------------------------------------------------------------------------- export


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

    from .export import command_line, parse_options, run_export

    project = _project(ctx)
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
