"""Document metadata: ``seeds/<id>.meta.yaml`` read back safely, its JSON Schema, and documents() ignoring it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import REPO, SEED_ID

from annotate.errors import AnnotateError
from annotate.metadata import MAX_META_BYTES, metadata_path, read_metadata, write_metadata
from annotate.models import DocumentMeta, ImportOrigin, json_schemas
from annotate.store import Project


def meta_file(project: Project, text: str | bytes, doc_id: str = SEED_ID) -> Path:
    path = project.seeds / f"{doc_id}.meta.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_written_metadata_reads_back_and_is_not_a_document(project: Project) -> None:
    meta = DocumentMeta(title="Kim \u201cvisits\u201d Beijing: 2", url="https://x.example/a?b=1#c", date="2018-03-27",
                        outlet="AP", author="A; B", language="en", fields={"section": "world", "words": 830,
                                                                            "paywall": False},
                        imported=ImportOrigin(file="in/a.jsonl", line=3, row=3, format="jsonl", encoding="UTF-8"))
    path = write_metadata(project, SEED_ID, meta)
    assert path == project.seeds / f"{SEED_ID}.meta.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=../schemas/metadata.schema.json\n")
    assert read_metadata(project, SEED_ID) == meta
    assert read_metadata(project, project.document(SEED_ID)) == meta
    assert [d.id for d in project.documents()] == [SEED_ID]
    assert meta.export_fields() == {"title": meta.title, "url": meta.url, "date": "2018-03-27", "outlet": "AP",
                                    "author": "A; B", "language": "en", "section": "world", "words": 830,
                                    "paywall": False}


def test_nested_document_schema_path_and_no_metadata(project: Project) -> None:
    (project.seeds / "wire").mkdir()
    write_metadata(project, "wire/a", DocumentMeta(title="T"))
    assert (project.seeds / "wire" / "a.meta.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../../schemas/metadata.schema.json")
    assert read_metadata(project, "wire/b") is None


def test_hand_written_dates_and_minimal_files_load(project: Project) -> None:
    meta_file(project, "title: Hand made\ndate: 2024-05-01\n")
    meta = read_metadata(project, SEED_ID)
    assert (meta.title, meta.date, meta.version) == ("Hand made", "2024-05-01", 1)


@pytest.mark.parametrize(("content", "needle"), [
    ("title: [unclosed\n", "YAML syntax error"),
    ("- a list\n", "must be a YAML mapping"),
    ("titel: typo\n", "titel: Extra inputs are not permitted"),
    ("title: 3\n", "title: Input should be a valid string"),
    ('title: "red \\e[31m title"\n', "control character U+001B"),
    ('title: "two\\nlines"\n', "control character U+000A"),
    ("version: 9\n", "format version 9"),
    ("fields:\n  bad key: 1\n", "fields.bad key"),
    ("a: &x [1]\nb: *x\n", "aliases"),
    (b"title: caf\xe9\n", "not valid UTF-8"),
])
def test_a_broken_file_is_one_line_error_naming_it(project: Project, content: str | bytes, needle: str) -> None:
    meta_file(project, content)
    with pytest.raises(AnnotateError) as err:
        read_metadata(project, SEED_ID)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"seeds/{SEED_ID}.meta.yaml")
    assert needle in message


def test_hostile_files_are_refused_unread(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("title: secret\n")
    os.symlink(outside, project.seeds / f"{SEED_ID}.meta.yaml")
    with pytest.raises(AnnotateError, match="leads outside seeds/"):
        read_metadata(project, SEED_ID)
    (project.seeds / f"{SEED_ID}.meta.yaml").unlink()
    meta_file(project, "title: " + "x" * MAX_META_BYTES + "\n")
    with pytest.raises(AnnotateError, match="over 64 kB"):
        read_metadata(project, SEED_ID)
    (project.seeds / f"{SEED_ID}.meta.yaml").unlink()
    (project.seeds / f"{SEED_ID}.meta.yaml").mkdir()
    with pytest.raises(AnnotateError, match="not a regular file"):
        read_metadata(project, SEED_ID)
    for bad_id in ("../../etc/passwd", "/etc/passwd", "a/../../b", "", "a\\b"):
        with pytest.raises(AnnotateError, match="not a document id"):
            metadata_path(project, bad_id)


def test_committed_metadata_schema_matches_the_model() -> None:
    committed = json.loads((REPO / "schemas" / "metadata.schema.json").read_text(encoding="utf-8"))
    assert json_schemas()["metadata.schema.json"] == committed, "schemas/metadata.schema.json is stale"
