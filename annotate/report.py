"""Readable tables for the terminal: status and agreement reports (rich, no Textual)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .project import Project


def output_console() -> Console:
    """Where tables go: the terminal at its width, or, when stdout is a pipe or a file, whole values.

    Rich cuts cells to 80 columns when it cannot ask a terminal; piped output must keep every
    document name whole so rows can be told apart (``annotate status | cat``, ``| grep``).
    """
    if sys.stdout.isatty():
        return Console()
    return Console(width=100_000, soft_wrap=True, no_color=True)


def fmt(figure: dict[str, Any] | None, digits: int = 3) -> str:
    """A figure as ``0.743 (n=11)`` or ``n/a (n=1): reason``."""
    if not figure:
        return "n/a"
    n = figure.get("units", 0)
    if figure.get("value") is None:
        return f"n/a (n={n}): {figure.get('reason') or 'cannot be computed'}"
    return f"{figure['value']:.{digits}f} (n={n})"


class StreamedTable:
    """A table printed one row at a time, in rich's default box, its column widths known before the first row.

    ``annotate status`` lists every file of the project: a rich ``Table`` of 30,000 rows is
    laid out whole before a line is printed (ten seconds, a hundred megabytes); this one
    prints as the rows come and holds none. On a terminal, rows with a style go through the
    console (colours); plain rows, and everything when piped, are written as they are.
    """

    def __init__(self, console: Console, columns: list[tuple[str, str]], widths: list[int],
                 title: str | None = None) -> None:
        self.console, self.columns = console, columns
        self.widths = [max(w, len(name)) for (name, _), w in zip(columns, widths, strict=True)]
        self.out = console.file
        self.title = title
        if console.is_terminal:  # as rich does on a terminal: the first column gives way, its cells cut with …
            over = sum(w + 3 for w in self.widths) + 1 - console.width
            self.widths[0] = max(len(columns[0][0]), 8, self.widths[0] - max(0, over))
        cells = [f"{{:{'>' if justify == 'right' else '<'}{w}}}" for w, (_, justify) in zip(self.widths, columns,
                                                                                              strict=True)]
        self._format = {edge: f"{edge} " + f" {edge} ".join(cells) + f" {edge}" for edge in "│┃"}
        """Each line's format, for a row whose cells all fit their columns (nothing to cut)."""

    def _line(self, left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in self.widths) + right

    def _cells(self, cells: list[str], edge: str) -> str:
        if all(map(int.__le__, map(len, cells), self.widths)):  # nothing to cut: one format for the line
            return self._format[edge].format(*cells)
        parts = [(c if len(c) <= w else c[: w - 1] + "…").rjust(w) if justify == "right" else
                 (c if len(c) <= w else c[: w - 1] + "…").ljust(w)
                 for c, w, (_, justify) in zip(cells, self.widths, self.columns, strict=True)]
        return f"{edge} " + f" {edge} ".join(parts) + f" {edge}"

    def start(self) -> None:
        """The title and the header."""
        if self.title is not None:
            self.console.print(self.title, markup=False, highlight=False)
        self.out.write(self._line("┏", "━", "┳", "┓") + "\n")
        self.out.write(self._cells([name for name, _ in self.columns], "┃") + "\n")
        self.out.write(self._line("┡", "━", "╇", "┩") + "\n")

    def row(self, cells: list[str], style: str | None = None) -> None:
        """One row (``style``: a rich style for the whole line, shown on a terminal)."""
        line = self._cells(cells, "│")
        if style and self.console.is_terminal:
            self.console.print(Text(line, style=style), soft_wrap=True)
        else:
            self.out.write(line + "\n")

    def end(self) -> None:
        """The bottom edge."""
        self.out.write(self._line("└", "─", "┴", "┘") + "\n")
        self.out.flush()


STATUS_COLUMNS = [("document", "left"), ("annotator", "left"), ("labeled", "right"), ("total", "right"),
                  ("done", "right"), ("unsure", "right"), ("orphans", "right")]


def print_status(project: Project, rows: Callable[[], Iterable[dict[str, Any]]], unstarted: list[str],
                 console: Console | None = None) -> None:
    """Progress per document and annotator, then agreement counts per document, printed as the rows come.

    ``rows()`` gives the rows (it is called once for each pass: errors, widths, the tables).
    """
    console = console or output_console()
    widths = _status_widths(rows(), unstarted, console)
    table = StreamedTable(console, STATUS_COLUMNS, widths, f"annotate status: {project.root}")
    table.start()
    stale, documents, reviewed = [], set(), False
    for r in rows():
        if r["document"] not in documents:  # each document's first row has its review counts
            documents.add(r["document"])
            reviewed = reviewed or bool(r.get("agreed") or r.get("disagreed") or r.get("adjudicated"))
        if r.get("error"):
            table.row(_status_cells(r), "red")
            table.row([""] * 7)
            continue
        table.row(_status_cells(r))
        if r.get("stale"):
            stale.append(f"{r['document']}/{r['annotator']}")
    for doc in unstarted:
        table.row([doc, "-", "", "", "not started", "", ""], "dim")
    table.end()
    if stale:
        console.print(f"source changed since these files were saved; figures are for the current source"
                      f" (re-anchored in memory; annotate validate --fix saves that): {', '.join(stale)}",
                      markup=False, highlight=False, soft_wrap=True)
    if reviewed:
        _print_review(console, rows, max(map(len, documents)))


def _status_cells(r: dict[str, Any]) -> list[str]:
    """One row of the status table (a file that cannot be read: its name and "error")."""
    if r.get("error"):
        return [r["document"], r["annotator"], "", "", "error", "", ""]
    done = f"{100 * r['labeled'] // r['total']}%" if r["total"] else "-"
    return [r["document"], r["annotator"], str(r["labeled"]), str(r["total"]), done, str(r["unsure"]),
            str(r["orphans"])]


def _status_widths(rows: Iterable[dict[str, Any]], unstarted: list[str], console: Console) -> list[int]:
    """The widths of the status table's columns (as rich makes them: the longest value of each); the errors are
    printed on the way (before the table)."""
    widths = [max(map(len, unstarted), default=0), 1, 0, 0, 11 if unstarted else 0, 0, 0]
    for r in rows:
        if r.get("error"):
            console.print(f"[red]{escape(r['error'])}[/red]", soft_wrap=True)
        widths = [max(w, len(c)) for w, c in zip(widths, _status_cells(r), strict=True)]
    return widths


def _print_review(console: Console, rows: Callable[[], Iterable[dict[str, Any]]], width: int) -> None:
    """Agreed, disagreed and adjudicated sentences per document (each document's first row has them)."""
    table = StreamedTable(console, [("document", "left"), ("agreed", "right"), ("disagreed", "right"),
                                    ("adjudicated", "right")], [width, 6, 9, 11], "review")
    table.start()
    seen: set[str] = set()
    for r in rows():
        if r["document"] in seen:
            continue
        seen.add(r["document"])
        table.row([r["document"], str(r.get("agreed", 0)), str(r.get("disagreed", 0)), str(r.get("adjudicated", 0))])
    table.end()


def print_agreement(result: dict[str, Any], console: Console | None = None) -> None:
    """The agreement report as tables: overall, pairs, per label, per document, boundaries."""
    console = console or output_console()
    u = result["units"]
    console.print(f"[b]Agreement[/b] over {len(result.get('documents', []))} documents,"
                  f" annotators: {', '.join(result['annotators']) or 'none'}")
    console.print(f"units: {u['total']} sentences, {u['pairable']} pairable (labeled by 2+),"
                  f" {u['labeled_by_one']} labeled by one only (not pairable),"
                  f" {u['unlabeled']} unlabeled, {u['labeled_by_all']} labeled by all")
    overall = Table(show_header=True, title_justify="left")
    overall.add_column("measure")
    overall.add_column("value (units)")
    overall.add_row("Krippendorff's alpha (nominal)", fmt(result["krippendorff_alpha"]))
    fk = result["fleiss_kappa"]
    left = f", {fk.get('excluded', 0)} unit(s) left out" if fk.get("excluded") else ""
    overall.add_row("Fleiss' kappa (units labeled by all)", fmt(fk) + left)
    console.print(overall)
    if result["pairs"]:
        pairs = Table(title="pairs (Cohen's kappa over units both labeled)", title_justify="left")
        for col in ("a", "b", "units", "cohen kappa", "% agreement"):
            pairs.add_column(col, justify="right" if col not in ("a", "b") else "left")
        for p in result["pairs"]:
            pa = p["percent_agreement"]
            pct = f"{100 * pa['value']:.1f}%" if pa.get("value") is not None else "n/a"
            pairs.add_row(p["a"], p["b"], str(p["units"]), fmt(p["cohen_kappa"]), pct)
        console.print(pairs)
        for p in result["pairs"]:
            labels = list(p["confusion"])
            conf = Table(title=f"confusion: {p['a']} (rows) × {p['b']} (columns)", title_justify="left")
            conf.add_column("")
            for lab in labels:
                conf.add_column(lab, justify="right")
            for lab in labels:
                conf.add_row(lab, *(str(p["confusion"][lab].get(other, 0)) for other in labels))
            console.print(conf)
    if result["per_label"]:
        per = Table(title="per label (alpha of the label against the rest)", title_justify="left")
        per.add_column("label")
        for a in result["annotators"]:
            per.add_column(a, justify="right")
        per.add_column("alpha (units)", justify="right")
        for lab, st in result["per_label"].items():
            per.add_row(lab, *(str(st["counts"].get(a, 0)) for a in result["annotators"]),
                        fmt(st["krippendorff_alpha"]))
        console.print(per)
    if result["per_document"]:
        docs = Table(title="per document", title_justify="left")
        docs.add_column("document")
        docs.add_column("alpha (units)", justify="right")
        for doc, d in result["per_document"].items():
            docs.add_row(doc, fmt(d["krippendorff_alpha"]))
        console.print(docs)
    bias = result.get("suggestions") or {}
    if any(v["seen"]["units"] for v in bias.values()):  # nobody saw a suggestion: nothing to measure
        table = Table(title="labels equal to the suggestion: seen (shown while labeling, --suggest) vs blind"
                      " (what --suggest would have shown)", title_justify="left")
        for col in ("annotator", "seen", "blind"):
            table.add_column(col, justify="left" if col == "annotator" else "right")
        for a, v in bias.items():
            cells = []
            for kind in ("seen", "unseen"):
                c = v[kind]
                cells.append(f"{100 * c['rate']:.1f}% of {c['units']}" if c["rate"] is not None
                             else f"null ({c['reason']})")
            table.add_row(a, *cells)
        console.print(table)
    b = result["boundary_disagreements"]
    console.print(f"boundary disagreements (spans not shared by every annotator): {len(b)}")
    for item in b[:20]:
        console.print(f"  {item['document']} {item['start']}-{item['end']}: only {', '.join(item['annotators'])}")
