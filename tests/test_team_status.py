"""Per-annotator figures (status --by annotator) against hand-counted files, and the HTML report parsed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from team_project import TEAM, TRUTH, label, small_project

from annotate.agreement import cohen_kappa, percent_agreement
from annotate.cli import main
from annotate.models import GOLD
from annotate.store import Project
from annotate.team.assign import team_state
from annotate.team.figures import Tables, annotator_status, confusion_of

F, S, Q, OP = "fact", "speculation", "quote", "opinion"


def at(path: Path, when: str) -> None:
    """Set a file's modification time to an ISO time in UTC."""
    stamp = datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def fixture_project(root: Path) -> Project:
    """Four documents; the labels below are counted by hand in the tests.

    d00: alice F S Q OP (seconds 2 4 6 8, sentence 2 unsure), bob F F Q OP (1 s each), gold F S Q OP
    d01: alice F S - - (seconds 3, -), carol F OP Q OP
    d02: bob Q Q Q Q
    d03: nobody
    """
    project = small_project(root, 4, TEAM)
    at(label(project, "d00", "alice", TRUTH, seconds=[2, 4, 6, 8], unsure=[1]), "2024-03-01T10:00:00")
    at(label(project, "d00", "bob", [F, F, Q, OP], seconds=[1, 1, 1, 1]), "2024-03-01T11:00:00")
    at(label(project, "d00", GOLD, TRUTH, reviewer="rita"), "2024-03-04T09:00:00")
    at(label(project, "d01", "alice", [F, S], seconds=[3]), "2024-03-02T08:30:00")
    at(label(project, "d01", "carol", [F, OP, Q, OP]), "2024-03-02T12:00:00")
    at(label(project, "d02", "bob", [Q, Q, Q, Q]), "2024-03-03T15:00:00")
    return project


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = fixture_project(tmp_path_factory.mktemp("status") / "p")
    out = CliRunner().invoke(main, ["--root", str(project.root), "status", "--by", "annotator", "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def row(result: dict, name: str) -> dict:
    return next(a for a in result["annotators"] if a["annotator"] == name)


def test_progress_per_annotator_matches_the_files(result: dict) -> None:
    alice, bob, carol = row(result, "alice"), row(result, "bob"), row(result, "carol")
    assert (alice["done"], alice["in_progress"]) == (1, 1)
    assert (bob["done"], bob["in_progress"]) == (2, 0)
    assert (carol["done"], carol["in_progress"]) == (1, 0)
    for a in (alice, bob, carol):
        assert a["assigned"] == a["done"] + a["in_progress"] + a["not_started"]
        assert a["in_team"] is True and a["unassigned_documents"] == 0
    assert sum(a["assigned"] for a in (alice, bob, carol)) == 4 * 2  # every document has its two
    assert result["documents"] == {"total": 4, "selected": 4, "started": 3, "labeled_by_all": 1,
                                   "ready_for_review": 0, "adjudicated": 1, "with_unassigned_work": 0}


def test_labels_unsure_rate_and_label_mix(result: dict) -> None:
    alice, bob, carol = row(result, "alice"), row(result, "bob"), row(result, "carol")
    assert alice["labels"] == 6 and alice["label_counts"] == {F: 2, OP: 1, Q: 1, S: 2}
    assert bob["labels"] == 8 and bob["label_counts"] == {F: 2, OP: 1, Q: 5}
    assert carol["labels"] == 4
    assert alice["unsure_rate"] == {"value": 1 / 6, "units": 6, "reason": None, "excluded": 0}
    assert bob["unsure_rate"]["value"] == 0 and bob["unsure_rate"]["units"] == 8


def test_speed_from_the_seconds_field(result: dict) -> None:
    alice, bob, carol = row(result, "alice"), row(result, "bob"), row(result, "carol")
    assert alice["median_seconds_per_sentence"] == {"value": 4.0, "units": 5, "reason": None, "excluded": 0}
    assert alice["labels_per_hour"]["value"] == pytest.approx(5 * 3600 / 23)
    assert bob["median_seconds_per_sentence"]["value"] == 1.0 and bob["labels_per_hour"]["value"] == 3600
    assert carol["median_seconds_per_sentence"] == {"value": None, "units": 0,
                                                    "reason": "no labeled sentence records seconds", "excluded": 0}
    assert carol["labels_per_hour"]["value"] is None


def test_agreement_between_annotators_on_the_shared_sentences(result: dict) -> None:
    ab = row(result, "alice")["agreement"]["bob"]
    assert ab["sentences"] == 4
    assert ab["percent_agreement"]["value"] == 0.75
    assert ab["cohen_kappa"]["value"] == pytest.approx(2 / 3)  # p_o 3/4, p_e 4/16
    ac = row(result, "alice")["agreement"]["carol"]
    assert ac["sentences"] == 2 and ac["cohen_kappa"]["excluded"] == 2  # carol's two sentences alice left blank
    assert ac["percent_agreement"]["value"] == 0.5
    assert ac["cohen_kappa"]["value"] == pytest.approx(1 / 3)
    assert row(result, "bob")["agreement"]["alice"] == ab  # symmetric
    bc = row(result, "bob")["agreement"]["carol"]
    assert bc["sentences"] == 0 and bc["cohen_kappa"]["value"] is None and bc["cohen_kappa"]["reason"]


def test_accuracy_and_kappa_against_gold_with_counts(result: dict) -> None:
    alice, bob, carol = (row(result, n)["gold"] for n in ("alice", "bob", "carol"))
    assert alice["sentences"] == 4 and alice["accuracy"]["value"] == 1.0 and alice["cohen_kappa"]["value"] == 1.0
    assert bob["accuracy"]["value"] == 0.75 and bob["cohen_kappa"]["value"] == pytest.approx(2 / 3)
    assert carol["sentences"] == 0
    assert carol["accuracy"] == {"value": None, "units": 0, "excluded": 0,
                                 "reason": "no sentence labeled by both this annotator and gold"}


def test_last_activity_and_throughput_from_file_times_outside_git(result: dict) -> None:
    assert row(result, "alice")["last_activity"] == {"time": "2024-03-02T08:30:00Z", "source": "mtime",
                                                     "document": "d01"}
    assert result["throughput"]["alice"] == [{"date": "2024-03-01", "labels": 4, "documents": 1},
                                             {"date": "2024-03-02", "labels": 2, "documents": 1}]
    assert result["throughput"]["bob"] == [{"date": "2024-03-01", "labels": 4, "documents": 1},
                                           {"date": "2024-03-03", "labels": 4, "documents": 1}]
    assert result["reviewers"] == [{"reviewer": "rita", "in_team": True, "decided": 4, "documents": 1}]


def test_confusion_for_the_dashboard(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    tables = Tables.of(team_state(project))
    assert confusion_of(tables, "bob", GOLD, TRUTH) == {
        F: {F: 1, S: 1, Q: 0, OP: 0}, S: {F: 0, S: 0, Q: 0, OP: 0}, Q: {F: 0, S: 0, Q: 1, OP: 0},
        OP: {F: 0, S: 0, Q: 0, OP: 1}}
    assert confusion_of(tables, "carol", "alice", TRUTH)[OP][S] == 1  # either order
    assert confusion_of(tables, "bob", "carol") == {}


def test_someone_outside_the_team_is_listed_as_unassigned_work(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    label(project, "d03", "dave", TRUTH)
    figures = annotator_status(team_state(project, dated=True))
    dave = row(figures, "dave")
    assert dave["in_team"] is False and dave["assigned"] == 0 and dave["unassigned_documents"] == 1
    assert dave["labels"] == 4
    assert figures["documents"]["with_unassigned_work"] == 1


def test_the_text_table_shows_the_figures_with_their_counts(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    out = CliRunner().invoke(main, ["--root", str(project.root), "status", "--by", "annotator"])
    assert out.exit_code == 0, out.output
    lines = [x for x in out.stdout.splitlines() if "alice" in x]
    data = json.loads(CliRunner().invoke(main, ["--root", str(project.root), "status", "--by", "annotator",
                                                "--json"]).stdout)
    alice = row(data, "alice")
    cells = [c.strip() for c in lines[0].split("│")[2:8]]
    assert cells == [str(alice[k]) for k in ("assigned", "done", "in_progress", "not_started", "labels")] + [
        "16.7% (n=6)"]
    for cell in ("4.0 (n=5)", "783 (n=5)", "2024-03-02 08:30 mtime", "100.0% (n=4)"):
        assert cell in lines[1], (cell, lines[1])
    assert "0.67 (n=4)" in out.stdout and "75.0% (n=4)" in out.stdout  # alice x bob
    assert "rita 4 sentences in 1 documents" in out.stdout


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_in_git_a_clean_file_is_dated_by_its_last_commit_and_a_changed_one_by_its_mtime(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    git(project.root, "init", "-q")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "labels", date="2024-05-01T12:00:00+00:00")
    label(project, "d02", "bob", [Q, Q, Q, F])  # changed after the commit, not committed
    at(project.label_path("d02", "bob"), "2024-05-03T07:00:00")
    figures = annotator_status(team_state(project, dated=True))
    assert row(figures, "alice")["last_activity"]["source"] == "git"
    assert row(figures, "alice")["last_activity"]["time"] == "2024-05-01T12:00:00Z"  # not the mtime set above
    assert row(figures, "bob")["last_activity"] == {"time": "2024-05-03T07:00:00Z", "source": "mtime",
                                                    "document": "d02"}
    assert (project.root / ".annotate" / "cache" / "activity.json").is_file()
    again = annotator_status(team_state(project, dated=True))  # from the cache: the same
    assert again["annotators"] == figures["annotators"]


# --------------------------------------------------------------------------- the HTML report


class Page(HTMLParser):
    """Collects what the tests look at: tags, ids, figures, texts, attributes that point elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.charts: list[str] = []
        self.texts: list[str] = []
        self.refs: list[str] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "figure" and a.get("data-chart"):
            self.charts.append(a["data-chart"] or "")
        if tag == "svg":
            self.svgs += 1
        for key in ("src", "href", "xlink:href"):
            if a.get(key):
                self.refs.append(a[key] or "")

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append(data.strip())


def test_the_report_is_one_self_contained_page_with_every_chart_and_its_series(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["--root", str(project.root), "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    assert page.charts == ["progress", "label-mix", "agreement", "confusion-alice-gold", "confusion-bob-gold",
                           "confusion-alice-bob", "confusion-alice-carol", "throughput"]
    assert page.svgs == len(page.charts)
    for name in ("alice", "bob", "carol"):
        for series in ("done", "in_progress", "not_started", "unassigned_work"):
            assert f"progress--{series}--{name}" in page.ids
        assert f"throughput--labels--{name}" in page.ids
    for lab in TRUTH:
        assert f"label-mix--{lab}--alice" in page.ids
        assert lab in page.texts  # legends and heatmap axes keep their text
    assert "label-mix--speculation--bob" in page.ids  # a zero-width bar is still a series member
    # no script, no style sheet or font or image from anywhere: every reference stays inside the page
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert [ref for ref in page.refs if not ref.startswith("#")] == []
    assert "@import" not in text and "url(http" not in text
    assert len(page.ids) == len(set(page.ids))
    # the figures are on the page as numbers too
    assert "783 (n=5)" in text and "16.7% (n=6)" in text
    assert "wrote" in result.stderr and "8 charts" in result.stderr


def test_the_report_of_a_project_without_labels_says_so(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 2)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["--root", str(project.root), "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No label file yet: nothing to draw." in out.read_text(encoding="utf-8")


def test_report_needs_out_and_refuses_a_folder(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 1)
    for args, message in ((["report"], "--out: required"), (["report", "--out", str(tmp_path)], "is a folder")):
        result = CliRunner().invoke(main, ["--root", str(project.root), *args])
        assert result.exit_code == 2 and message in result.stderr


NO_HEAVY_IMPORTS = textwrap.dedent(
    """
    import sys
    from annotate.cli import main
    for args in (["assign"], ["assign", "--json"], ["status", "--by", "annotator"], ["assign", "--check"]):
        try:
            main(["--root", sys.argv[1], *args])
        except SystemExit as exc:
            assert exc.code in (0, 1, None), (args, exc.code)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "matplotlib"))
    print("LOADED:", loaded, file=sys.stderr)
    sys.exit(3 if loaded else 0)
    """
)


def test_team_commands_import_neither_textual_nor_matplotlib(tmp_path: Path) -> None:
    project = fixture_project(tmp_path / "p")
    proc = subprocess.run([sys.executable, "-c", NO_HEAVY_IMPORTS, str(project.root)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED: []" in proc.stderr


def test_every_file_is_read_as_the_one_reading_path_reads_it(tmp_path: Path) -> None:
    """Stale sources, merged units, a journal not folded, a broken file: the same figures as reading.document_labels."""
    from annotate.boundaries import make_change, record_change, units_path
    from annotate.reading import document_labels, progress_of
    from annotate.session import LabelSession

    project = fixture_project(tmp_path / "p")
    source = project.read_source(project.document("d00"))
    at2 = source.text.index("It may")  # merge sentences 1 and 2 of d00
    record_change(project.root, units_path(project.labels / "d00", "bob"), "d00", "bob",
                  make_change("merge", at2, source.text, source.sha256))
    seed = project.seeds / "d01.txt"
    seed.write_text("A new first sentence was added. " + seed.read_text(encoding="utf-8"), encoding="utf-8")
    session = LabelSession.open(project, project.document("d02"), "carol", project.tagset())
    session.change(0, label=F)  # first change: file written; the second waits in the journal
    session.change(1, label=S)
    os.close(session._journal_fd)  # type: ignore[arg-type]
    session._journal_fd = None
    session.lock.release()
    project.label_path("d03", "alice").parent.mkdir(parents=True, exist_ok=True)
    project.label_path("d03", "alice").write_text("version: 1\nsentences: [\n", encoding="utf-8")
    state = team_state(project)
    compared: set[tuple[str, str]] = set()
    for doc in project.documents():
        dl = document_labels(project, doc, skip_broken=True)
        files = dl.every_file()
        mine = state.documents[doc.id].files
        assert sorted(mine) == sorted([*files, *dl.errors]), doc.id
        for name, fw in mine.items():
            if name in dl.errors:
                assert fw.error == dl.errors[name]
                continue
            assert fw.progress == progress_of(files[name], name in dl.stale), (doc.id, name)
            labeled = [s for s in files[name].sentences if s.label]
            assert fw.label_counts == dict(Counter(s.label for s in labeled)), (doc.id, name)
            assert fw.seconds == [s.seconds for s in labeled if s.seconds is not None], (doc.id, name)
        spans = {n: {s.span: s.label for s in f.sentences if s.label} for n, f in files.items()}
        for (a, b), counts in state.work.pairs.get(doc.id, {}).items():
            table = {span: {a: spans[a].get(span), b: spans[b].get(span)} for span in {*spans[a], *spans[b]}}
            assert cohen_kappa(table, a, b) == counts.cohen() and percent_agreement(table, a, b) == counts.percent()
            compared.add((a, b))
    assert {("alice", "bob"), ("alice", GOLD)} <= compared
    assert state.documents["d00"].files["alice"].stale and state.documents["d00"].files["alice"].total == 3
    assert state.documents["d01"].files["alice"].stale
    assert state.documents["d02"].files["carol"].labeled == 2 and state.documents["d02"].files["carol"].pending
    assert (state.documents["d03"].files["alice"].error or "").startswith("labels/d03/alice.yaml:3:1: YAML syntax")
