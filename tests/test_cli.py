"""The ``annotate`` command through click's CliRunner: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import HEADLINE, SEED_ID, write_source

from annotate.cli import main
from annotate.session import LabelSession
from annotate.store import Project


def run(project: Project | Path, *args: str, env: dict[str, str] | None = None) -> Result:
    root = project.root if isinstance(project, Project) else project
    return CliRunner().invoke(main, ["--root", str(root), *args], env=env)


def assert_user_error(result: Result, *needles: str) -> str:
    """Exit 2, one line on stderr naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("annotate: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def label_some(project: Project, tagset, annotator: str = "alice", labels: dict | None = None):
    session = LabelSession.open(project, project.document(SEED_ID), annotator, tagset)
    try:
        for i, lab in (labels or {0: "fact", 1: "speculation", 2: "quote"}).items():
            session.change(i, label=lab)
        session.change(1, unsure=True)
    finally:
        session.close()
    return session


# --------------------------------------------------------------------------- segment


def test_segment_lists_sentences_with_offsets(project: Project) -> None:
    result = run(project, "segment", SEED_ID)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.split()[:2] == ["1", f"0-{len(HEADLINE)}"]
    assert first.endswith(HEADLINE)
    assert f"sentences in {SEED_ID}" in result.stderr


def test_segment_json_offsets_slice_back_to_the_text(project: Project, monkeypatch) -> None:
    text = project.read_source(project.document(SEED_ID)).text
    by_id = run(project, "segment", SEED_ID, "--json")
    assert by_id.exit_code == 0, by_id.output
    rows = json.loads(by_id.stdout)
    assert rows[0] == {"start": 0, "end": len(HEADLINE), "text": HEADLINE}
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)

    by_path = run(project, "segment", str(project.seeds / f"{SEED_ID}.txt"), "--json")
    assert json.loads(by_path.stdout) == rows
    monkeypatch.chdir(project.root)
    relative = CliRunner().invoke(main, ["segment", f"seeds/{SEED_ID}.txt", "--json"])
    assert relative.exit_code == 0, relative.output
    assert json.loads(relative.stdout) == rows


def test_root_option_also_after_the_command(project: Project) -> None:
    result = CliRunner().invoke(main, ["segment", SEED_ID, "--json", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["text"] == HEADLINE


def test_segment_crlf_and_bom_source(project: Project) -> None:
    raw = "\ufeffTitle line\r\n\r\nFirst sentence here. Second one here.\r\n"
    write_source(project, "crlf", raw)
    rows = json.loads(run(project, "segment", "crlf", "--json").stdout)
    text = raw.removeprefix("\ufeff")
    assert [r["text"] for r in rows] == ["Title line", "First sentence here.", "Second one here."]
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)


# --------------------------------------------------------------------------- validate


def test_validate_with_no_label_files(project: Project) -> None:
    result = run(project, "validate")
    assert result.exit_code == 0
    assert "no label files" in result.stderr


def test_validate_all_valid(project: Project, tagset) -> None:
    label_some(project, tagset, "alice")
    label_some(project, tagset, "bob")
    result = run(project, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "2 of 2 label files valid" in result.stderr


def test_validate_reports_file_and_line(project: Project, tagset) -> None:
    label_some(project, tagset, "alice")
    label_some(project, tagset, "bob")
    path = project.label_path(SEED_ID, "bob")
    text = path.read_text(encoding="utf-8").replace("label: quote", "label: fakt")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "label: fakt" in t)
    result = run(project, "validate")
    assert result.exit_code == 1
    (reported,) = result.stdout.splitlines()
    assert reported.startswith(
        f"labels/{SEED_ID}/bob.yaml:{line}: sentences[2].label: 'fakt' is not a label of tagset"
        " claim-types"
    )
    assert "1 of 2 label files valid" in result.stderr
    # naming one file checks only that file
    only = run(project, "validate", str(project.label_path(SEED_ID, "alice")))
    assert only.exit_code == 0


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("version: 1", "version: 1\n  bad indent: x", 1), "YAML syntax error"),
        (lambda t: t.replace("end: 58", "end: 59", 1), "sentences[0].text: does not match"),
        (lambda t: t.replace("annotator: alice", "annotator: bob", 1), "annotator"),
        (lambda t: "", "empty"),
    ],
)
def test_validate_broken_files(project: Project, tagset, edit, expected: str) -> None:
    label_some(project, tagset)
    path = project.label_path(SEED_ID, "alice")
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    before = path.read_bytes()
    result = run(project, "validate")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"labels/{SEED_ID}/alice.yaml:")
    assert expected in line
    assert path.read_bytes() == before  # validate never rewrites a broken file


def test_validate_fix_reanchors_after_a_source_edit(project: Project, tagset) -> None:
    session = label_some(project, tagset, labels={0: "fact", 2: "quote", 4: "opinion"})
    removed = session.sentences[4].text
    src = project.seeds / f"{SEED_ID}.txt"
    text = src.read_text(encoding="utf-8")
    src.write_text("Update: a correction was added.\n\n" + text.replace(removed, "", 1),
                   encoding="utf-8")

    stale = run(project, "validate")
    assert stale.exit_code == 1
    assert "source_sha256" in stale.stdout and "--fix" in stale.stdout

    fixed = run(project, "validate", "--fix")
    assert fixed.exit_code == 0, fixed.output
    (line,) = fixed.stdout.splitlines()
    assert line.startswith(f"labels/{SEED_ID}/alice.yaml: re-anchored:")
    assert "3 moved" in line and "1 orphaned" in line  # sentence 1 carries unsure

    again = run(project, "validate")
    assert again.exit_code == 0, again.output
    status = json.loads(run(project, "status", "--json").stdout)
    (row,) = [r for r in status if r["annotator"] == "alice"]
    assert (row["labeled"], row["orphans"]) == (2, 1)


def test_validate_names_a_missing_source(project: Project, tagset) -> None:
    label_some(project, tagset)
    (project.seeds / f"{SEED_ID}.txt").unlink()
    result = run(project, "validate")
    assert result.exit_code == 1
    assert f"seeds/{SEED_ID}.txt" in result.stdout and "missing" in result.stdout


# --------------------------------------------------------------------------- status


def test_status_json_rows(project: Project, tagset) -> None:
    session = label_some(project, tagset)
    result = run(project, "status", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    (row,) = [r for r in rows if r.get("annotator") == "alice"]
    assert {"document", "annotator", "labeled", "total", "unsure", "orphans"} <= set(row)
    assert row["document"] == SEED_ID
    assert (row["labeled"], row["unsure"], row["orphans"]) == (3, 1, 0)
    assert row["total"] == len(session.sentences)


def test_status_sees_unfolded_journal(project: Project, tagset) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    try:
        session.change(0, label="fact")
        rows = json.loads(run(project, "status", "--json").stdout)
        assert [r["labeled"] for r in rows if r.get("annotator") == "alice"] == [1]
    finally:
        session.close()


def test_status_table(project: Project, tagset) -> None:
    label_some(project, tagset)
    result = run(project, "status")
    assert result.exit_code == 0, result.output
    assert "alice" in result.stdout and "kim-visits" in result.stdout


def test_piped_status_keeps_whole_document_names(project: Project, tagset) -> None:
    """Rich cuts cells at 80 columns when it cannot ask a terminal; piped output must not be cut."""
    long_ids = [f"bbc-business-2004-{n:03d}-a-long-descriptive-name" for n in (1, 2)]
    for doc_id in long_ids:
        write_source(project, doc_id, "One sentence here.\n\nAnother one there.\n")
        session = LabelSession.open(project, project.document(doc_id), "alice", tagset)
        session.change(0, label="fact")
        session.close()
    env = {"PATH": "/usr/bin:/bin", "ANNOTATE_ANNOTATOR": "alice"}
    piped = subprocess.run([sys.executable, "-m", "annotate", "--root", str(project.root), "status"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert piped.returncode == 0, piped.stderr
    for doc_id in long_ids:
        assert doc_id in piped.stdout
    assert "…" not in piped.stdout


def test_a_reader_that_goes_away_ends_the_command_quietly(project: Project) -> None:
    """``annotate segment DOC | head -1``: no "Broken pipe" message, the shell's SIGPIPE status."""
    write_source(project, "long", "".join(f"Sentence number {n} is here.\n\n" for n in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "annotate", "--root", str(project.root), "segment", "long"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as head -1 does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert first.split()[0] == b"1"
    assert err == "" and code == 141


def test_status_outside_a_project_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "not-a-project"
    empty.mkdir()
    line = assert_user_error(run(empty, "status"), "no annotation project here", "seeds/")
    assert str(empty) in line
    for command in (["agreement"], ["export", "--out", str(tmp_path / "out")], ["validate"], ["segment", "x"]):
        assert_user_error(run(empty, *command), "no annotation project here")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("encoding, needle", [
    ("utf-16", "UTF-16 (little-endian) with a byte-order mark"),
    ("utf-16-be", "UTF-16 (big-endian)"),
    ("utf-32", "UTF-32 (little-endian) with a byte-order mark"),
    ("cp1252", "Windows-1252 (cp1252)"),
])
def test_a_source_in_another_encoding_is_named_with_how_to_convert(project: Project, encoding: str,
                                                                  needle: str) -> None:
    write_source(project, "other", "He said \u201cit rained\u201d \u2014 twice.\n\nThen it stopped.\n".encode(encoding))
    line = assert_user_error(run(project, "segment", "other"), "seeds/other.txt", needle, "iconv -f ")
    assert "binary" not in line


def test_segment_lists_the_units_annotators_label(project: Project, tagset) -> None:
    """After someone labeled the document, segment shows their units (shared by every annotator)."""
    from annotate.reading import load_current
    from annotate.store import save_label_file

    label_some(project, tagset)
    path = project.label_path(SEED_ID, "alice")
    labels = load_current(path)
    first, second = labels.sentences[3], labels.sentences[4]
    text = project.read_source(project.document(SEED_ID)).text
    labels.sentences[3:5] = [first.model_copy(update={"end": second.end, "text": text[first.start:second.end]})]
    save_label_file(path, labels)  # alice's units: 4 and 5 joined (as a boundary fix would)
    result = run(project, "segment", SEED_ID, "--json")
    assert [(r["start"], r["end"]) for r in json.loads(result.stdout)] == [s.span for s in labels.sentences]


# --------------------------------------------------------------------------- user errors


def test_unknown_document(project: Project) -> None:
    assert_user_error(run(project, "segment", "no-such-doc"), "no-such-doc", SEED_ID)


def test_missing_source_path(project: Project) -> None:
    assert_user_error(run(project, "segment", str(project.seeds / "gone.txt")), "gone.txt")


def test_binary_source(project: Project) -> None:
    write_source(project, "picture", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    assert_user_error(run(project, "segment", "picture"), "seeds/picture.txt", "binary")
    assert_user_error(run(project, "label", "--annotator", "alice", "picture"), "binary")


def test_non_utf8_and_empty_sources(project: Project) -> None:
    write_source(project, "latin", "Café au lait. Deux phrases.".encode("latin-1"))
    assert_user_error(run(project, "segment", "latin"), "seeds/latin.txt:1:4", "UTF-8")
    write_source(project, "blank", b"  \n\n ")
    assert_user_error(run(project, "segment", "blank"), "seeds/blank.txt", "empty")


@pytest.mark.parametrize("name", ["Alice", "alice smith", ".alice"])
def test_bad_annotator(project: Project, name: str) -> None:
    assert_user_error(run(project, "label", "--annotator", name, SEED_ID), repr(name))
    assert_user_error(run(project, "--annotator", name, "label", SEED_ID), repr(name))
    assert_user_error(run(project, "label", SEED_ID, env={"ANNOTATE_ANNOTATOR": name}),
                      "ANNOTATE_ANNOTATOR")


def test_bad_root(tmp_path: Path) -> None:
    assert_user_error(run(tmp_path / "nowhere", "status"), "nowhere", "not a folder")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = run(a_file, "status")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_labeling_a_file_someone_else_holds_is_refused(project: Project, tagset) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    try:
        result = run(project, "label", "--annotator", "alice", SEED_ID)
        assert_user_error(result, "alice.yaml", "pid")
    finally:
        session.close()


# --------------------------------------------------------------------------- help


def test_help_for_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert main.commands, "no commands registered"
    for name in main.commands:
        assert name in result.stdout
        sub = CliRunner().invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert f"Usage: main {name}" in sub.stdout or f"{name} [OPTIONS]" in sub.stdout
        assert len(sub.stdout.splitlines()) > 3


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "version" in result.stdout


# --------------------------------------------------------------------------- no Textual


NO_TEXTUAL = textwrap.dedent(
    """
    import sys
    import annotate.store, annotate.models, annotate.validate, annotate.session
    from annotate.cli import main
    for args in (["validate"], ["status"], ["status", "--json"]):
        try:
            main(["--root", sys.argv[1], *args])
        except SystemExit as exc:
            assert exc.code in (0, None), (args, exc.code)
    loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
    print("TEXTUAL:", loaded, file=sys.stderr)
    sys.exit(3 if loaded else 0)
    """
)


def test_checking_commands_do_not_import_textual(project: Project, tagset) -> None:
    label_some(project, tagset)
    proc = subprocess.run([sys.executable, "-c", NO_TEXTUAL, str(project.root)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "TEXTUAL: []" in proc.stderr
