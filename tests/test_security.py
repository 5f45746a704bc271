"""Nothing in a pulled repository makes annotate read, write or run anything outside the project (issue 16).

Every file of a project may come from someone else through git. Each attack of the
issue is tried as such a person would: a label file whose ``source:`` or ``document:``
points elsewhere, symbolic links under ``seeds/``, ``labels/``, ``schemas/`` and
``.annotate/`` leading out of the project, and a pickle put where the model lives.
Each test records every file the process opens (as the kernel names it, links
resolved) and snapshots the folder outside the project, and asserts that nothing
outside was opened or written.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import io
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID, make_project, run_async, start_labels, write_source

from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.reading import journal_path, load_current
from annotate.safefs import RefusedPath
from annotate.session import LabelSession
from annotate.store import Project, atomic_write, open_inside, read_file
from annotate.tui.options import AppOptions

REPO = Path(__file__).resolve().parent.parent
SECRET = "TOP SECRET password=hunter2."
LABEL = f"labels/{SEED_ID}/alice.yaml"


# --------------------------------------------------------------------------- what was opened, what was written


class Opened:
    """Every file and folder this process opens while recording, by its real path (links resolved)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real_os_open, real_io_open = os.open, io.open

        def os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
            fd = real_os_open(path, flags, mode, dir_fd=dir_fd)
            self._record(fd)
            return fd

        def io_open(file: Any, *args: Any, **kwargs: Any) -> Any:
            fh = real_io_open(file, *args, **kwargs)
            try:
                self._record(fh.fileno())
            except (OSError, ValueError):  # pragma: no cover - not a real file
                pass
            return fh

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(io, "open", io_open)
        monkeypatch.setattr(builtins, "open", io_open)

    def _record(self, fd: int) -> None:
        self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))

    def under(self, folder: Path) -> list[str]:
        """What was opened under ``folder``."""
        return [p for p in self.paths if p == str(folder) or p.startswith(str(folder) + os.sep)]


def snapshot(folder: Path) -> dict[str, Any]:
    """Every entry under ``folder``: a file's bytes and mode, a link's target, a folder's mode."""
    out: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[key] = ("link", os.readlink(path))
        elif path.is_dir():
            out[key] = ("dir", path.stat().st_mode)
        else:
            out[key] = ("file", path.read_bytes(), path.stat().st_mode)
    return out


class Area:
    """A project and, beside it, a folder outside it holding secrets: what a pulled project must never reach."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp_path
        self.project = make_project(tmp_path / "proj")
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        self.secret = self.outside / "secret.txt"
        self.secret.write_text(SECRET + "\n")
        home = self.outside / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "id_rsa").write_text(SECRET + " (a private key)\n")
        monkeypatch.setenv("HOME", str(home))  # "~/..." must not reach a real home either
        (self.outside / "folder").mkdir()
        (self.outside / "folder" / "alice.yaml").write_text(SECRET + "\n")
        self.exports = tmp_path / "exports"  # export --out: the user's own choice of folder
        self.before: dict[str, Any] = {}
        self.monkeypatch = monkeypatch

    def link(self, inside: str, target: Path | str) -> Path:
        """A symbolic link in the project (as a checkout makes it) to ``target``."""
        path = self.project.root / inside
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        os.symlink(target, path)
        return path

    def record(self) -> Opened:
        """From now on: record what is opened; remember how the outside looked."""
        self.before = snapshot(self.outside)
        return Opened(self.monkeypatch)

    def assert_untouched(self, opened: Opened) -> None:
        """Nothing outside the project was opened (export's own folder aside), and nothing outside changed."""
        assert opened.under(self.project.root), "nothing recorded: the recorder is not working"
        inside = set(opened.under(self.project.root)) | set(opened.under(self.exports))
        strays = [p for p in opened.under(self.tmp) if p not in inside]
        assert strays == [], f"opened outside the project: {strays}"
        assert snapshot(self.outside) == self.before, "something outside the project was written"
        for path in self.project.root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert SECRET.encode() not in path.read_bytes(), f"the secret was copied into {path}"


@pytest.fixture
def area(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Area:
    return Area(tmp_path, monkeypatch)


def cli(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), *args])


def one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("annotate: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def set_key(path: Path, key: str, value: str) -> int:
    """Set a top-level key of a label file by hand (as an attacker edits it); returns its line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    lines[n] = f"{key}: {json.dumps(value)}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n + 1


@pytest.fixture
def no_screen(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``annotate label`` and ``review`` record that they would open the screen, instead of opening it."""
    calls: list[dict[str, Any]] = []

    def fake_run_app(options: Any) -> int:
        calls.append({"annotator": options.annotator, "documents": options.documents, "review": options.review})
        return 0

    monkeypatch.setattr("annotate.tui.app.run_app", fake_run_app)
    return calls


# --------------------------------------------------------------------------- 1. source: and document: from the place


def two_annotators(project: Project) -> Path:
    start_labels(project, annotator="bob", label="fact")
    return start_labels(project, label="fact")


SOURCES = {
    "relative": "../../../outside/secret.txt",
    "climbing from seeds": "seeds/../../outside/secret.txt",
    "absolute": "{secret}",
    "home": "~/.ssh/id_rsa",
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_a_source_that_climbs_out_is_an_error_with_file_and_line_in_every_command(
        area: Area, kind: str, no_screen: list[dict[str, Any]]) -> None:
    project = area.project
    path = two_annotators(project)
    line = set_key(path, "source", SOURCES[kind].format(secret=area.secret))
    where = f"{LABEL}:{line}: source:"
    opened = area.record()

    result = cli(project, "validate")
    assert result.exit_code == 1 and result.stdout.splitlines()[0].startswith(where), result.output
    for fix in (cli(project, "validate", "--fix"), cli(project, "validate", "--fix", LABEL)):
        assert fix.exit_code == 1 and fix.stdout.startswith(where), fix.output
    rows = json.loads(cli(project, "status", "--json").stdout)
    assert [r["error"] for r in rows if r["annotator"] == "alice"][0].startswith(where)
    one_line_error(cli(project, "agreement"), where)
    one_line_error(cli(project, "review", SEED_ID, "--reviewer", "carol"), where)
    one_line_error(cli(project, "export", "--out", str(area.exports)), where)
    assert cli(project, "suggest", SEED_ID, "--no-print").exit_code == 0  # the rules need no label file
    if importlib.util.find_spec("sklearn"):
        one_line_error(cli(project, "suggest", "train"), where)  # training reads every label file
    with pytest.raises(AnnotateError, match=f"^{where}"):
        LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    area.assert_untouched(opened)
    assert not (area.exports / "train.jsonl").exists()


def test_the_label_screen_refuses_the_file_and_copies_nothing(area: Area) -> None:
    from annotate.tui.app import make_app

    path = two_annotators(area.project)
    set_key(path, "source", str(area.secret))
    before = path.read_bytes()
    opened = area.record()

    @run_async
    async def run() -> None:
        app = make_app(AppOptions(area.project, "alice", documents=[area.project.document(SEED_ID)]))
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(200):
                await pilot.pause(0.01)
                if app.return_code is not None:
                    break
        assert app.return_code == 2

    run()
    assert path.read_bytes() == before  # a file that fails to load is never overwritten
    area.assert_untouched(opened)


@pytest.mark.parametrize("value", ["another-doc", "../../outside/secret", "/etc/passwd", ""])
def test_a_document_key_that_says_otherwise_is_an_error_with_file_and_line(area: Area, value: str) -> None:
    project = area.project
    write_source(project, "another-doc", "Another document. It has two sentences.")
    path = two_annotators(project)
    line = set_key(path, "document", value)
    opened = area.record()
    result = cli(project, "validate", LABEL)
    assert result.exit_code == 1
    if value:
        assert result.stdout.startswith(f"{LABEL}:{line}: document: {value!r} but the file is under labels/{SEED_ID}/")
    else:  # an empty document is refused by the format itself, on the same line
        assert result.stdout.startswith(f"{LABEL}:{line}: document:")
    one_line_error(cli(project, "agreement"), f"{LABEL}:{line}: document")
    area.assert_untouched(opened)


def test_a_file_put_under_another_document_belongs_to_that_document(area: Area) -> None:
    """A label file's document is its folder: one copied under labels/other/ is checked against seeds/other.txt."""
    project = area.project
    path = two_annotators(project)
    write_source(project, "other", "Other text. Nothing like the first.")
    moved = project.label_path("other", "alice")
    moved.parent.mkdir(parents=True)
    moved.write_bytes(path.read_bytes())
    result = cli(project, "validate", str(moved))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"labels/other/alice.yaml:3: document: '{SEED_ID}' but the file is under")


def test_a_scheme_that_is_a_path_is_refused_and_never_read(area: Area, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = area.outside / "evil.yaml"
    evil.write_text((REPO / "schemas" / "claim-types.yaml").read_text().replace("name: claim-types", "name: evil"))
    path = two_annotators(area.project)
    line = set_key(path, "scheme", "../outside/evil.yaml")
    opened = area.record()
    for cwd in (area.project.root, area.tmp):  # a path would be read relative to where the user stands
        monkeypatch.chdir(cwd)
        result = cli(area.project, "validate")
        assert result.exit_code == 1 and result.stdout.startswith(f"{LABEL}:{line}: scheme: '../outside/evil.yaml'"
                                                                 " is not a tagset name")
    one_line_error(cli(area.project, "agreement"), f"{LABEL}:{line}: scheme")
    area.assert_untouched(opened)


# --------------------------------------------------------------------------- 2. links out of the project are refused


def test_a_seed_linked_outside_is_refused_and_listed(area: Area, no_screen: list[dict[str, Any]]) -> None:
    project = area.project
    two_annotators(project)
    area.link("seeds/innocent.txt", area.secret)
    opened = area.record()
    refused = "seeds/innocent.txt: leads outside the project through a symbolic link"
    one_line_error(cli(project, "segment", "innocent"), refused)
    one_line_error(cli(project, "segment", "seeds/innocent.txt"), refused)
    one_line_error(cli(project, "label", "innocent"), refused)
    one_line_error(cli(project, "suggest", "innocent"), refused)
    assert no_screen == []
    assert [d.id for d in project.documents()] == [SEED_ID]
    everything = cli(project, "suggest", "--no-print")
    assert everything.exit_code == 0 and "innocent" not in everything.output
    rows = json.loads(cli(project, "status", "--json").stdout)
    assert {"document": "seeds/innocent.txt", "refused": "seeds/innocent.txt"}.items() <= rows[-1].items()
    assert str(area.secret) in rows[-1]["error"]
    status = cli(project, "status")
    assert "seeds/innocent.txt" in status.stdout and "refused" in status.stdout
    validate = cli(project, "validate")
    assert validate.exit_code == 1 and refused in validate.stdout
    assert cli(project, "export", "--out", str(area.exports)).exit_code == 0
    area.assert_untouched(opened)


def test_a_seed_linked_inside_the_project_still_works(area: Area) -> None:
    area.link("seeds/alias.txt", f"{SEED_ID}.txt")
    doc = area.project.document("alias")
    assert doc.id == "alias" and area.project.display(doc.path) == "seeds/alias.txt"
    assert area.project.read_source(doc).text.startswith("North Korea")
    path = start_labels(area.project, "alias", label="fact")
    assert "source: seeds/alias.txt" in path.read_text()
    assert cli(area.project, "validate").exit_code == 0


@pytest.mark.parametrize("target", ["secret", "folder-file", "dangling"])
def test_a_label_file_linked_outside_is_never_read_nor_written_through(area: Area, target: str) -> None:
    project = area.project
    start_labels(project, annotator="bob", label="fact")
    goal = {"secret": area.secret, "folder-file": area.outside / "folder" / "alice.yaml",
            "dangling": area.outside / "not-there.yaml"}[target]
    area.link(LABEL, goal)
    opened = area.record()
    rows = json.loads(cli(project, "status", "--json").stdout)
    assert [r for r in rows if r.get("refused") == LABEL][0]["annotator"] == "alice"
    assert cli(project, "agreement", "--json").exit_code in (0, 2)  # bob alone; alice's link is not read
    validate = cli(project, "validate")
    assert validate.exit_code == 1 and f"{LABEL}: leads outside the project" in validate.stdout
    if target == "dangling":  # nothing to read: labeling makes a new file in place of the link
        session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
        session.change(0, label="quote")
        session.close()
        assert not project.label_path(SEED_ID, "alice").is_symlink()
        assert not goal.exists()
    else:
        with pytest.raises(RefusedPath, match="leads outside the project"):
            LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    area.assert_untouched(opened)


def test_a_label_folder_linked_outside_is_never_written_through(area: Area, no_screen: list[dict[str, Any]]) -> None:
    project = area.project
    write_source(project, "other", "Other text. Nothing like the first.")
    area.link("labels/other", area.outside / "folder")
    opened = area.record()
    with pytest.raises(RefusedPath, match="^labels/other/.alice.yaml.lock: leads outside"):
        LabelSession.open(project, project.document("other"), "alice", project.tagset())
    one_line_error(cli(project, "label", "other", "--annotator", "alice"), "leads outside the project")
    assert project.label_files("other") == [] and project.label_files() == []
    rows = json.loads(cli(project, "status", "--json").stdout)
    assert rows[-1]["refused"] == "labels/other"
    assert cli(project, "suggest", "other", "--no-print").exit_code == 2  # its suggestions file would go there
    area.assert_untouched(opened)


@pytest.mark.parametrize("name", [".alice.journal", ".alice.yaml.lock", "_suggestions.yaml", ".alice.cache.json"])
def test_files_beside_a_label_file_linked_outside_are_refused(area: Area, name: str) -> None:
    project = area.project
    path = two_annotators(project)
    area.link(f"labels/{SEED_ID}/{name}", area.secret)
    opened = area.record()
    doc = project.document(SEED_ID)
    if name == ".alice.cache.json":  # a cache is best effort: not used, and replaced by a real file when written
        assert load_current(path, LABEL, project.root).sentences[0].label == "fact"
        session = LabelSession.open(project, doc, "alice", project.tagset())
        session.change(1, label="quote")
        session.close()
        assert not (path.parent / name).is_symlink()
    elif name == "_suggestions.yaml":
        from annotate.suggest import load_suggestions

        with pytest.raises(RefusedPath):
            load_suggestions(project, SEED_ID)
        assert cli(project, "suggest", SEED_ID, "--no-print").exit_code == 0  # the link is replaced, not followed
        assert not (path.parent / name).is_symlink()
    else:
        with pytest.raises(RefusedPath, match=f"labels/{SEED_ID}/{name}: leads outside"):
            LabelSession.open(project, doc, "alice", project.tagset())
    area.assert_untouched(opened)


def test_the_annotate_folder_linked_outside_is_never_written(area: Area) -> None:
    project = area.project
    area.link(".annotate", area.outside / "folder")
    opened = area.record()
    path = two_annotators(project)  # labeling works: the caches are left aside
    assert load_current(path, LABEL, project.root).sentences[0].label == "fact"
    assert cli(project, "status").exit_code == 0
    for _ in range(2):  # nothing remembered (the caches are left aside): the same answer each time
        assert cli(project, "status", "--json").exit_code == 0
        assert '"annotator": "bob"' in cli(project, "status", "--by", "annotator", "--json").stdout
    one_line_error(cli(project, "suggest", "--with", "model", SEED_ID), ".annotate/model.npz: leads outside")
    validate = cli(project, "validate")
    assert ".annotate: leads outside the project" in validate.stdout
    area.assert_untouched(opened)


def test_remembered_answers_linked_outside_are_not_read(area: Area) -> None:
    """A pulled project whose remembered outputs are links to crafted files: they are refused, never shown."""
    from annotate.remembered import PLAN, ROWS, STATUS

    project = area.project
    two_annotators(project)
    crafted = area.outside / "crafted.json"
    crafted.write_text('{"key": [], "result": {"rows": [["PWNED", "x", 1, 1, 0, 0, false, 0, 0, 0]],'
                       ' "unstarted": []}}')
    for name in (ROWS, STATUS, PLAN):
        area.link(f".annotate/cache/{name}.json", crafted)
    opened = area.record()
    for _ in range(2):
        result = cli(project, "status", "--json")
        assert result.exit_code == 0 and "PWNED" not in result.stdout and '"annotator": "bob"' in result.stdout
        assert "PWNED" not in cli(project, "status", "--by", "annotator", "--json").stdout
    area.assert_untouched(opened)
    kept = project.root / ".annotate" / "cache" / f"{ROWS}.json"
    assert not kept.is_symlink() and "PWNED" not in kept.read_text()  # the link replaced by the tool's own file


def test_a_tagset_and_a_schema_linked_outside(area: Area, no_screen: list[dict[str, Any]]) -> None:
    project = area.project
    evil = area.outside / "claim-types.yaml"
    evil.write_text((REPO / "schemas" / "claim-types.yaml").read_text())
    area.link("schemas/claim-types.yaml", evil)
    area.link("schemas/labels.schema.json", area.secret)
    opened = area.record()
    one_line_error(cli(project, "label", SEED_ID), "schemas/claim-types.yaml: leads outside")
    assert no_screen == []
    assert cli(project, "schemas").exit_code == 0  # writes a new file in place of the link
    assert not (project.schemas / "labels.schema.json").is_symlink()
    area.assert_untouched(opened)
    # a tagset file the user names on the command line is the user's choice
    assert project.tagset(str(evil)).name == "claim-types"


@pytest.mark.parametrize("name", [".alice.yaml.lock", ".alice.journal"])
def test_a_link_inside_the_project_is_never_written_through(area: Area, name: str) -> None:
    """A lock or journal linked to a source would truncate it or append to it: writes never follow a link."""
    project = area.project
    path = two_annotators(project)
    source = project.seeds / f"{SEED_ID}.txt"
    before = source.read_bytes()
    area.link(f"labels/{SEED_ID}/{name}", f"../../seeds/{SEED_ID}.txt")
    try:  # the lock: refused; the journal: read (a link inside may be read), then replaced by a file of its own
        session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
        session.change(2, label="opinion")
        session.close()
    except AnnotateError as exc:
        assert name == ".alice.yaml.lock" and "writes nothing through a link" in str(exc)
    else:
        assert name == ".alice.journal" and not (path.parent / name).is_symlink()
        assert load_current(path, LABEL, project.root).sentences[2].label == "opinion"
    assert source.read_bytes() == before


def test_a_link_swapped_in_after_the_check_is_still_refused(area: Area, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check-then-open races: the opening itself walks folder by folder without following links."""
    project = area.project
    path = two_annotators(project)
    (project.labels / SEED_ID).rename(project.labels / "real")
    area.link(f"labels/{SEED_ID}", area.outside / "folder")
    monkeypatch.setattr(os.path, "realpath", lambda p, **_: os.path.normpath(p))  # the check sees no link...
    opened = area.record()  # ...as if the link was swapped in just after it: the walk must still refuse
    with pytest.raises(RefusedPath, match="a symbolic link appeared on the way"):
        open_inside(project.root, path)
    with pytest.raises(RefusedPath, match="writes nothing through a link"):  # writing: no link, wherever it leads
        open_inside(project.root, path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    with pytest.raises(RefusedPath):
        atomic_write(path, b"data", root=project.root)
    area.assert_untouched(opened)


def test_a_folder_the_user_names_is_the_users_choice(area: Area) -> None:
    """--scheme FILE, export --out DIR: explicit paths outside the project stay allowed."""
    project = area.project
    two_annotators(project)
    result = cli(project, "export", "--out", str(area.exports))
    assert result.exit_code == 0, result.output
    assert (area.exports / "train.jsonl").exists() or (area.exports / "stats.json").exists()
    assert read_file(area.secret, "file", "x") == (SECRET + "\n").encode()  # no root: a plain read


# --------------------------------------------------------------------------- 3. no pickle


class CreatesAFile:
    """Unpickling this creates a file: what a pickle forced into a repository can do on load."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "pwned by a pickle"))


@pytest.mark.parametrize("where", ["model.pkl", "model.npz", "inside the npz"])
def test_a_pickle_put_where_the_model_lives_is_never_loaded(area: Area, where: str) -> None:
    pytest.importorskip("sklearn")
    np = pytest.importorskip("numpy")
    project = area.project
    pwned = area.outside / "pwned"
    payload = pickle.dumps(CreatesAFile(pwned))
    folder = project.root / ".annotate"
    folder.mkdir()
    if where == "inside the npz":
        out = io.BytesIO()
        np.savez(out, meta=np.array([CreatesAFile(pwned)], dtype=object), coef=np.zeros(3))
        (folder / "model.npz").write_bytes(out.getvalue())
    else:
        (folder / where).write_bytes(payload)
    line = one_line_error(cli(project, "suggest", "--with", "model", SEED_ID), "run annotate suggest train")
    if where == "model.pkl":
        assert "never loaded" in line and "pickle" in line
    assert not pwned.exists(), "a pickle ran"


def test_no_pickle_anywhere_in_the_tool() -> None:
    for path in sorted((REPO / "annotate").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not {"pickle", "dill", "joblib", "cloudpickle", "shelve", "marshal"} & set(names), path
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                assert isinstance(node.value, ast.Constant) and node.value.value is False, path


# --------------------------------------------------------------------------- the one place that opens project files

GUARDED = {"read_file": 4, "load_current": 2, "read_label_data": 2, "read_label_file": 2, "atomic_write": 2,
           "save_label_file": 2, "remove_stale_temps": 1, "LabelLock": 2, "write_parse_cache": 3, "load_tagset": 3,
           "read_if_there": 1, "read_cache": 1, "write_cache": 2, "read_journal": 1, "open_inside": 0,
           "unlink_inside": 0, "open_folder_inside": 0}
"""Functions that open files, and where their ``root`` argument (the project they must stay in) goes."""

RAW_FILE_ACCESS = {"read_bytes", "read_text", "write_bytes", "write_text", "unlink"}
RAW_OS_CALLS = {"open", "replace", "rename", "unlink", "remove", "mkdir", "makedirs", "symlink", "link"}
ALLOWED_RAW = {"safefs.py": "the one place that opens project files", "store.py": "the lock file (O_CLOEXEC)",
               "export/run.py": "writes the --out folder",
               "importing/records.py": "reads the files the user names to import",
               "importing/tools.py": "reads the other tool's file the user names",
               "segment.py": "reads the package's own files", "cli/__init__.py": "os.devnull"}


def _calls(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def test_every_read_and_write_of_project_files_names_the_project() -> None:
    """A new reading path cannot forget the project root: each call passes it (root=..., or in place)."""
    for path in sorted((REPO / "annotate").rglob("*.py")):
        if path.name in ("safefs.py", "store.py"):
            continue
        for call in _calls(path):
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            if name not in GUARDED:
                continue
            passed = any(k.arg == "root" for k in call.keywords) or len(call.args) > GUARDED[name]
            assert passed, f"{path.relative_to(REPO)}:{call.lineno}: {name}() without the project root"


def test_project_files_are_opened_in_one_place() -> None:
    for path in sorted((REPO / "annotate").rglob("*.py")):
        rel = path.relative_to(REPO / "annotate").as_posix()
        if rel in ALLOWED_RAW:
            continue
        for call in _calls(path):
            func = call.func
            if isinstance(func, ast.Attribute):
                owner = getattr(func.value, "id", None)
                raw = func.attr in RAW_FILE_ACCESS or (owner in ("os", "io", "shutil") and func.attr in RAW_OS_CALLS)
            else:
                raw = getattr(func, "id", None) == "open"
            assert not raw, f"annotate/{rel}:{call.lineno}: opens a file itself; use annotate.store's functions"


def test_journal_and_cache_files_are_read_through_the_project(area: Area) -> None:
    path = two_annotators(area.project)
    assert journal_path(path).parent == path.parent
    area.link(f"labels/{SEED_ID}/.alice.journal", area.secret)
    opened = area.record()
    result = cli(area.project, "validate", LABEL)
    assert result.exit_code == 1 and "alice.journal: leads outside the project" in result.stdout
    area.assert_untouched(opened)
