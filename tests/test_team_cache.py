"""Issue 17 item 5, issue 18 item 3: the team's commands read the per-file summaries, not the label files, when
nothing changed; what the caches hold is never trusted blindly; every answer is the one of a cold run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from team_project import TEAM, TRUTH, label, small_project
from test_team_screens import team_fixture

from annotate import summaries
from annotate.cli import main
from annotate.models import GOLD
from annotate.project import CACHE_DIR
from annotate.remembered import PLAN, ROWS, STATUS
from annotate.store import Project
from annotate.team.assign import DRAW_CACHE, plan, team_state
from annotate.team.projectfile import load_project_file
from annotate.team.queues import DONE, IN_PROGRESS, NOT_STARTED, UNASSIGNED_WORK, annotator_queue, queue_counts

F, S, Q, OP = TRUTH


def cli(project: Project, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--root", str(project.root), *args])
    assert result.exit_code in (0, 1), result.output
    return result


def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, reading a label file (a summary made again) fails the test."""
    def no(*_: Any, **__: Any) -> None:
        raise AssertionError("a label file was read although nothing changed")

    monkeypatch.setattr(summaries, "summarise", no)


@pytest.fixture
def team(tmp_path: Path) -> Project:
    return team_fixture(tmp_path / "team")


COMMANDS = [("assign",), ("assign", "--json"), ("assign", "--review", "--json"), ("assign", "--annotator", "bob"),
            ("status", "--by", "annotator", "--json"), ("status", "--by", "annotator"), ("status", "--json"),
            ("status",)]


def outputs(project: Project) -> dict[tuple[str, ...], str]:
    return {args: cli(project, *args).stdout for args in COMMANDS}


def clear(project: Project) -> None:
    for path in (project.root / CACHE_DIR).glob("*.json"):
        path.unlink()


def test_a_warm_run_prints_what_a_cold_one_does_and_reads_no_label_file(team: Project,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cold = outputs(team)
    for name in ("summaries.json", "figures.json", DRAW_CACHE, f"{STATUS}.json", f"{PLAN}.json", f"{ROWS}.json"):
        assert (team.root / CACHE_DIR / name).is_file(), name
    no_reading(monkeypatch)
    assert outputs(team) == cold


def test_the_plan_and_the_figures_are_remembered_without_reading_the_summaries(
        team: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed: assign and status --by annotator answer from the walk and what they remembered."""
    remembered = [("assign",), ("assign", "--json"), ("status", "--by", "annotator", "--json"), ("status",),
                  ("status", "--json")]
    cold = {args: cli(team, *args).stdout for args in remembered}

    def no(*_: Any, **__: Any) -> None:
        raise AssertionError("the summaries were read although nothing changed")

    monkeypatch.setattr(summaries, "read_summaries", no)
    assert {args: cli(team, *args).stdout for args in remembered} == cold
    label(team, "d08", "alice", TRUTH)  # a change: the walk's digest differs, the summaries are read
    result = CliRunner().invoke(main, ["--root", str(team.root), "assign", "--json"])
    assert "the summaries were read" in repr(result.exception)


def test_a_change_is_seen_by_every_command(team: Project) -> None:
    outputs(team)
    label(team, "d08", "alice", TRUTH)  # alice finishes d08: her queue, the plan, her figures change
    label(team, "d03", GOLD, TRUTH[:2], reviewer="rita")  # d03 goes into review
    warm = outputs(team)
    clear(team)
    assert outputs(team) == warm


def test_merging_two_sentences_is_a_change(team: Project) -> None:
    from annotate.boundaries import make_change, record_change, units_path

    outputs(team)
    source = team.read_source(team.document("d01"))
    record_change(team.root, units_path(team.labels / "d01", "bob"), "d01", "bob",
                  make_change("merge", source.text.index("It may"), source.text, source.sha256))
    warm = outputs(team)
    clear(team)
    assert outputs(team) == warm
    rows = {r["annotator"]: r for r in json.loads(cli(team, "status", "--json").stdout) if r["document"] == "d01"}
    assert rows["alice"]["total"] == 3 and rows["alice"]["stale"]


def test_editing_the_project_file_or_committing_is_a_change(team: Project) -> None:
    git = ["git", "-C", str(team.root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "labels"], check=True)
    before = cli(team, "status", "--by", "annotator", "--json").stdout
    assert '"source": "git"' in before  # clean files are dated by their commit
    (team.root / "annotate.yaml").write_text(TEAM.replace("seed: 7", "seed: 8"), encoding="utf-8")
    redrawn = cli(team, "status", "--by", "annotator", "--json").stdout
    clear(team)
    assert cli(team, "status", "--by", "annotator", "--json").stdout == redrawn
    path = team.label_path("d04", "alice")
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # same labels, changed since
    changed = cli(team, "status", "--by", "annotator", "--json").stdout
    subprocess.run([*git, "commit", "-qam", "more"], check=True)
    committed = cli(team, "status", "--by", "annotator", "--json").stdout
    clear(team)
    assert cli(team, "status", "--by", "annotator", "--json").stdout == committed != changed


DAMAGED = {
    "not json": b"{",
    "a list": b"[]",
    "another key": lambda d: d.update(key=[0]),
    "a missing figure": lambda d: d["result"].pop("throughput"),
    "a row missing a key": lambda d: d["result"]["annotators"][0].pop("labels"),
    "a row that is not an object": lambda d: d["result"]["annotators"].__setitem__(0, 3),
    "an escape in a name": lambda d: d["result"]["annotators"][0].update(annotator="\x1b]0;pwned\x07"),
    "a figure that is not finite": lambda d: d["result"]["annotators"][0].update(labels=float("inf")),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_remembered_figures_of_the_wrong_shape_are_computed_again(team: Project, damage: Any) -> None:
    expected = cli(team, "status", "--by", "annotator", "--json").stdout
    damage_file(team.root / CACHE_DIR / f"{STATUS}.json", damage)
    assert cli(team, "status", "--by", "annotator", "--json").stdout == expected
    assert cli(team, "status", "--by", "annotator").exit_code == 0


PLAN_DAMAGED = {
    "not json": b"{",
    "another key": lambda d: d.update(key=[0]),
    "a missing part": lambda d: d["result"].pop("plan"),
    "names that are not a list": lambda d: d["result"]["plan"][0].update(assigned="alice"),
    "a status that is not text": lambda d: d["result"]["plan"][0]["status"].update(alice=3),
    "an escape in a document name": lambda d: d["result"]["plan"][0].update(document="\x1b[2J"),
    "a share that is text": lambda d: d["result"]["annotators"][0].update(share="1"),
    "a count that is not a number": lambda d: d["result"]["documents"].update(selected=None),
    "a seed that is not finite": lambda d: d["result"]["project_file"].update(seed=float("nan")),
}


@pytest.mark.parametrize("damage", PLAN_DAMAGED.values(), ids=PLAN_DAMAGED.keys())
def test_a_remembered_plan_of_the_wrong_shape_is_made_again(team: Project, damage: Any) -> None:
    expected = cli(team, "assign", "--json").stdout
    damage_file(team.root / CACHE_DIR / f"{PLAN}.json", damage)
    assert cli(team, "assign", "--json").stdout == expected
    assert cli(team, "assign").exit_code == 0


ROWS_DAMAGED = {
    "not json": b"[",
    "another key": lambda d: d.update(key=[0]),
    "a row too short": lambda d: d["result"]["rows"].__setitem__(0, ["d00"]),
    "an empty row": lambda d: d["result"]["rows"].__setitem__(0, []),
    "a negative count": lambda d: d["result"]["rows"][0].__setitem__(2, -1),
    "a count that is text": lambda d: d["result"]["rows"][0].__setitem__(3, "4"),
    "an escape in a name": lambda d: d["result"]["rows"][0].__setitem__(1, "\x1b]0;pwned\x07"),
    "unstarted that are not names": lambda d: d["result"].update(unstarted=[1]),
    "an escape in an unstarted name": lambda d: d["result"].update(unstarted=["\x1b[2J"]),
    "an escape in an error": lambda d: d["result"]["rows"].__setitem__(0, ["d00", "alice", "x\x1b[2J"]),
}


@pytest.mark.parametrize("damage", ROWS_DAMAGED.values(), ids=ROWS_DAMAGED.keys())
def test_remembered_status_rows_of_the_wrong_shape_are_made_again(team: Project, damage: Any) -> None:
    expected = {args: cli(team, *args).stdout for args in (("status", "--json"), ("status",))}
    damage_file(team.root / CACHE_DIR / f"{ROWS}.json", damage)
    assert cli(team, "status", "--json").stdout == expected[("status", "--json")]
    assert cli(team, "status").stdout == expected[("status",)]


def test_a_link_out_is_listed_though_the_rows_are_remembered(team: Project, tmp_path: Path) -> None:
    """Links out are looked at on every run (schemas/ and .annotate/ are not in the walk's digest)."""
    cli(team, "status", "--json")
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: x\n", encoding="utf-8")
    (team.schemas / "evil.yaml").symlink_to(secret)
    rows = json.loads(cli(team, "status", "--json").stdout)
    assert [r["refused"] for r in rows if "refused" in r] == ["schemas/evil.yaml"]
    assert "schemas/evil.yaml" in cli(team, "status").stdout


def damage_file(cache: Path, damage: Any) -> None:
    if isinstance(damage, bytes):
        cache.write_bytes(damage)
    else:
        data = json.loads(cache.read_text(encoding="utf-8"))
        damage(data)
        cache.write_text(json.dumps(data), encoding="utf-8")


def test_the_draw_remembered_is_the_draw(team: Project) -> None:
    assert not (team.root / CACHE_DIR / DRAW_CACHE).exists()
    fresh = json.loads(cli(team, "assign", "--json").stdout)["plan"]  # drawn, and remembered
    cache = team.root / CACHE_DIR / DRAW_CACHE
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert set(data["rankings"]) == {f"d{n:02d}" for n in range(12)}
    assert json.loads(cli(team, "assign", "--json").stdout)["plan"] == fresh  # read back
    team_file = load_project_file(team)
    assert team_file is not None
    drawn = plan(team_file, [f"d{n:02d}" for n in range(12)])
    assert [d["assigned"] for d in fresh if d["document"] in ("d06", "d10", "d11")] == [
        drawn["d06"], drawn["d10"], drawn["d11"]]  # nobody worked on them: the draw alone
    for rankings in ({"d00": [0, 0, 1]}, {"d00": ["0", 1, 2]}, {"d00": [True, 1, 2]}, {"d00": [1.0, 0, 2]},
                     {"d00": [0, 1]}, {"d00": [0, 1, 2, 2]}, {"d00": "x"}, 7):
        cache.write_text(json.dumps({**data, "rankings": rankings}), encoding="utf-8")
        assert json.loads(cli(team, "assign", "--json").stdout)["plan"] == fresh
    cache.write_text(json.dumps({**data, "team": ["9", [["alice", 1.0]]]}), encoding="utf-8")  # another team's
    assert json.loads(cli(team, "assign", "--json").stdout)["plan"] == fresh


@pytest.mark.parametrize("team_yaml", [TEAM, None], ids=["a team", "no project file"])
def test_queue_counts_are_the_queues_sizes(tmp_path: Path, team_yaml: str | None) -> None:
    project = team_fixture(tmp_path / "p", team_yaml)
    label(project, "d10", "zed", [F])  # someone outside the team
    label(project, "d11", "alice", [None])  # a file without a label: nobody's work
    state = team_state(project)
    names = ["alice", "bob", "carol", "zed", "nobody"]
    counts = queue_counts(state, names)
    for name in names:
        queue = annotator_queue(state, name)
        unassigned = sum(1 for item in queue.others if item.status != NOT_STARTED)
        assert counts[name] == {IN_PROGRESS: len(queue.in_progress), NOT_STARTED: len(queue.not_started),
                                DONE: len(queue.done), UNASSIGNED_WORK: unassigned}, name


def test_figures_lost_are_read_again_and_a_progress_run_keeps_them_fresh(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    project = small_project(tmp_path / "p", 3, TEAM)
    label(project, "d00", "alice", TRUTH, seconds=[1, 2, 3, 4])
    label(project, "d00", "bob", [F, F, Q, OP])
    expected = cli(project, "status", "--by", "annotator", "--json").stdout
    (project.root / CACHE_DIR / f"{STATUS}.json").unlink()
    summaries.figures_file(project).unlink()  # the figures alone: read again from the files
    assert cli(project, "status", "--by", "annotator", "--json").stdout == expected
    label(project, "d01", "bob", [S])
    cli(project, "status", "--json")  # progress only: the changed document's figures are kept too
    with_d01 = summaries.read_summaries(project, figures=True)
    no_reading(monkeypatch)
    again = summaries.read_summaries(project, figures=True)
    assert again.documents["d01"].files["bob"].label_counts == {S: 1}
    assert pairs_of(again) == pairs_of(with_d01) and ("alice", "bob") in pairs_of(again)["d00"]


def pairs_of(found: summaries.Summaries) -> dict[str, dict[tuple[str, str], tuple[dict, int]]]:
    return {d: {k: (c.both, c.one) for k, c in s.pairs.items()} for d, s in found.documents.items()}


def test_unreadable_sources_are_known_without_a_label_file_and_remembered(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = small_project(tmp_path / "p", 2)
    (project.seeds / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    found = summaries.read_summaries(project).documents
    assert "binary" in (found["scan"].unreadable or "") and found["d00"].unreadable is None
    no_reading(monkeypatch)
    assert summaries.read_summaries(project).documents["scan"].unreadable == found["scan"].unreadable
    os.utime(project.seeds / "scan.txt", (1, 1))
    monkeypatch.undo()
    assert summaries.read_summaries(project).documents["scan"].unreadable == found["scan"].unreadable
