"""``annotate import-labels``: Prodigy, doccano, Label Studio and our own export, aligned to our sentences.

The fixtures follow each tool's documented export format: Prodigy's ``db-out`` task lines
(choice and textcat answers), doccano's JSONL export (one file per user; text
classification and sequence labeling), Label Studio's JSON export (tasks with annotations).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID, make_project

from annotate.cli import main
from annotate.reading import current_labels, document_spans
from annotate.segment import segmenter_id
from annotate.session import LabelSession
from annotate.store import Project


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def sentences(project: Project) -> list[str]:
    text = project.read_source(project.document(SEED_ID)).text
    return [text[s:e] for s, e in document_spans(project, project.document(SEED_ID))]


def labels_of(project: Project, annotator: str) -> list[str | None]:
    return [s.label for s in current_labels(project, project.document(SEED_ID), annotator).labels.sentences]


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- Prodigy


def test_prodigy_choice_and_textcat_answers(project: Project, sentences: list[str], tmp_path: Path) -> None:
    options = [{"id": name, "text": name.title()} for name in ("fact", "speculation", "quote", "opinion")]
    tasks = [
        {"text": sentences[0], "options": options, "accept": ["fact"], "answer": "accept",
         "_input_hash": 1, "_task_hash": 11, "_session_id": "claims-Alice", "_annotator_id": "claims-Alice"},
        {"text": sentences[1], "options": options, "accept": ["speculation"], "answer": "accept",
         "_annotator_id": "claims-Alice"},
        {"text": sentences[2], "options": options, "accept": [], "answer": "ignore", "_annotator_id": "claims-Alice"},
        {"text": sentences[3], "label": "QUOTE", "answer": "accept", "_session_id": "claims-bob"},
        {"text": sentences[4], "label": "FACT", "answer": "reject", "_session_id": "claims-bob"},
        {"text": "A sentence this article does not have.", "options": options, "accept": ["fact"],
         "answer": "accept", "_annotator_id": "claims-Alice"},
    ]
    path = write_jsonl(tmp_path / "claims.jsonl", tasks)
    result = ok(run(project, "import-labels", str(path), "--map", "QUOTE=quote", "--annotator", "claims-bob=bob"))
    assert labels_of(project, "claims-alice")[:3] == ["fact", "speculation", None]
    assert labels_of(project, "bob")[3] == "quote"
    assert "claims.jsonl:6: matches no sentence here: 'A sentence this article does not have.'" in result.stderr
    assert "claims.jsonl:3: answer 'ignore'" in result.stderr
    assert "claims.jsonl:5: answer 'reject' (says only that 'FACT' does not apply)" in result.stderr
    assert "claims.jsonl: read as prodigy" in result.stderr
    labels = current_labels(project, project.document(SEED_ID), "bob").labels
    assert labels.segmenter == segmenter_id() and labels.source == f"seeds/{SEED_ID}.txt"
    assert ok(run(project, "validate")).stderr.startswith("2 of 2 label files valid")


def test_labels_missing_from_the_tagset_are_one_error_listing_them(project: Project, sentences: list[str],
                                                                  tmp_path: Path) -> None:
    tasks = [{"text": sentences[i], "label": label, "answer": "accept", "_session_id": "s-ann"}
             for i, label in enumerate(["FACT", "FACT", "rumour", "fact"])]
    result = run(project, "import-labels", str(write_jsonl(tmp_path / "p.jsonl", tasks)))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("annotate: labels not in tagset claim-types (fact, speculation, quote, opinion):"
                                     " 'FACT' (2), 'rumour' (1); rename with --map FACT=fact")
    assert not project.labels.exists() or not list(project.labels.rglob("*.yaml"))


# --------------------------------------------------------------------------- doccano


def test_doccano_text_classification_file_per_user(project: Project, sentences: list[str], tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "alice.jsonl", [
        {"id": 1, "text": sentences[0], "label": ["fact"], "Comments": []},
        {"id": 2, "text": sentences[1], "label": ["speculation", "opinion"], "Comments": []},
        {"id": 3, "text": sentences[2], "label": [], "Comments": []},
    ])
    result = ok(run(project, "import-labels", str(path)))
    assert labels_of(project, "alice")[:3] == ["fact", None, None]
    assert "several labels (speculation, opinion)" in result.stderr and "alice.jsonl:3: no label" in result.stderr


def test_doccano_spans_label_the_sentences_they_cover(project: Project, tmp_path: Path) -> None:
    doc = project.document(SEED_ID)
    text = project.read_source(doc).text
    spans = document_spans(project, doc)
    (s1, e1), (s2, _), (_, e3) = spans[1], spans[2], spans[3]
    items = [{"id": 7, "text": text, "label": [[s1 + 10, s1 + 40, "speculation"], [s2, e3, "quote"]]}]
    all_users = write_jsonl(tmp_path / "all.jsonl", items)
    refused = run(project, "import-labels", str(all_users))
    assert refused.exit_code == 2 and "name the annotator with --annotator NAME" in refused.stderr
    ok(run(project, "import-labels", str(all_users), "--annotator", "carol"))
    assert labels_of(project, "carol")[:5] == [None, "speculation", "quote", "quote", None]
    relation_mode = write_jsonl(tmp_path / "dave.jsonl", [{"id": 7, "text": text[s1:e1], "entities": [
        {"id": 1, "label": "opinion", "start_offset": 0, "end_offset": e1 - s1}], "relations": []}])
    ok(run(project, "import-labels", str(relation_mode), "--from", "doccano"))
    assert labels_of(project, "dave")[1] == "opinion"


# --------------------------------------------------------------------------- Label Studio


def test_label_studio_json_export(project: Project, sentences: list[str], tmp_path: Path) -> None:
    def result(choice: str) -> list[dict]:
        return [{"id": "r1", "type": "choices", "from_name": "claim", "to_name": "text", "origin": "manual",
                 "value": {"choices": [choice]}}]

    tasks = [
        {"id": 1, "data": {"text": sentences[0]}, "annotations": [
            {"id": 10, "completed_by": 3, "result": result("fact"), "was_cancelled": False, "lead_time": 4.2},
            {"id": 11, "completed_by": {"id": 4, "email": "Erin.Smith@example.org"}, "result": result("opinion")},
        ], "predictions": []},
        {"id": 2, "data": {"text": sentences[1]}, "annotations": [
            {"id": 12, "completed_by": 3, "result": result("speculation"), "was_cancelled": True}]},
        {"id": 3, "data": {"text": sentences[2]}, "annotations": [
            {"id": 13, "completed_by": 3, "result": result("quote")}]},
    ]
    path = tmp_path / "project-1-at-2024.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    result_ = ok(run(project, "import-labels", str(path), "--annotator", "user-3=frank"))
    assert labels_of(project, "frank")[:3] == ["fact", None, "quote"]
    assert labels_of(project, "erin.smith")[0] == "opinion"
    assert "cancelled" in result_.stderr and "read as label-studio" in result_.stderr


# --------------------------------------------------------------------------- our own export, round trip


def test_export_import_export_gives_the_same_labels(project: Project, tmp_path: Path) -> None:
    tagset = project.tagset()
    for annotator, labels in (("alice", ["fact", "speculation", "quote", "opinion"]),
                              ("bob", ["fact", "fact", "quote", None, "opinion"])):
        session = LabelSession.open(project, project.document(SEED_ID), annotator, tagset)
        for i, label in enumerate(labels):
            if label:
                session.change(i, label=label)
        session.change(1, note=f"{annotator}'s note", unsure=True)
        session.add_seconds(2, 3.5)
        session.close()
    first = tmp_path / "first"
    ok(run(project, "export", "--out", str(first), "--labels", "all", "--include-unsure", "--split", "100"))
    other = make_project(tmp_path / "other")
    ok(run(other, "import-labels", str(first / "train.jsonl")))
    second = tmp_path / "second"
    ok(run(other, "export", "--out", str(second), "--labels", "all", "--include-unsure", "--split", "100"))
    rows = [json.loads(line) for line in (first / "train.jsonl").read_text().splitlines()]
    again = [json.loads(line) for line in (second / "train.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and again == rows


# --------------------------------------------------------------------------- existing files


def test_an_existing_label_file_is_refused_or_merged_where_empty(project: Project, sentences: list[str],
                                                                tmp_path: Path) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    session.change(0, label="opinion")
    session.close()
    before = session.path.read_bytes()
    path = write_jsonl(tmp_path / "alice.jsonl", [{"text": sentences[0], "label": ["fact"]},
                                                  {"text": sentences[1], "label": ["speculation"]}])
    refused = run(project, "import-labels", str(path))
    assert refused.exit_code == 2
    assert "label files exist: labels/kim-visits-beijing/alice.yaml; not overwritten" in refused.stderr
    assert session.path.read_bytes() == before
    merged = ok(run(project, "import-labels", str(path), "--merge"))
    assert labels_of(project, "alice")[:2] == ["opinion", "speculation"]
    assert "alice.yaml: 1 labels (1 of its own, different labels kept)" in merged.stdout


def test_reserved_and_unusable_annotator_names(project: Project, sentences: list[str], tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": sentences[0], "label": "fact", "answer": "accept",
                                               "_annotator_id": "Gold"}])
    result = run(project, "import-labels", str(path))
    assert result.exit_code == 2 and "gold is reserved for review decisions" in result.stderr
    ok(run(project, "import-labels", str(path), "--annotator", "Gold=grace"))
    assert labels_of(project, "grace")[0] == "fact"
    shutil.rmtree(project.labels)
    assert run(project, "import-labels", str(path), "--annotator", "Not Valid").exit_code == 2
