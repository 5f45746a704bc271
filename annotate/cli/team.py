"""Team commands: ``annotate assign`` (the plan, a queue, ``--check``), ``annotate report`` (HTML), and the
table of ``annotate status --by annotator``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import AnnotateError
from . import EXIT_INVALID, main, project_of, root_option, user_errors

NO_PROJECT_FILE = ("no project file: annotate.yaml is missing, so nobody is assigned anything and everyone may"
                   " label everything (README: Working as a team)")


def _state(ctx: click.Context, dated: bool = False) -> Any:
    """The team's state; the collector waits while every label file is read (millions of objects that stay).

    ``dated``: with each file's time and the figures (label mix, seconds, pair counts); without, progress alone.
    """
    from ..team import team_state
    from . import collector_paused

    with collector_paused():
        return team_state(project_of(ctx), dated=dated, figures=dated)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plan (or the queue, or the problems) as JSON.")
@click.option("--check", is_flag=True,
              help="List documents with fewer or more annotators than needed, and the tool's own files git would"
                   " commit; exit 1 when there are any.")
@click.option("--annotator", "who", default=None, help="Show this annotator's queue in order instead.")
@click.option("--review", is_flag=True, help="Show the documents ready for review instead (in review first).")
@root_option
@click.pass_context
@user_errors
def assign(ctx: click.Context, as_json: bool, check: bool, who: str | None, review: bool) -> None:
    """Who labels which document, from annotate.yaml (rendezvous hashing: the same plan on every clone)."""
    if not (review or check or who is not None):
        from ..remembered import PLAN

        data = _remembered(ctx, PLAN, _plan)
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=1))
            return
        _print_plan(data)
        return
    state = _state(ctx)
    if review:
        _print_review(state, as_json)
        return
    if state.team is None:
        raise AnnotateError(NO_PROJECT_FILE)
    if check:
        from ..team.activity import unignored_tool_files

        problems = state.coverage_problems()
        _print_problems(problems, as_json)
        leaks = unignored_tool_files(state.project)
        for path in leaks:
            click.echo(f"annotate: git would commit {path}: the tool's own files stay out of git"
                       " (.gitignore: .annotate/; labels/.gitignore: .* and !.gitignore)", err=True)
        sys.exit(EXIT_INVALID if problems or leaks else 0)
    assert who is not None
    _print_queue(state, who, as_json)


def _plan(project: Any, listing: Any) -> dict[str, Any]:
    """``annotate assign``'s plan, read from the files (see :func:`annotate.team.figures.plan_data`)."""
    from ..summaries import read_summaries
    from ..team import team_state
    from ..team.figures import plan_data
    from ..team.work import work_of

    state = team_state(project, work_of(project, read_summaries(project, listing=listing)))
    if state.team is None:
        raise AnnotateError(NO_PROJECT_FILE)
    return plan_data(state)


def _print_problems(problems: list[tuple[Any, str]], as_json: bool) -> None:
    rows = [{"document": d.document, "problem": kind, "needed": d.needed, "assigned": d.assigned,
             "unassigned": d.unassigned} for d, kind in problems]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            names = r["assigned"] + [f"{a} (not assigned)" for a in r["unassigned"]]
            click.echo(f"{r['document']}: {r['problem']} annotators than needed: needs {r['needed']},"
                       f" has {', '.join(names) or 'none'}")
    fewer = sum(1 for r in rows if r["problem"] == "fewer")
    click.echo(f"{len(rows)} documents with fewer ({fewer}) or more ({len(rows) - fewer}) annotators than needed",
               err=True)


def _print_queue(state: Any, who: str, as_json: bool) -> None:
    from ..team.queues import annotator_queue

    queue = annotator_queue(state, who)
    rows = [{"document": i.doc.id, "status": i.status,
             "labeled": i.progress.labeled if i.progress else 0, "total": i.progress.total if i.progress else None}
            for i in queue.items]
    if as_json:
        click.echo(json.dumps({"annotator": who, "in_team": queue.in_team, "queue": rows,
                               "next": queue.next.id if queue.next else None}, ensure_ascii=False, indent=1))
        return
    if not queue.in_team:
        click.echo(f"{who} is not an annotator of annotate.yaml: nothing is assigned to them"
                   " (they may still label any document: unassigned work)", err=True)
    width = max((len(r["document"]) for r in rows), default=8)
    for r in rows:
        count = f"{r['labeled']}/{r['total']}" if r["total"] else ""
        click.echo(f"{r['document']:<{width}}  {r['status']:<11}  {count}")
    click.echo(f"{who}: {len(queue.in_progress)} in progress, {len(queue.not_started)} not started,"
               f" {len(queue.done)} done; next: {queue.next.id if queue.next else 'nothing, all done'}", err=True)


def _print_review(state: Any, as_json: bool) -> None:
    from ..team.queues import review_queue

    rows = [{"document": i.doc.id, "status": i.status, "annotators": i.state.assigned or i.state.working,
             "decided": i.progress.labeled if i.progress else 0, "total": i.progress.total if i.progress else None}
            for i in review_queue(state)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    width = max((len(r["document"]) for r in rows), default=8)
    for r in rows:
        decided = f"  {r['decided']}/{r['total']} decided" if r["total"] else ""
        click.echo(f"{r['document']:<{width}}  {r['status']:<11}  {', '.join(r['annotators'])}{decided}")
    click.echo(f"{len(rows)} documents ready for review (every annotator done, gold labels not complete)", err=True)


def _print_plan(data: dict[str, Any]) -> None:
    from rich.table import Table

    from ..report import output_console

    console = output_console()
    team = data["project_file"]
    counts = data["documents"]
    members = sum(1 for a in data["annotators"] if a["in_team"])
    console.print(f"annotate.yaml: {members} annotators, {team['annotators_per_document']} per"
                  f" document, seed {team['seed']!r}; {counts['selected']} of {counts['total']} documents selected")
    table = Table(title_justify="left")
    for col in ("annotator", "share", "assigned", "%", "done", "in progress", "not started", "unassigned work"):
        table.add_column(col, justify="left" if col == "annotator" else "right")
    for a in data["annotators"]:
        pct = f"{100 * a['assigned'] / counts['selected']:.1f}%" if counts["selected"] else "-"
        share = "-" if a["share"] is None else f"{a['share']:g}"
        name = a["annotator"] + ("" if a["in_team"] else " (not in team)")
        table.add_row(name, share, str(a["assigned"]), pct, str(a["done"]), str(a["in_progress"]),
                      str(a["not_started"]), str(a["unassigned_documents"]))
    console.print(table)
    if team["reviewers"]:
        console.print(f"reviewers: {', '.join(team['reviewers'])}; ready for review: {counts['ready_for_review']},"
                      f" adjudicated: {counts['adjudicated']}")
    lines = _document_lines(data["plan"])
    if lines:  # one write: 10,000 echoes cost more than the plan they print
        click.echo("\n".join(lines))


def _document_lines(plan: list[dict[str, Any]]) -> list[str]:
    width = max((len(d["document"]) for d in plan), default=8)
    lines = []
    for d in plan:
        cells = [f"{a} ({d['status'][a]})" if d["status"].get(a, "not started") != "not started" else a
                 for a in d["assigned"]]
        cells += [f"{a} (not assigned, {d['status'][a]})" for a in d["unassigned"]]
        text = ", ".join(cells) if cells or d["needed"] else "not selected"
        lines.append(f"{d['document']:<{width}}  {text or '-'}")
    return lines


def print_annotator_status(ctx: click.Context, as_json: bool) -> None:
    """``annotate status --by annotator``: progress and quality per annotator (JSON, or tables).

    The figures of last time when nothing they come from changed (:mod:`annotate.remembered`).
    """
    from ..remembered import STATUS

    def compute(project: Any, listing: Any) -> dict[str, Any]:
        from ..summaries import add_figures, read_summaries
        from ..team import team_state
        from ..team.figures import annotator_status
        from ..team.work import work_of

        summaries = read_summaries(project, listing=listing)
        add_figures(project, summaries)
        return annotator_status(team_state(project, work_of(project, summaries), dated=True))

    result = _remembered(ctx, STATUS, compute)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    _print_status(result)


def _remembered(ctx: click.Context, name: str, compute: Callable[[Any, Any], dict[str, Any]]) -> dict[str, Any]:
    """The figures remembered as ``name`` when the project's files, its project file and git's view did not
    change since; else ``compute(project, listing)``'s (see :func:`annotate.remembered.answer`)."""
    from ..remembered import answer
    from . import collector_paused

    project = project_of(ctx)
    with collector_paused():  # millions of objects that stay while every label file is summed up
        return answer(project, name, lambda listing: compute(project, listing))[0]


@main.command()
@click.option("--out", "out", default=None, type=click.Path(path_type=Path),
              help="The HTML file to write (e.g. report.html).")
@click.option("--title", default=None, help="The page's title (default: the project folder's name).")
@root_option
@click.pass_context
@user_errors
def report(ctx: click.Context, out: Path | None, title: str | None) -> None:
    """Write the team's progress and quality as one self-contained HTML page with SVG charts (viewable offline)."""
    if out is None:
        raise AnnotateError("--out: required: the HTML file to write (e.g. --out report.html)")
    if out.is_dir():
        raise AnnotateError("is a folder; --out names the HTML file to write", out)
    from ..store import atomic_write
    from ..team.figures import annotator_status
    from ..team.html import render_report

    project = project_of(ctx)
    state = _state(ctx, dated=True)
    page = render_report(state, annotator_status(state), title or project.root.name)
    atomic_write(out, page.html.encode("utf-8"), root=None)  # a path the user typed: their choice
    click.echo(f"wrote {out} ({len(page.charts)} charts: {', '.join(page.charts)})", err=True)


def _figure(fig: dict[str, Any], digits: int = 2, pct: bool = False) -> str:
    """``0.81 (n=120)``, ``81.0% (n=120)`` or ``- (reason)``."""
    if fig.get("value") is None:
        return f"- (n={fig.get('units', 0)})" if fig.get("units") else "-"
    value = f"{100 * fig['value']:.1f}%" if pct else f"{fig['value']:.{digits}f}"
    return f"{value} (n={fig['units']})"


def _print_status(result: dict[str, Any]) -> None:
    """The per-annotator figures as tables: progress and speed, agreement with gold, pairs, reviewers."""
    from rich.table import Table

    from ..report import output_console

    console = output_console()
    counts = result["documents"]
    team = result["project_file"]
    head = f"{team}: {result['annotators_per_document']} annotators per document" if team else "no project file"
    console.print(f"{head}; documents: {counts['total']}, {counts['started']} started, {counts['labeled_by_all']}"
                  f" labeled by all their annotators, {counts['ready_for_review']} ready for review,"
                  f" {counts['adjudicated']} adjudicated")
    progress = Table(title="progress per annotator (documents; labels: labeled sentences)", title_justify="left")
    for col in ("annotator", "assigned", "done", "in progress", "not started", "labels", "unsure"):
        progress.add_column(col, justify="left" if col == "annotator" else "right", no_wrap=col == "annotator")
    quality = Table(title="speed and quality (n: sentences behind the figure)", title_justify="left")
    for col in ("annotator", "s/sentence", "labels/h", "accuracy vs gold", "kappa vs gold", "last activity"):
        quality.add_column(col, justify="left" if col in ("annotator", "last activity") else "right",
                           no_wrap=col == "annotator")
    for a in result["annotators"]:
        name = a["annotator"] + ("" if a["in_team"] in (True, None) else " (not in team)")
        last = a["last_activity"]
        when = f"{last['time'].replace('T', ' ')[:16]} {last['source']}" if last else "-"
        progress.add_row(name, "-" if a["assigned"] is None else str(a["assigned"]), str(a["done"]),
                         str(a["in_progress"]), "-" if a["not_started"] is None else str(a["not_started"]),
                         str(a["labels"]), _figure(a["unsure_rate"], pct=True))
        quality.add_row(a["annotator"], _figure(a["median_seconds_per_sentence"], 1), _figure(a["labels_per_hour"], 0),
                        _figure(a["gold"]["accuracy"], pct=True), _figure(a["gold"]["cohen_kappa"]), when)
    console.print(progress)
    console.print(quality)
    console.print("s/sentence: median seconds per labeled sentence; labels/h from the seconds recorded; last"
                  " activity (UTC): git = last commit of the file, mtime = changed since or not in git")
    _print_pairs(console, result)
    reviewers = [r for r in result["reviewers"] if r["decided"] or r["in_team"]]
    if reviewers:
        console.print("reviewers: " + ", ".join(f"{r['reviewer']} {r['decided']} sentences in {r['documents']}"
                                                 " documents" for r in reviewers))
    for a in result["annotators"]:
        for error in a["errors"]:
            console.print(f"[red]{error}[/red]")


def _print_pairs(console: Any, result: dict[str, Any]) -> None:
    from rich.table import Table

    pairs = Table(title="agreement between annotators, over the sentences both labeled", title_justify="left")
    for col in ("a", "b", "shared sentences", "cohen kappa", "% agreement"):
        pairs.add_column(col, justify="left" if col in ("a", "b") else "right")
    none = 0
    for a in result["annotators"]:
        for b, fig in a["agreement"].items():
            if a["annotator"] > b:
                continue
            if not fig["sentences"]:
                none += 1
                continue
            pairs.add_row(a["annotator"], b, str(fig["sentences"]), _figure(fig["cohen_kappa"]),
                          _figure(fig["percent_agreement"], pct=True))
    if pairs.row_count:
        console.print(pairs)
    if none:
        console.print(f"{none} pairs of annotators share no labeled sentence")
