"""``annotate import``: every format, encoding, id clashes, duplicates, dry runs and a killed import, via the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID, start_labels

from annotate.cli import main
from annotate.metadata import read_metadata
from annotate.reading import current_labels
from annotate.store import Project

DATA = Path(__file__).parent / "data" / "import"
ARTICLE = ("Kim Jong Un was expected to meet Xi on Tuesday. The talks could last several days.\n\n"
           '"We are friends," an official said.')


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), "import", *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(folder: Path, name: str, rows: list[dict]) -> Path:
    return write(folder, name, "".join(json.dumps(r) + "\n" for r in rows))


def text_of(project: Project, doc_id: str) -> str:
    return (project.seeds / f"{doc_id}.txt").read_bytes().decode("utf-8")


def imported_ids(project: Project) -> set[str]:
    return {d.id for d in project.documents()} - {SEED_ID}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


# --------------------------------------------------------------------------- one document per file


def test_folder_of_text_files_keeps_paths_titles_and_leaves_other_files(project: Project, src: Path) -> None:
    write(src, "Kim in Beijing.txt", "Kim in Beijing\r\n\r\n" + ARTICLE.replace("\n", "\r\n"))
    write(src, "wire/AP story.txt", ARTICLE)
    write(src, ".hidden.txt", "not me")
    write(src, "scan.pdf", b"%PDF-1.4")
    result = ok(run(project, str(src)))
    assert imported_ids(project) == {"kim-in-beijing", "wire/ap-story"}
    text = text_of(project, "kim-in-beijing")
    assert text == "Kim in Beijing\n\n" + ARTICLE + "\n"  # CRLF became LF, one newline at the end
    assert read_metadata(project, "kim-in-beijing").title == "Kim in Beijing"
    assert read_metadata(project, "wire/ap-story").title is None
    meta = read_metadata(project, "wire/ap-story")
    assert meta.imported.format == "txt" and meta.imported.file.endswith("wire/AP story.txt")
    assert "left alone: 1 files of other kinds" in result.stderr
    assert "imported 2 documents, 0 duplicates skipped, 0 refused (2 read)" in result.stderr
    assert set(result.stdout.splitlines()) == {"seeds/kim-in-beijing.txt", "seeds/wire/ap-story.txt"}


def test_markdown_is_read_as_text_with_front_matter_as_metadata(project: Project, src: Path) -> None:
    md = ("---\ntitle: Harbour vote delayed\ndate: 2023-03-14\nurl: https://courier.example/a\n"
          "outlet: The Coastal Courier\n---\n# Harbour vote delayed\n\nThe council **postponed** its vote on"
          " [the wall](https://x.example).\nIt meets again in May.\n\n- Residents were angry.\n")
    ok(run(project, str(write(src, "harbour.md", md))))
    assert text_of(project, "harbour") == ("Harbour vote delayed\n\nThe council postponed its vote on the wall."
                                           " It meets again in May.\n\nResidents were angry.\n")
    meta = read_metadata(project, "harbour")
    assert (meta.title, meta.date, meta.url, meta.outlet) == (
        "Harbour vote delayed", "2023-03-14", "https://courier.example/a", "The Coastal Courier")


@pytest.mark.parametrize("page", ["harbour-utf8.html", "harbour-cp1252.html"])
def test_html_pages_give_the_article_and_its_metadata(project: Project, page: str) -> None:
    ok(run(project, str(DATA / page)))
    doc_id = page.removesuffix(".html")
    text = text_of(project, doc_id)
    lines = text.split("\n")
    assert lines[:2] == ["Harbour council delays vote on sea wall after storm damage", ""]
    assert "\u201cWe cannot vote on a design for a wall that the sea has already redrawn,\u201d" in text
    assert "Maria Ot\u00e9ro" in text and "\u00a34.2 million" in text
    for boilerplate in ("Subscribe", "ADVERTISEMENT", "Most read", "Typical council", "All rights reserved"):
        assert boilerplate not in text
    meta = read_metadata(project, doc_id)
    assert meta.url == "https://courier.example/news/2023/03/14/harbour-sea-wall-vote"
    assert (meta.date, meta.outlet, meta.author) == ("2023-03-14", "The Coastal Courier", "Dana Whitfield")


# --------------------------------------------------------------------------- rows


def test_jsonl_rows_with_recognised_fields_and_meta(project: Project, src: Path) -> None:
    rows = [
        {"id": "reuters-001", "headline": "Kim visits Beijing", "content": ARTICLE, "link": "https://r.example/1",
         "published": "Tue, 27 Mar 2018 10:00:00 GMT", "source": {"id": "reuters", "name": "Reuters"},
         "section": "world", "authors": ["A. Writer", "B. Writer"]},
        {"id": "reuters-002", "headline": "Markets calm", "content": "Markets were calm on Monday."},
    ]
    result = ok(run(project, str(jsonl(src, "news.jsonl", rows)), "--meta", "section"))
    assert imported_ids(project) == {"reuters-001", "reuters-002"}
    assert text_of(project, "reuters-001") == f"Kim visits Beijing\n\n{ARTICLE}\n"
    meta = read_metadata(project, "reuters-001")
    assert meta.title == "Kim visits Beijing"
    assert meta.url == "https://r.example/1"
    assert meta.date == "2018-03-27T10:00:00+00:00"
    assert meta.outlet == "Reuters"
    assert meta.author == "A. Writer; B. Writer"
    assert meta.fields == {"section": "world"}
    assert (meta.imported.line, meta.imported.row, meta.imported.format) == (1, 1, "jsonl")
    assert "fields: text=content, id=id, title=headline; metadata: url=link, date=published" in result.stderr


def test_datasets_style_files_load(project: Project, src: Path) -> None:
    """What datasets' to_json writes (pandas: escaped slashes, \\u escapes, epoch-millisecond dates) and to_csv."""
    line = ('{"title":"Caf\\u00e9 opens","text":"A caf\\u00e9 opened in town.","url":"https:\\/\\/n.example\\/c",'
            '"date":1521972000000}\n')
    ok(run(project, str(write(src, "train.json", line)), str(write(src, "test.csv", "text,label\nShort one.,0\n"))))
    meta = read_metadata(project, "cafe-opens")
    assert text_of(project, "cafe-opens") == "Caf\u00e9 opens\n\nA caf\u00e9 opened in town.\n"
    assert meta.url == "https://n.example/c" and meta.date == "2018-03-25T10:00:00Z"
    assert "test-1" in imported_ids(project)  # no id, no title: file name and row


def test_json_array_and_single_object(project: Project, src: Path) -> None:
    array = write(src, "list.json", json.dumps([{"title": "One", "body": "First text."},
                                                {"title": "Two", "body": "Second text."}], indent=2))
    single = write(src, "page.json", json.dumps({"title": "Three", "maintext": "Third text.",
                                                 "date_publish": "2020-01-02 10:00:00"}, indent=2))
    ok(run(project, str(array), str(single)))
    assert imported_ids(project) == {"one", "two", "three"}
    assert read_metadata(project, "three").date == "2020-01-02 10:00:00"


def test_csv_rows_spanning_lines_other_delimiters_and_a_bad_row(project: Project, src: Path) -> None:
    csv_text = ('id;title;text\r\n1;First;"A text; with a semicolon.\r\n\r\nAnd a second paragraph."\r\n'
                "2;Second;Too;many;fields\r\n3;Third;Last one.\r\n")
    result = run(project, str(write(src, "a.csv", csv_text)), str(write(src, "b.tsv", "title\ttext\nT\tTab text.\n")))
    ok(result)
    assert text_of(project, "1") == "First\n\nA text; with a semicolon.\n\nAnd a second paragraph.\n"
    assert imported_ids(project) == {"1", "3", "t"}
    assert "refused: " in result.stderr and "a.csv:5: has 5 fields, the header has 3" in result.stderr
    assert read_metadata(project, "3").imported.line == 6


def test_parquet_and_arrow_rows(project: Project, src: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"article": [ARTICLE, "Second article here."], "title": ["Parquet one", "Parquet two"],
                      "date": pa.array([1521972000, None], pa.timestamp("s")), "extra": [1, 2]})
    pq.write_table(table, src / "part-0.parquet")
    with pa.OSFile(str(src / "data-00000-of-00001.arrow"), "wb") as sink:  # datasets' save_to_disk: a stream
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table.slice(1).set_column(1, "title", pa.array(["Arrow two"])))
    write(src, "state.json", "{}")
    write(src, "dataset_info.json", "{}")
    result = ok(run(project, str(src), "--meta", "extra"))
    assert imported_ids(project) == {"parquet-one", "parquet-two", "arrow-two"}
    assert "data-00000-of-00001.arrow: read as UTF-8 (Arrow)" in result.stderr
    meta = read_metadata(project, "parquet-one")
    assert meta.date == "2018-03-25T10:00:00" and meta.fields == {"extra": 1}


@pytest.mark.parametrize(("module", "name", "extra"), [("trafilatura", "page.html", "html"),
                                                        ("pyarrow", "rows.parquet", "parquet")])
def test_a_missing_optional_library_says_what_to_install(project: Project, src: Path, module: str, name: str,
                                                         extra: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    result = run(project, str(write(src, name, b"<html><p>x</p></html>")))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(f"pip install 'annotate[{extra}]'")
    assert result.stderr.count("\n") == 1


def test_fields_named_by_options_and_a_missing_one(project: Project, src: Path) -> None:
    path = jsonl(src, "x.jsonl", [{"key": "k-1", "head": "Named", "story_text": "Named fields work."}])
    ok(run(project, str(path), "--text", "story_text", "--id", "key", "--title", "head"))
    assert text_of(project, "k-1") == "Named\n\nNamed fields work.\n"
    csv_path = write(src, "y.csv", "a,b\n1,2\n")
    result = run(project, str(csv_path))
    assert result.exit_code == 2
    assert "y.csv: no text field among a, b; name it with --text FIELD" in result.stderr
    assert "nothing imported: 1 refused" in result.stderr


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(("encoded", "expected"), [
    ("\ufeffCaf\u00e9 \u201cquoted\u201d.\n".encode(), "UTF-8 with a byte-order mark"),
    ("Caf\u00e9 \u201cquoted\u201d.\n".encode("utf-16"), "UTF-16 (little-endian) with a byte-order mark"),
    ("\ufeffCaf\u00e9 \u201cquoted\u201d.\n".encode("utf-16-be"), "UTF-16 (big-endian) with a byte-order mark"),
    ("Caf\u00e9 \u201cquoted\u201d.\n".encode("utf-32"), "UTF-32 (little-endian) with a byte-order mark"),
    ("Caf\u00e9 \u201cquoted\u201d.\n".encode("utf-16-le"), "UTF-16 (little-endian)"),  # no byte-order mark
    ("Caf\u00e9 \u201cquoted\u201d.\n".encode("cp1252"), "Windows-1252 (cp1252)"),
])
def test_encodings_are_detected(project: Project, src: Path, encoded: bytes, expected: str) -> None:
    ok(run(project, str(write(src, "doc.txt", encoded))))
    assert text_of(project, "doc") == "Caf\u00e9 \u201cquoted\u201d.\n"
    assert read_metadata(project, "doc").imported.encoding == expected


def test_latin1_and_cr_line_ends_and_a_given_encoding(project: Project, src: Path) -> None:
    ok(run(project, str(write(src, "fr.txt", "Le caf\u00e9 a ferm\u00e9.\rIl pleut.\r".encode("latin-1")))))
    assert text_of(project, "fr") == "Le caf\u00e9 a ferm\u00e9.\nIl pleut.\n"
    assert read_metadata(project, "fr").imported.encoding == "Latin-1 (ISO-8859-1)"
    greek = "\u0397 \u03b2\u03bf\u03c5\u03bb\u03ae \u03c8\u03ae\u03c6\u03b9\u03c3\u03b5.".encode("cp1253")
    ok(run(project, str(write(src, "gr.txt", greek)), "--encoding", "cp1253"))
    assert text_of(project, "gr").startswith("\u0397 \u03b2\u03bf\u03c5\u03bb\u03ae")


def test_a_row_that_cannot_be_decoded_is_refused_and_the_others_imported(project: Project, src: Path) -> None:
    good = json.dumps({"title": "Good", "text": "Caf\u00e9 is fine."}, ensure_ascii=False).encode()
    bad = b'{"title": "Bad", "text": "He said \x93no\x94."}'
    path = write(src, "mixed.jsonl", good + b"\n" + bad + b"\n" + good.replace(b"Good", b"Also good") + b"\n")
    result = ok(run(project, str(path)))
    assert imported_ids(project) == {"good", "also-good"}
    assert "refused: " in result.stderr
    assert "mixed.jsonl:2: not valid in the file's encoding: byte 0x93 (Windows-1252? pass --encoding cp1252)" \
        in result.stderr


def test_a_file_that_cannot_be_decoded_is_refused_with_its_place(project: Project, src: Path) -> None:
    damaged = "\u201cMostly\u201d UTF-8 \u2013 caf\u00e9 and \u00e9t\u00e9\n".encode() + b"bad \x93byte\n"
    write(src, "damaged.txt", damaged)
    write(src, "binary.txt", b"\x00\x01\x02\x00" * 20)
    write(src, "fine.txt", "Fine.")
    result = ok(run(project, str(src)))
    assert imported_ids(project) == {"fine"}
    assert "damaged.txt:2: not valid UTF-8 (byte 0x93), though most of it is" in result.stderr
    assert "binary.txt: looks binary" in result.stderr


# --------------------------------------------------------------------------- ids, duplicates, updates


def test_id_clashes_get_a_suffix_and_duplicates_are_skipped(project: Project, src: Path) -> None:
    seed_text = (project.seeds / f"{SEED_ID}.txt").read_text(encoding="utf-8")
    rows = [{"title": "Same title", "text": "First text."}, {"title": "Same title", "text": "Second text."},
            {"title": "Same title", "text": "First text."}, {"text": seed_text}]
    result = ok(run(project, str(jsonl(src, "a.jsonl", rows))))
    assert imported_ids(project) == {"same-title", "same-title-2"}
    assert "a.jsonl:3: same text as seeds/same-title.txt" in result.stderr
    assert f"a.jsonl:4: same text as seeds/{SEED_ID}.txt" in result.stderr
    again = ok(run(project, str(jsonl(src, "b.jsonl", [{"title": "Same title", "text": "Third text."}]))))
    assert "seeds/same-title-3.txt" in again.stdout  # a name made up from a title never replaces a document


def test_an_existing_id_with_other_text_is_refused_or_updated(project: Project, src: Path) -> None:
    start_labels(project, SEED_ID, "alice", label="fact")
    before = text_of(project, SEED_ID)
    changed = before.replace("Beijing Amid", "Beijing During")
    path = jsonl(src, "fix.jsonl", [{"id": SEED_ID, "text": changed}])
    refused = run(project, str(path))
    assert refused.exit_code == 2
    assert f"seeds/{SEED_ID}.txt exists with other text: not overwritten" in refused.stderr
    assert text_of(project, SEED_ID) == before
    ok(run(project, str(path), "--update"))
    assert text_of(project, SEED_ID) == changed + "\n"
    current = current_labels(project, project.document(SEED_ID), "alice")
    assert current.stale and current.labels.sentences[0].label == "fact"  # moved with its sentence
    assert current.labels.sentences[0].text.startswith("North Korea's Kim Visits Beijing During")


def test_running_the_same_import_again_changes_nothing(project: Project, src: Path) -> None:
    path = jsonl(src, "a.jsonl", [{"title": f"Doc {i}", "text": f"Text number {i}."} for i in range(3)])
    ok(run(project, str(path)))
    files = {p: p.read_bytes() for p in project.seeds.rglob("*")}
    again = ok(run(project, str(path)))
    assert "imported 0 documents, 3 duplicates skipped" in again.stderr
    assert {p: p.read_bytes() for p in project.seeds.rglob("*")} == files


def test_dry_run_writes_nothing(project: Project, src: Path) -> None:
    path = jsonl(src, "a.jsonl", [{"title": "Dry", "text": "Nothing written."}, {"title": "Dry", "text": "Other."}])
    result = ok(run(project, str(path), "--dry-run", "--into", "Wire Copy"))
    assert result.stdout.split() == ["seeds/wire-copy/dry.txt", "seeds/wire-copy/dry-2.txt"]
    assert "would import 2 documents" in result.stderr and "dry run: nothing written" in result.stderr
    assert imported_ids(project) == set() and not (project.root / ".annotate" / "cache" / "spans").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--format", "docx"], "--format docx: not one of auto, txt"),
    (["--encoding", "klingon"], "unknown encoding 'klingon'"),
    (["--into", "../.."], "--into '../..': needs letters or digits"),
])
def test_bad_options_are_one_line_errors(project: Project, src: Path, args: list[str], needle: str) -> None:
    result = run(project, str(write(src, "a.txt", "Text.")), *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and needle in result.stderr


def test_missing_path_unknown_kind_and_no_sources(project: Project, src: Path) -> None:
    assert "no such file or folder" in run(project, str(src / "nope.jsonl")).stderr
    unknown = run(project, str(write(src, "a.xyz", "x")))
    assert unknown.exit_code == 2 and "cannot tell what kind of file this is" in unknown.stderr
    assert run(project).exit_code == 2


def test_nothing_importable_exits_2(project: Project, src: Path) -> None:
    result = run(project, str(jsonl(src, "a.jsonl", [{"text": ""}, {"title": "no text here"}])))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == "annotate: nothing imported: 2 refused"


def test_importing_the_project_root_skips_its_own_folders(project: Project) -> None:
    write(project.root, "incoming/a.txt", "A new document.")
    start_labels(project, SEED_ID, "alice", label="fact")
    result = ok(run(project, str(project.root)))
    assert imported_ids(project) == {"incoming/a"}
    assert "refused:" not in result.stderr and "left alone" not in result.stderr


def test_no_document_is_written_through_a_link_out_of_the_project(project: Project, src: Path,
                                                                   tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.seeds / "wire").symlink_to(outside)
    result = run(project, str(write(src, "a.txt", "Text.")), "--into", "wire")
    assert result.exit_code == 2
    assert "seeds/wire/a: a folder on its way is a link out of the project: not written" in result.stderr
    assert list(outside.iterdir()) == []


def test_one_import_at_a_time(project: Project, src: Path) -> None:
    from annotate.store import LabelLock

    lock = LabelLock(project.root / ".annotate" / "import", purpose="annotate import")
    lock.acquire()
    try:
        result = run(project, str(write(src, "a.txt", "Text.")))
    finally:
        lock.release()
    assert result.exit_code == 2 and "another import is running in this project (annotate import pid" in result.stderr
    assert imported_ids(project) == set()
    ok(run(project, str(src / "a.txt")))


def test_import_creates_the_project_folder(tmp_path: Path, src: Path) -> None:
    project = Project(tmp_path / "new")
    (tmp_path / "new").mkdir()
    ok(run(project, str(write(src, "a.txt", "A first document."))))
    assert [d.id for d in project.documents()] == ["a"]


# --------------------------------------------------------------------------- segmentation, once


def processes_of(project: Project) -> list[int]:
    """Processes whose command line names the project (an import and its forked workers)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if str(project.root).encode() in fh.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def wait_until(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_imported_documents_are_segmented_once_for_every_annotator(project: Project, src: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from annotate import segment
    from annotate.importing.spans import POOL_CHARS
    from annotate.session import LabelSession

    paragraph = "The council met on Tuesday. It may vote in May. \u201cWe wait,\u201d she said. " * 20
    rows = [{"id": f"doc-{i}", "text": f"Report {i}. " + paragraph * 3} for i in range(POOL_CHARS // 4000 + 5)]
    result = ok(run(project, str(jsonl(src, "many.jsonl", rows))))
    assert f"segmented {len(rows)} documents" in result.stderr  # through the pool: more than POOL_CHARS
    expected = segment.segment(text_of(project, "doc-3"))

    def no_segmenting(*_args: object) -> None:
        raise AssertionError("segmented again")

    monkeypatch.setattr(segment, "_split_block", no_segmenting)
    tagset = project.tagset()
    for annotator in ("alice", "bob"):
        session = LabelSession.open(project, project.document("doc-3"), annotator, tagset)
        assert [s.span for s in session.sentences] == expected
        session.close()


def test_a_killed_import_leaves_whole_documents_and_finishes_when_run_again(project: Project, src: Path) -> None:
    rows = [{"id": f"d{i:04d}", "title": f"Title {i}", "text": f"Body of document {i}. " * 40} for i in range(1500)]
    path = jsonl(src, "big.jsonl", rows)
    command = [sys.executable, "-m", "annotate", "--root", str(project.root), "import", str(path)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(project.seeds.glob("d*.txt"))) < 100 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert wait_until(lambda: not processes_of(project)), "the workers of the killed import are still there"
    written = sorted(p.stem for p in project.seeds.glob("d*.txt"))
    assert 0 < len(written) < len(rows), "the import was not killed in the middle"
    for doc_id in written:  # every document there is whole, with its metadata
        n = int(doc_id[1:])
        assert text_of(project, doc_id) == f"Title {n}\n\n{rows[n]['text'].strip()}\n"
        assert read_metadata(project, doc_id).title == f"Title {n}"
    result = ok(run(project, str(path)))
    assert f"imported {len(rows) - len(written)} documents, {len(written)} duplicates skipped" in result.stderr
    assert len(list(project.seeds.glob("d*.txt"))) == len(rows)
    assert not [p for p in project.seeds.rglob(".*") if p.name.endswith(".tmp")]
