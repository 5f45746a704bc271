"""The project file (annotate.yaml) and rendezvous assignment: exact counts, balance, stability, work that counts."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from team_project import TEAM, TRUTH, label, small_project

from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.models import ProjectFile, json_schemas
from annotate.team.assign import assigned_to, draw, plan, ranking, team_state
from annotate.team.projectfile import EXAMPLE, load_project_file, parse_project_file

REPO = Path(__file__).resolve().parent.parent


def team(names: list[str] | dict[str, float], k: int = 2, seed: int | str = 0) -> ProjectFile:
    """A project file naming ``names`` (with shares when a dict)."""
    members = [{"name": n, "share": w} for n, w in names.items()] if isinstance(names, dict) else names
    return ProjectFile.model_validate({"seed": seed, "annotators_per_document": k, "annotators": members})


def docs(n: int, prefix: str = "doc") -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(n)]


def loads(assignment: dict[str, list[str]]) -> Counter[str]:
    return Counter(a for names in assignment.values() for a in names)


def sd_binomial(n: int, p: float) -> float:
    return math.sqrt(n * p * (1 - p))


# --------------------------------------------------------------------------- the project file


def test_the_documented_example_parses() -> None:
    parsed = parse_project_file(EXAMPLE.encode(), "annotate.yaml")
    assert [m.name for m in parsed.members] == ["alice", "bob", "carol"]
    assert [m.share for m in parsed.members] == [1, 1, 0.5]
    assert parsed.annotators_per_document == 2 and parsed.reviewers == ["rita"]
    assert parsed.documents.exclude == ["drafts/*"]


def test_the_example_validates_against_the_committed_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "schemas" / "project.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(EXAMPLE), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"annotators": ["Alice"]}, schema)


def test_committed_project_schema_matches_the_model() -> None:
    committed = json.loads((REPO / "schemas" / "project.schema.json").read_text(encoding="utf-8"))
    assert json_schemas()["project.schema.json"] == committed, "schemas/project.schema.json is stale: annotate schemas"


BROKEN = [
    ("annotators:\n- alice\n- Bob\n", 3, "'Bob' is not an annotator name"),
    ("annotators:\n- alice\n- bob\n- alice\n", 4, "annotators[2]: alice is listed twice"),
    ("annotators:\n- gold\n", 2, "gold is reserved"),
    ("annotators: [alice]\nannotator_per_document: 2\n", 2, "annotator_per_document: unknown key"),
    ("annotators:\n- name: alice\n  share: -1\n", 3, "annotators[0].share: Input should be greater than or equal to 0"),
    ("annotators:\n- 3\n", 2, "annotators[0]: expected a name, or a mapping with name and share"),
    ("version: 2\nannotators: [alice]\n", 1, "version: project file version 2 is not one this tool reads"),
    ("annotators: [alice]\nannotators_per_document: 0\n", 2, "annotators_per_document: Input should be greater"),
    ("seed: 1\n", 1, "annotators: required key is missing"),
    ("annotators: [alice\n", 2, "YAML syntax error"),
    ("", 1, "the project file is empty"),
    ("- alice\n", 1, "a project file is a YAML mapping"),
    ("annotators: [alice]\nreviewers: [rita, rita]\n", 2, "reviewers[1]: rita is listed twice"),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_a_broken_project_file_is_one_line_with_file_and_line_and_exit_2(tmp_path: Path, text: str, line: int,
                                                                          message: str) -> None:
    project = small_project(tmp_path / "p", 2, text)
    before = (project.root / "annotate.yaml").read_bytes()
    for args in (["assign"], ["status", "--by", "annotator"], ["report", "--out", str(tmp_path / "r.html")],
                 ["label", "--annotator", "alice"]):
        result = CliRunner().invoke(main, ["--root", str(project.root), *args])
        assert result.exit_code == 2, (args, result.output)
        err = result.stderr.strip()
        assert err.count("\n") == 0 and "Traceback" not in err
        assert err.startswith(f"annotate: annotate.yaml:{line}:"), err
        assert message in err, err
    assert (project.root / "annotate.yaml").read_bytes() == before
    assert not (tmp_path / "r.html").exists()


def test_a_project_file_linking_outside_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("annotators: [alice]\n", encoding="utf-8")
    project = small_project(tmp_path / "p", 1)
    (project.root / "annotate.yaml").symlink_to(outside)
    with pytest.raises(AnnotateError, match="outside the project"):
        load_project_file(project)


def test_without_a_project_file_nothing_is_assigned_and_assign_says_why(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 3)
    assert load_project_file(project) is None
    state = team_state(project)
    assert all(d.assigned == [] and d.needed == 0 for d in state.documents.values())
    result = CliRunner().invoke(main, ["--root", str(project.root), "assign"])
    assert result.exit_code == 2
    assert "no project file: annotate.yaml is missing" in result.stderr


# --------------------------------------------------------------------------- the draw


def test_draw_is_sha256_of_seed_document_and_annotator_in_the_open_interval() -> None:
    import hashlib

    value = draw(7, "doc", "alice")
    digest = hashlib.sha256(b"7\x00doc\x00alice").digest()
    assert value == ((int.from_bytes(digest[:8], "big") >> 11) + 0.5) / 2**53
    assert 0 < value < 1
    assert draw("7", "doc", "alice") == value  # the seed as written: 7 and "7" are the same plan
    assert draw(8, "doc", "alice") != value


def test_the_plan_is_the_same_in_another_process() -> None:
    """No Python hash(): a fresh interpreter (another hash seed) computes the same plan."""
    import subprocess
    import sys

    code = ("from annotate.models import ProjectFile; from annotate.team.assign import plan; import json;"
            "t = ProjectFile.model_validate({'seed': 3, 'annotators_per_document': 2,"
            " 'annotators': ['a', 'b', 'c', 'd']});"
            "print(json.dumps(plan(t, [f'd{i}' for i in range(50)])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout
    here = plan(team(["a", "b", "c", "d"], 2, 3), [f"d{i}" for i in range(50)])
    assert json.loads(out) == here


names_st = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=8, unique=True)


@settings(max_examples=60, deadline=None)
@given(names=names_st, k=st.integers(1, 4), seed=st.integers(0, 10**6), n_docs=st.integers(0, 60))
def test_every_document_gets_exactly_the_requested_number_of_distinct_annotators(names: list[str], k: int,
                                                                                 seed: int, n_docs: int) -> None:
    assignment = plan(team(names, k, seed), docs(n_docs))
    assert len(assignment) == n_docs
    for chosen in assignment.values():
        assert len(chosen) == min(k, len(names))
        assert len(set(chosen)) == len(chosen) and set(chosen) <= set(names)


@settings(max_examples=40, deadline=None)
@given(names=names_st, k=st.integers(1, 3), seed=st.integers(0, 10**6), first=st.integers(0, 40),
       more=st.integers(1, 40))
def test_adding_documents_moves_no_existing_assignment(names: list[str], k: int, seed: int, first: int,
                                                      more: int) -> None:
    t = team(names, k, seed)
    before = plan(t, docs(first))
    after = plan(t, docs(first) + docs(more, "new"))
    assert {d: after[d] for d in before} == before


@settings(max_examples=40, deadline=None)
@given(names=names_st, k=st.integers(1, 3), seed=st.integers(0, 10**6), newcomer=st.sampled_from(["zed", "9x"]))
def test_adding_an_annotator_moves_documents_only_to_them_one_place_each(names: list[str], k: int, seed: int,
                                                                          newcomer: str) -> None:
    ds = docs(80)
    before = plan(team(names, k, seed), ds)
    after = plan(team([*names, newcomer], k, seed), ds)
    for d in ds:
        lost = set(before[d]) - set(after[d])
        gained = set(after[d]) - set(before[d])
        assert gained <= {newcomer}
        assert len(lost) <= 1 and len(lost) == (len(gained) if len(names) >= k else 0)


@settings(max_examples=40, deadline=None)
@given(names=names_st.filter(lambda n: len(n) >= 2), k=st.integers(1, 3), seed=st.integers(0, 10**6),
       data=st.data())
def test_removing_an_annotator_reassigns_only_their_documents(names: list[str], k: int, seed: int,
                                                             data: st.DataObject) -> None:
    gone = data.draw(st.sampled_from(names))
    ds = docs(80)
    before = plan(team(names, k, seed), ds)
    after = plan(team([n for n in names if n != gone], k, seed), ds)
    for d in ds:
        if gone not in before[d]:
            assert after[d] == before[d]
        else:
            assert set(before[d]) - {gone} <= set(after[d])


# Balance. With equal shares every annotator is in a document's top k with probability k/n,
# independently from document to document, so an annotator's load is Binomial(D, k/n). The
# tolerance is 5 standard deviations of that binomial: a fair draw falls outside it with
# probability below 6e-7 per annotator. The hash is fixed, so these tests are deterministic.
@pytest.mark.parametrize(("n_docs", "n_people", "k"), [(10_000, 10, 2), (3_000, 6, 3), (2_000, 4, 1)])
def test_loads_are_balanced_within_five_binomial_standard_deviations(n_docs: int, n_people: int, k: int) -> None:
    names = [f"ann{i}" for i in range(n_people)]
    counts = loads(plan(team(names, k, seed=2024), docs(n_docs)))
    p = k / n_people
    tolerance = 5 * sd_binomial(n_docs, p)
    for name in names:
        assert abs(counts[name] - n_docs * p) <= tolerance, (name, counts[name], n_docs * p, tolerance)
    # and for 10,000 documents that tolerance is 10% of the mean: 2,000 +- 200
    if n_docs == 10_000:
        assert tolerance == pytest.approx(200)


def test_adding_an_annotator_moves_about_k_over_n_plus_one_of_the_documents() -> None:
    names = [f"ann{i}" for i in range(9)]
    ds = docs(10_000)
    before = plan(team(names, 2, 1), ds)
    after = plan(team([*names, "new"], 2, 1), ds)
    moved = sum(1 for d in ds if before[d] != after[d])
    p = 2 / 10  # the newcomer's chance to be in a document's top 2
    assert abs(moved - 10_000 * p) <= 5 * sd_binomial(10_000, p)
    assert loads(after)["new"] == moved


def test_shares_are_proportions_with_one_annotator_per_document() -> None:
    shares = {"a": 1.0, "b": 2.0, "c": 1.0, "d": 0.5}
    counts = loads(plan(team(shares, 1, 5), docs(9_000)))
    total = sum(shares.values())
    for name, w in shares.items():
        p = w / total
        assert abs(counts[name] - 9_000 * p) <= 5 * sd_binomial(9_000, p), (name, counts[name])


def test_a_larger_share_draws_more_with_two_per_document_and_share_zero_draws_nothing() -> None:
    counts = loads(plan(team({"a": 2, "b": 1, "c": 1, "d": 1, "z": 0}, 2, 5), docs(4_000)))
    assert counts["z"] == 0
    assert counts["a"] > 1.4 * max(counts["b"], counts["c"], counts["d"])
    assert sum(counts.values()) == 8_000


def test_patterns_select_the_documents_of_the_plan() -> None:
    t = ProjectFile.model_validate({"annotators": ["a", "b"], "documents": {"include": ["news/*"],
                                                                            "exclude": ["news/draft-*"]}})
    assert sorted(plan(t, ["news/one", "news/draft-2", "blog/x"])) == ["news/one"]


PATTERN_TEXT = st.text(alphabet="ab/-*?[]!.", max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERN_TEXT, min_size=1, max_size=3), st.lists(PATTERN_TEXT, max_size=3),
       st.lists(st.text(alphabet="ab/-.", max_size=6), min_size=1, max_size=8))
def test_the_compiled_scope_selects_what_fnmatchcase_selects(include: list[str], exclude: list[str],
                                                             ids: list[str]) -> None:
    """The scope, compiled once for 10,000 documents, agrees with the patterns matched one by one."""
    from fnmatch import fnmatchcase

    from annotate.team.assign import in_scope, scope_of

    t = ProjectFile.model_validate({"annotators": ["a"], "documents": {"include": include, "exclude": exclude}})
    scope = scope_of(t)
    for doc_id in ids:
        expected = any(fnmatchcase(doc_id, p) for p in include) and not any(fnmatchcase(doc_id, p) for p in exclude)
        assert scope(doc_id) == in_scope(t, doc_id) == expected, (doc_id, include, exclude)


# --------------------------------------------------------------------------- work done counts


def test_a_team_member_who_labeled_a_document_keeps_it_and_the_draw_fills_the_rest() -> None:
    t = team(["a", "b", "c", "d"], 2, 0)
    order = ranking(t, "doc")
    outsider_of_plan = order[-1]
    assert assigned_to(t, "doc", []) == order[:2]
    got = assigned_to(t, "doc", [outsider_of_plan])
    assert got == [order[0], outsider_of_plan] or got == [outsider_of_plan, order[0]]
    assert set(assigned_to(t, "doc", order[1:])) == set(order[1:])  # three worked on it: all three keep it
    assert assigned_to(t, "doc", ["stranger"]) == order[:2]  # not in the team: does not count


def test_labels_by_someone_outside_the_team_are_unassigned_work_and_counted_as_more(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 4, TEAM)
    label(project, "d01", "dave", TRUTH)
    state = team_state(project)
    d = state.documents["d01"]
    assert d.unassigned == ["dave"] and "dave" not in d.assigned and len(d.assigned) == 2
    assert [(p.document, kind) for p, kind in state.coverage_problems()] == [("d01", "more")]
    result = CliRunner().invoke(main, ["--root", str(project.root), "assign", "--check"])
    assert result.exit_code == 1
    assert result.stdout.startswith("d01: more annotators than needed: needs 2, has ")
    assert "dave (not assigned)" in result.stdout


def test_removing_an_annotator_keeps_the_others_work_where_it_is(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 6, TEAM)
    before = team_state(project)
    worked = {d: s.assigned[1] for d, s in before.documents.items()}
    for d, who in worked.items():
        label(project, d, who, TRUTH[:2])
    (project.root / "annotate.yaml").write_text(TEAM.replace("- carol\n", ""), encoding="utf-8")
    after = team_state(project)
    for d, who in worked.items():
        if who != "carol":
            assert who in after.documents[d].assigned
        else:
            assert after.documents[d].unassigned == ["carol"]
        assert len(after.documents[d].assigned) == 2


def test_a_label_file_without_a_label_is_not_work(tmp_path: Path) -> None:
    from annotate.session import LabelSession

    project = small_project(tmp_path / "p", 1, TEAM)
    state = team_state(project)
    outsider = next(a for a in ("alice", "bob", "carol") if a not in state.documents["d00"].assigned)
    session = LabelSession.open(project, project.document("d00"), outsider, project.tagset())
    session.change(0, label="fact")
    session.change(0, label=None)
    session.close()
    assert session.path.exists()
    again = team_state(project)
    assert again.documents["d00"].assigned == state.documents["d00"].assigned
    assert again.coverage_problems() == []


def test_fewer_annotators_than_needed_is_reported_not_refused(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p", 2, "annotators_per_document: 3\nannotators: [alice, bob]\n")
    result = CliRunner().invoke(main, ["--root", str(project.root), "assign", "--check", "--json"])
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert [(r["document"], r["problem"], r["needed"], sorted(r["assigned"])) for r in rows] == [
        ("d00", "fewer", 3, ["alice", "bob"]), ("d01", "fewer", 3, ["alice", "bob"])]
