"""Readable tables for the terminal: status and agreement reports (rich, no Textual)."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from .store import Project


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


def print_status(project: Project, rows: list[dict[str, Any]], unstarted: list[str],
                 console: Console | None = None) -> None:
    """Progress per document and annotator, then agreement counts per document."""
    console = console or output_console()
    table = Table(title=f"annotate status: {project.root}", title_justify="left")
    for col in ("document", "annotator", "labeled", "total", "done", "unsure", "orphans"):
        table.add_column(col, justify="left" if col in ("document", "annotator") else "right")
    for r in rows:
        if r.get("error"):
            table.add_row(r["document"], r["annotator"], "", "", "error", "", "", style="red")
            table.add_row("", "", "", "", "", "", "", end_section=False)
            console.print(f"[red]{r['error']}[/red]")
            continue
        done = f"{100 * r['labeled'] // r['total']}%" if r["total"] else "-"
        table.add_row(r["document"], r["annotator"], str(r["labeled"]), str(r["total"]), done,
                      str(r["unsure"]), str(r["orphans"]))
    for doc in unstarted:
        table.add_row(doc, "-", "", "", "not started", "", "", style="dim")
    console.print(table)
    stale = [f"{r['document']}/{r['annotator']}" for r in rows if r.get("stale")]
    if stale:
        console.print(f"source changed since these files were saved; figures are for the current source"
                      f" (re-anchored in memory; annotate validate --fix saves that): {', '.join(stale)}")
    per_doc: dict[str, dict[str, Any]] = {}
    for r in rows:
        per_doc.setdefault(r["document"], r)
    if any(r.get("agreed") or r.get("disagreed") or r.get("adjudicated") for r in per_doc.values()):
        review = Table(title="review", title_justify="left")
        for col in ("document", "agreed", "disagreed", "adjudicated"):
            review.add_column(col, justify="left" if col == "document" else "right")
        for doc, r in per_doc.items():
            review.add_row(doc, str(r.get("agreed", 0)), str(r.get("disagreed", 0)),
                           str(r.get("adjudicated", 0)))
        console.print(review)


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
