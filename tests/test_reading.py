"""The one reading path (annotate.reading): current labels, shared spans, and files that hold no label.

Issue 12, item 1: opening a document without labeling anything must not make an
annotator. A label file comes into being with the first change; a file that exists
but holds no label (made by an older version, or every label undone) is not an
annotator for agreement, review or export, and status lists it as not started.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED_ID, run_async, start_labels
from snapshot_apps import labeling

from annotate import reading
from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.models import GOLD
from annotate.reading import current_labels, document_labels, document_spans, file_progress, journal_path
from annotate.session import LabelSession
from annotate.store import Project, save_label_file

LABELS = ["fact", "speculation", "quote", "opinion"]


def label_all(project: Project, annotator: str, differ: int = 0) -> None:
    """Label every sentence of the sample article, the first ``differ`` sentences differently from the rest."""
    session = LabelSession.open(project, project.document(SEED_ID), annotator, project.tagset())
    try:
        for i in range(len(session.sentences)):
            session.change(i, label=LABELS[(i // 3 + (i < differ)) % 4])
    finally:
        session.close()


def cli(project: Project, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--root", str(project.root), *args])
    return result.exit_code, result.output


@run_async
async def test_opening_and_leaving_a_document_makes_no_annotator(project: Project) -> None:
    """The README's first command as user root: open, look around, quit. Then agreement, status, export."""
    label_all(project, "alice")
    label_all(project, "bob", differ=3)
    async with labeling(project, annotator="root") as (app, pilot, screen):
        await pilot.press("j", "j", "k", "slash", "escape")
        await pilot.press("ctrl+q")
    path = project.label_path(SEED_ID, "root")
    assert not path.exists() and not journal_path(path).exists()
    code, out = cli(project, "agreement", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["annotators"] == ["alice", "bob"]
    assert report["fleiss_kappa"]["value"] is not None  # every unit labeled by every annotator
    code, out = cli(project, "export", "--out", str(project.root / "out"))
    assert code == 0, out
    rows = [json.loads(line) for f in (project.root / "out").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert rows and all(set(r["labels"]) == {"alice", "bob"} for r in rows)
    assert "root" not in (project.root / "out" / "README.md").read_text()


def test_a_file_without_labels_is_no_annotator(project: Project) -> None:
    """A file holding no label (an older version made one on opening): left out of agreement, review, export."""
    label_all(project, "alice")
    label_all(project, "bob", differ=3)
    empty = start_labels(project, annotator="carol")
    assert empty.is_file()
    assert document_labels(project, project.document(SEED_ID)).annotators == ["alice", "bob"]
    assert list(document_labels(project, project.document(SEED_ID)).empty) == ["carol"]
    report = json.loads(cli(project, "agreement", "--json")[1])
    assert report["annotators"] == ["alice", "bob"] and report["fleiss_kappa"]["value"] is not None
    code, out = cli(project, "agreement", "--annotators", "alice,carol")
    assert code == 2 and "no labels by carol" in out
    code, out = cli(project, "export", "--out", str(project.root / "out"))
    assert code == 0, out
    stats = json.loads((project.root / "out" / "stats.json").read_text())
    assert stats["annotators"] == ["alice", "bob"] and stats["left_out"]["empty_files"] == 1
    row = json.loads((project.root / "out" / "train.jsonl").read_text().splitlines()[0])
    assert "carol" not in row["labels"]
    code, out = cli(project, "review", SEED_ID, "--annotators", "carol")
    assert code == 2 and "no label file for carol" in out.replace("\n", " ")
    status = {r["annotator"]: r for r in json.loads(cli(project, "status", "--json")[1])}
    assert status["carol"]["labeled"] == 0 and status["alice"]["agreed"] + status["alice"]["disagreed"] > 0


def test_current_labels_are_the_journal_and_the_source_as_they_are_now(project: Project) -> None:
    doc = project.document(SEED_ID)
    session = LabelSession.open(project, doc, "alice", project.tagset())
    session.change(0, label="fact")
    session.change(3, label="quote")  # in the journal, not folded
    assert journal_path(session.path).exists()
    assert [s.label for s in current_labels(project, doc, "alice").labels.sentences[:4]] == \
        ["fact", None, None, "quote"]
    session.close()
    project.read_source(doc)
    doc.path.write_text("A new first line.\n\n" + doc.path.read_text(encoding="utf-8"), encoding="utf-8")
    now = current_labels(project, doc, "alice")
    assert now.stale and now.report is not None
    assert [s.label for s in now.labels.sentences[:5]] == [None, "fact", None, None, "quote"]
    assert now.labels.sentences[0].text == "A new first line."
    progress = file_progress(project, doc, "alice")
    assert progress is not None and progress.stale and progress.labeled == 2
    assert file_progress(project, doc, "nobody") is None


def test_a_file_that_names_another_source_is_refused_and_that_source_never_read(project: Project,
                                                                                 tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET password=hunter2.\n")
    path = start_labels(project, label="fact")
    text = path.read_text(encoding="utf-8").replace(f"source: seeds/{SEED_ID}.txt", f"source: {outside}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError, match="source: .* but the document's source is seeds/"):
        current_labels(project, project.document(SEED_ID), "alice")


def test_every_annotator_labels_the_same_units(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second annotator's new file takes the spans of the files already there, not a fresh segmentation."""
    doc = project.document(SEED_ID)
    start_labels(project, label="fact")
    alice_path = project.label_path(SEED_ID, "alice")
    from annotate.reading import load_current

    labels = load_current(alice_path)
    first, second = labels.sentences[1], labels.sentences[2]
    merged = first.model_copy(update={"end": second.end, "text": project.read_source(doc).text[first.start:second.end]})
    labels.sentences[1:3] = [merged]  # alice's units: 1 and 2 merged (as a boundary fix would)
    save_label_file(alice_path, labels)
    def no_segmenting(text: str) -> None:
        raise AssertionError("segmented again")

    monkeypatch.setattr("annotate.segment.iter_segment", no_segmenting)
    bob = LabelSession.open(project, doc, "bob", project.tagset())
    try:
        assert [s.span for s in bob.sentences] == [s.span for s in labels.sentences]
    finally:
        bob.close()


def test_spans_are_computed_once_per_source_and_a_bad_cache_is_not_trusted(project: Project,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    doc = project.document(SEED_ID)
    calls = []
    real = reading._segment

    def counting(text: str, progress: object) -> list[tuple[int, int]]:
        calls.append(1)
        return real(text, progress)

    monkeypatch.setattr(reading, "_segment", counting)
    spans = document_spans(project, doc)
    assert document_spans(project, doc) == spans and len(calls) == 1
    cache = next((project.root / ".annotate" / "cache" / "spans").glob("*.json"))
    entry = json.loads(cache.read_text())
    entry["spans"][1] += 1000000  # past the end of the text: implausible
    cache.write_text(json.dumps(entry))
    assert document_spans(project, doc) == spans and len(calls) == 2
    cache.write_text("{not json")
    assert document_spans(project, doc) == spans and len(calls) == 3


def test_gold_without_decisions_is_not_counted_as_adjudicated(project: Project) -> None:
    label_all(project, "alice")
    start_labels(project, annotator=GOLD)
    dl = document_labels(project, project.document(SEED_ID))
    assert dl.gold is not None and dl.gold.labeled == 0 and dl.annotators == ["alice"]
