"""Per-file summaries behind ``annotate status``: the same figures as reading the files, cached by size and mtime."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from export_golden import PROJECT

from annotate import summaries
from annotate.cli import main
from annotate.reading import document_labels, file_progress, journal_line, journal_path, progress_of
from annotate.review import document_review_counts
from annotate.store import Project
from annotate.validate import status_rows


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    """The export fixture: stale, empty and broken-free files, gold, a label folder without a source."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    return Project(root)


def reference_rows(project: Project) -> list[dict[str, Any]]:
    """Status rows computed the slow way: every file through the models (what status did before the cache)."""
    rows = []
    for doc in project.documents():
        names = [p.stem for p in project.label_files(doc.id)]
        if not names:
            continue
        dl = document_labels(project, doc, skip_broken=True)
        review = document_review_counts(dl)
        files = dl.every_file()
        for name in names:
            if name in dl.errors:
                rows.append({"document": doc.id, "annotator": name, "labeled": 0, "total": 0, "unsure": 0,
                             "orphans": 0, "error": dl.errors[name]})
                continue
            prog = progress_of(files[name], name in dl.stale)
            rows.append({"document": doc.id, "annotator": name, "labeled": prog.labeled, "total": prog.total,
                         "unsure": prog.unsure, "orphans": prog.orphans, "stale": prog.stale, **review})
    return rows


def test_status_figures_equal_reading_every_file(proj: Project) -> None:
    expected = reference_rows(proj)
    assert status_rows(proj) == expected  # cold: read and cached
    assert summaries.cache_file(proj).is_file()
    assert status_rows(proj) == expected  # warm: from the cache
    assert any(r.get("stale") for r in expected) and any(r["labeled"] == 0 for r in expected)


def test_a_warm_run_reads_no_label_file(proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    status_rows(proj)

    def no(*_: Any, **__: Any) -> None:
        raise AssertionError("a label file was read although nothing changed")

    monkeypatch.setattr(summaries, "summarise", no)
    assert status_rows(proj) == reference_rows(proj)


def _label(project: Project, doc: str, name: str, index: int, label: str) -> None:
    path = project.label_path(doc, name)
    data = json.loads(json.dumps(__import__("yaml").safe_load(path.read_text())))
    span = (data["sentences"][index]["start"], data["sentences"][index]["end"])
    with journal_path(path).open("ab") as fh:
        fh.write(journal_line(index, span, {"label": label, "unsure": True}))


def test_what_changed_is_read_again(proj: Project) -> None:
    status_rows(proj)
    path = proj.label_path("doc-0001", "ann1")
    path.write_text(path.read_text().replace("label: fact", "label: opinion", 1))
    _label(proj, "doc-0003", "ann0", 0, "quote")  # a journal line: the file itself unchanged
    os.utime(proj.seeds / "doc-0005.txt")  # a source touched: its document is read again, same figures
    assert status_rows(proj) == reference_rows(proj)
    assert status_rows(proj) == reference_rows(proj)


def _file(d: dict[str, Any], index: int, value: Any, k: int = 0) -> None:
    d["documents"]["doc-0001"]["files"][k][index] = value


def _entry(d: dict[str, Any], **values: Any) -> None:
    d["documents"]["doc-0001"].update(values)


PROGRESS = {
    "labeled not a number": lambda d: _file(d, 0, "many"),
    "labeled below 0": lambda d: _file(d, 0, -1),
    "labeled over total": lambda d: _file(d, 0, 10 ** 6),
    "a float count": lambda d: _file(d, 1, 8.0),
    "stale not a bool": lambda d: _file(d, 4, 1),
    "error not a string": lambda d: _file(d, 5, ["x"]),
    "a short record": lambda d: d["documents"]["doc-0001"]["files"].__setitem__(0, [1, 2]),
    "a file missing": lambda d: d["documents"]["doc-0001"]["files"].pop(0),
    "a file too many": lambda d: d["documents"]["doc-0001"]["files"].append([0, 0, 0, 0, False, None]),
    "review counts": lambda d: _entry(d, review=None),
    "review counts below 0": lambda d: _entry(d, review=[-1, 0, 0]),
    "source error": lambda d: _entry(d, error=3),
    "key of other files": lambda d: _entry(d, key=[1, 2, [], []]),
    "an entry that is not an object": lambda d: d["documents"].update({"doc-0001": "junk"}),
    "another version": lambda d: d.update(version=99),
    "documents not an object": lambda d: d.update(documents=[]),
}
FIGURES = {
    "unsure labeled over labeled": lambda d: _file(d, 0, 999),
    "label mix that does not add up": lambda d: _file(d, 1, {"fact": 999}),
    "label mix of strings": lambda d: _file(d, 1, {"fact": "8"}),
    "label mix of zeros": lambda d: _file(d, 1, {"fact": 0}),
    "seconds of strings": lambda d: _file(d, 2, ["4.2"]),
    "seconds below 0": lambda d: _file(d, 2, [-1.0]),
    "seconds nested": lambda d: _file(d, 2, [[1.0]]),
    "seconds not finite": lambda d: _file(d, 2, [float("inf")]),
    "more seconds than labels": lambda d: _file(d, 2, [1.0] * 999),
    "reviewers not counts": lambda d: _file(d, 3, {"rita": None}),
    "a file missing": lambda d: d["documents"]["doc-0001"]["files"].pop(0),
    "pairs of strangers": lambda d: _entry(d, pairs=[["ann0", "zed", 0, []]]),
    "pairs in the wrong order": lambda d: _entry(d, pairs=[["ann1", "ann0", 0, []]]),
    "pairs with gold first": lambda d: _entry(d, pairs=[["gold", "ann0", 0, []]]),
    "pairs counting more than labeled": lambda d: _entry(d, pairs=[["ann0", "ann1", 0, [["fact", "fact", 999]]]]),
    "pairs with a bad cell": lambda d: _entry(d, pairs=[["ann0", "ann1", 0, [["fact", 3, 1]]]]),
    "pairs not a list": lambda d: _entry(d, pairs={"ann0": 1}),
    "key of other files": lambda d: _entry(d, key=[1, 2, [], []]),
    "another version": lambda d: d.update(version=99),
}
DAMAGE = [pytest.param(summaries.cache_file, f, id=f"summaries: {k}") for k, f in PROGRESS.items()] + [
    pytest.param(summaries.figures_file, f, id=f"figures: {k}") for k, f in FIGURES.items()]


@pytest.mark.parametrize(("which", "damage"), DAMAGE)
def test_a_malformed_cache_entry_is_recomputed(proj: Project, which: Any, damage: Any) -> None:
    expected, pairs = reference_rows(proj), reference_pairs(proj)
    summaries.read_summaries(proj, figures=True)
    cache = which(proj)
    pristine = json.loads(cache.read_text())
    data = json.loads(cache.read_text())
    damage(data)
    cache.write_text(json.dumps(data))
    assert status_rows(proj) == expected
    assert _pairs_of(proj) == pairs
    assert json.loads(cache.read_text()) == pristine  # the entry was read again, not trusted


def reference_pairs(project: Project) -> dict[tuple[str, str, str], Any]:
    """Per document and pair of files (gold second): Cohen's kappa and % agreement from a table of their labels."""
    from annotate.agreement import cohen_kappa, percent_agreement
    from annotate.models import GOLD

    out = {}
    for doc in project.documents():
        files = document_labels(project, doc, skip_broken=True).every_file()
        spans = {n: {s.span: s.label for s in f.sentences if s.label} for n, f in files.items()}
        names = sorted(n for n in spans if spans[n] and n != GOLD)
        pairs = [(a, b) for k, a in enumerate(names) for b in names[k + 1:]]
        pairs += [(a, GOLD) for a in names if spans.get(GOLD)]
        for a, b in pairs:
            table = {span: {a: spans[a].get(span), b: spans[b].get(span)} for span in {*spans[a], *spans[b]}}
            out[(doc.id, a, b)] = (cohen_kappa(table, a, b), percent_agreement(table, a, b))
    return out


def _pairs_of(project: Project) -> dict[tuple[str, str, str], Any]:
    found = summaries.read_summaries(project, figures=True).documents
    return {(d, a, b): (c.cohen(), c.percent()) for d, s in found.items() for (a, b), c in s.pairs.items()}


def test_pair_counts_are_those_of_a_label_table(proj: Project) -> None:
    expected = reference_pairs(proj)
    assert any(b == "gold" for _, _, b in expected) and len(expected) > 20
    assert _pairs_of(proj) == expected  # cold
    assert _pairs_of(proj) == expected  # warm


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'{"version": 1, "documents": 3}'])
def test_an_unreadable_cache_is_ignored(proj: Project, content: bytes) -> None:
    cache = summaries.cache_file(proj)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(content)
    assert status_rows(proj) == reference_rows(proj)
    assert json.loads(cache.read_text())["version"] == summaries.CACHE_VERSION  # rewritten whole


def test_a_broken_label_file_is_an_error_row_until_fixed(proj: Project) -> None:
    path = proj.label_path("doc-0004", "ann2")
    good = path.read_bytes()
    path.write_text("version: 1\nsentences: [\n")
    rows = {(r["document"], r["annotator"]): r for r in status_rows(proj)}
    assert "doc-0004/ann2.yaml" in rows[("doc-0004", "ann2")]["error"]
    path.write_bytes(good)
    assert status_rows(proj) == reference_rows(proj)


def test_annotator_progress_for_the_home_screen(proj: Project) -> None:
    progress = summaries.annotator_progress(proj, "ann1")
    for doc in proj.documents():
        assert progress[doc.id] == file_progress(proj, doc, "ann1"), doc.id


def test_status_command_warm_and_cold_print_the_same(proj: Project) -> None:
    runner = CliRunner()
    cold = runner.invoke(main, ["--root", str(proj.root), "status", "--json"])
    warm = runner.invoke(main, ["--root", str(proj.root), "status", "--json"])
    assert cold.exit_code == warm.exit_code == 0
    assert cold.stdout == warm.stdout and json.loads(cold.stdout) == reference_rows(proj)


def test_list_documents_is_project_documents(proj: Project) -> None:
    (proj.seeds / "nested" / "deeper").mkdir(parents=True)
    (proj.seeds / "nested" / "deeper" / "x.txt").write_text("A sentence.\n")
    (proj.seeds / ".hidden.txt").write_text("Hidden.\n")
    (proj.seeds / "notes.md").write_text("Not a source.\n")
    assert summaries.list_documents(proj) == proj.documents()


def rich_status(project: Project, rows: list[dict[str, Any]], unstarted: list[str]) -> str:
    """The status tables as rich's Table drew them (before they were streamed), piped."""
    import io

    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    console = Console(file=out, width=100_000, soft_wrap=True, no_color=True)
    table = Table(title=f"annotate status: {project.root}", title_justify="left")
    for col in ("document", "annotator", "labeled", "total", "done", "unsure", "orphans"):
        table.add_column(col, justify="left" if col in ("document", "annotator") else "right")
    for r in rows:
        if r.get("error"):
            table.add_row(r["document"], r["annotator"], "", "", "error", "", "")
            table.add_row("", "", "", "", "", "", "")
            console.print(r["error"], markup=False, highlight=False)
            continue
        done = f"{100 * r['labeled'] // r['total']}%" if r["total"] else "-"
        table.add_row(r["document"], r["annotator"], str(r["labeled"]), str(r["total"]), done, str(r["unsure"]),
                      str(r["orphans"]))
    for doc in unstarted:
        table.add_row(doc, "-", "", "", "not started", "", "")
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
            review.add_row(doc, str(r.get("agreed", 0)), str(r.get("disagreed", 0)), str(r.get("adjudicated", 0)))
        console.print(review)
    return out.getvalue()


def test_the_status_table_is_printed_as_rich_drew_it_a_row_at_a_time(proj: Project) -> None:
    """30,000 rows took rich ten seconds to lay out before the first line: the rows are streamed, same text."""
    (proj.labels / "doc-0004" / "ann2.yaml").write_text("version: 1\nsentences: [\n", encoding="utf-8")
    (proj.seeds / "zz-unstarted.txt").write_text("Nobody labeled this. Not yet.\n", encoding="utf-8")
    (proj.seeds / "a-very-long-document-name-that-is-longer-than-every-other.txt").write_text("One. Two.\n")
    rows = status_rows(proj)
    expected = rich_status(proj, rows, ["a-very-long-document-name-that-is-longer-than-every-other", "zz-unstarted"])
    result = CliRunner().invoke(main, ["--root", str(proj.root), "status"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [line.rstrip() for line in expected.splitlines()]
    assert "error" in result.stdout and "not started" in result.stdout and "source changed" in result.stdout
