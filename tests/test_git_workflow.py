"""The team's git workflow for real: a bare repository, three annotators' clones and a reviewer's, in turns.

Each annotator labels their queue, commits with ``git add -A`` (the careless way), pulls
with rebase and pushes; two of them commit at the same time; one is killed mid-document
(its journal stays behind). Then the reviewer pulls and adjudicates what is ready. Checked:
no git command reports a conflict, every label made is in the final repository, and no
journal, cache, lock, temp file or ``.annotate/`` was ever committed (the project's
``.gitignore`` and ``labels/.gitignore``, copied from this repository, keep them out).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from team_project import TEAM, TRUTH, small_project

from annotate.cli import main
from annotate.models import GOLD
from annotate.reading import current_labels, journal_path
from annotate.session import LabelSession
from annotate.store import Project
from annotate.team.assign import team_state
from annotate.team.queues import queue_of, review_queue

REPO = Path(__file__).resolve().parent.parent
PEOPLE = ("alice", "bob", "carol")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(where: Path, *args: str) -> str:
    """Run git; fail the test on an error or on any conflict it reports."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(where.parent), "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, env=env, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"git {' '.join(args)} in {where.name}: {out}"
    assert "CONFLICT" not in out, out
    return proc.stdout


def clone(origin: Path, root: Path, name: str) -> Project:
    git(root, "clone", "-q", str(origin), name)
    here = root / name
    git(here, "config", "user.name", name)
    git(here, "config", "user.email", f"{name}@example.org")
    git(here, "config", "pull.rebase", "true")
    return Project(here)


def cli(project: Project, *args: str) -> str:
    result = CliRunner().invoke(main, ["--root", str(project.root), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def label_all(project: Project, doc_id: str, who: str, labels: list[str], made: dict, crash_after: int = -1) -> None:
    """Label a document's sentences as ``who`` and remember what was labeled; ``crash_after``: killed after n."""
    session = LabelSession.open(project, project.document(doc_id), who, project.tagset())
    for i, value in enumerate(labels):
        fields = {"label": value, "reviewer": "rita"} if who == GOLD else {"label": value}
        session.change(i, also={"seconds": 2.5}, **fields)
        made[(doc_id, who)] = labels[: i + 1]
        if i + 1 == crash_after:  # kill -9: no fold, the labels wait in the journal
            os.close(session._journal_fd)  # type: ignore[arg-type]
            session._journal_fd = None
            session.lock.release()
            return
    session.close()


def share(project: Project, message: str) -> None:
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", message)
    git(project.root, "pull", "-q", "--rebase")
    git(project.root, "push", "-q")


def my_labels(who: str, doc_index: int) -> list[str]:
    """Each annotator's own labels: they disagree on a sentence now and then."""
    out = list(TRUTH)
    if (doc_index + len(who)) % 3 == 0:
        out[1] = "fact"
    return out


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare repository holding a project: eight documents, annotate.yaml, and this repository's .gitignore files."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    lead = tmp_path / "lead"
    small_project(lead, 8, TEAM)
    shutil.copy(REPO / ".gitignore", lead / ".gitignore")
    (lead / "labels").mkdir()
    shutil.copy(REPO / "labels" / ".gitignore", lead / "labels" / ".gitignore")
    git(tmp_path, "init", "-q", "-b", "main", str(lead))
    git(lead, "config", "user.name", "lead")
    git(lead, "config", "user.email", "lead@example.org")
    git(lead, "add", "-A")
    git(lead, "commit", "-qm", "project: 8 documents, a team of three, two annotators per document")
    git(lead, "remote", "add", "origin", str(bare))
    git(lead, "push", "-q", "-u", "origin", "main")
    return bare


def test_annotators_and_a_reviewer_share_work_through_git_without_conflict_or_loss(origin: Path,
                                                                                  tmp_path: Path) -> None:
    people = {who: clone(origin, tmp_path, who) for who in PEOPLE}
    made: dict[tuple[str, str], list[str]] = {}
    queues = {who: [d.id for d in queue_of(p, who).todo] for who, p in people.items()}
    assert sorted(d for q in queues.values() for d in q) == sorted(f"d{n:02d}" for n in range(8) for _ in (0, 1))

    # round 1, in turns: each labels the first document of their queue; bob is killed in his second
    for who, project in people.items():
        git(project.root, "pull", "-q")
        first = queues[who][0]
        label_all(project, first, who, my_labels(who, int(first[1:])), made)
        if who == "bob":
            second = queues[who][1]
            label_all(project, second, who, my_labels(who, int(second[1:])), made, crash_after=2)
            assert journal_path(project.label_path(second, who)).exists()
        share(project, f"{who}: first document")

    # round 2: alice and bob both commit before either pushes; bob's rebase goes over alice's push
    for who in ("alice", "bob", "carol"):
        project = people[who]
        for doc in queue_of(project, who).todo:
            label_all(project, doc.id, who, my_labels(who, int(doc.id[1:])), made)
        git(project.root, "add", "-A")
        git(project.root, "commit", "-qm", f"{who}: the rest of my queue")
    for who in ("alice", "bob", "carol"):
        git(people[who].root, "pull", "-q", "--rebase")
        git(people[who].root, "push", "-q")

    # the reviewer pulls: every document is ready; she adjudicates them
    rita = clone(origin, tmp_path, "rita")
    ready = [item.doc.id for item in review_queue(team_state(rita))]
    assert sorted(ready) == [f"d{n:02d}" for n in range(8)]
    assert cli(rita, "assign", "--check") == ""
    for doc_id in ready:
        label_all(rita, doc_id, GOLD, list(TRUTH), made)
    status = json.loads(cli(rita, "status", "--by", "annotator", "--json"))
    share(rita, "rita: gold labels")

    # everyone pulls: the same history everywhere, every label there, nothing of the tool's own committed
    for project in people.values():
        git(project.root, "pull", "-q")
    heads = {git(p.root, "rev-parse", "HEAD") for p in [*people.values(), rita]}
    assert len(heads) == 1
    final = clone(origin, tmp_path, "final")
    assert review_queue(team_state(final)) == []
    for (doc_id, who), labels in made.items():
        got = current_labels(final, final.document(doc_id), who).labels
        assert [s.label for s in got.sentences[: len(labels)]] == labels, (doc_id, who)
    committed = git(final.root, "ls-files").splitlines()
    assert committed, "nothing committed?"
    leaked = [p for p in committed if p != "labels/.gitignore" and (
        Path(p).name.startswith(".") and p != ".gitignore" or p.startswith(".annotate/")
        or p.endswith((".journal", ".lock", ".tmp", ".cache.json")))]
    assert leaked == []
    label_files = [p for p in committed if p.startswith("labels/") and p.endswith(".yaml")]
    assert len(label_files) == 8 * 2 + 8  # two annotators and gold per document
    # the tool's own files were there all along, beside the committed ones, ignored
    assert any((people["alice"].root / "labels").glob("*/.alice.cache.json"))
    assert (rita.root / ".annotate").is_dir()
    # the figures the reviewer saw: everyone done, dated by git
    for row in status["annotators"]:
        assert row["done"] == row["assigned"] == len(queues[row["annotator"]])
        assert row["last_activity"]["source"] == "git"
        assert row["median_seconds_per_sentence"]["value"] == 2.5


def test_assign_check_says_when_git_would_commit_the_tools_own_files(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 2, TEAM)
    git(tmp_path, "init", "-q", str(project.root))
    result = CliRunner().invoke(main, ["--root", str(project.root), "assign", "--check"])
    assert result.exit_code == 1
    assert "annotate: git would commit labels/_doc/.name.journal" in result.stderr
    assert "git would commit .annotate/cache/x.json" in result.stderr
    shutil.copy(REPO / ".gitignore", project.root / ".gitignore")
    (project.labels).mkdir()
    shutil.copy(REPO / "labels" / ".gitignore", project.labels / ".gitignore")
    result = CliRunner().invoke(main, ["--root", str(project.root), "assign", "--check"])
    assert result.exit_code == 0, result.output
    assert "git would commit" not in result.stderr
