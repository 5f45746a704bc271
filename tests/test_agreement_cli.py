"""``annotate agreement`` and ``annotate status`` on real label files, checked against figures computed here.

The figures are recomputed in this file from the label lists with the textbook formulas (not with
``annotate.agreement``), and hard-coded to three decimals as a second check.
"""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SEED_ID

from annotate.cli import main
from annotate.models import GOLD, Sentence, Tagset
from annotate.reading import load_current
from annotate.session import LabelSession
from annotate.store import Project, save_label_file

DOC = SEED_ID
F, S, Q, OP = "fact", "speculation", "quote", "opinion"
Labels = list[str | None]

# Hand-chosen labels for the 25 sentences of the sample article. They disagree on sentences
# 6, 8, 11 and 19 (indices 5, 7, 10, 18); bob left 24 unlabeled, both left 25 unlabeled;
# alice flagged 9 (index 8) unsure.
ALICE: Labels = [F, S, F, Q, F, S, Q, F, S, F, Q, F, F, F, F, Q, OP, Q, F, F, F, F, Q, S, None]
BOB: Labels = [F, S, F, Q, F, F, Q, OP, S, F, OP, F, F, F, F, Q, OP, Q, S, F, F, F, Q, None, None]
CAROL: Labels = [F, F, F, Q, None, S, Q, F, S, F, Q, OP, F, None, F, Q, OP, Q, F, S, F, F, Q, S, S]
ALICE_UNSURE = (8,)

SECOND_DOC = "talks-end"
SECOND_TEXT = "The talks ended on Friday.\n\nBoth sides may meet again in March.\n\nThat would be a mistake.\n"
ALICE_2: Labels = [F, S, OP]
BOB_2: Labels = [F, S, F]

SENTIMENT_YAML = """\
name: sentiment
version: 1
description: Tone of a sentence.
labels:
- name: pos
  key: p
  color: green
  definition: Positive tone.
- name: neg
  key: x
  color: red
  definition: Negative tone.
- name: neu
  key: e
  color: white
  definition: Neither positive nor negative.
"""
P, N, U = "pos", "neg", "neu"


# independent computations ---------------------------------------------------------------------------


def both_labeled(a: Labels, b: Labels) -> list[tuple[str, str]]:
    """The (a, b) label pairs of the sentences both labeled."""
    return [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]


def by_hand_cohen(a: Labels, b: Labels) -> tuple[float, float, int]:
    """Cohen's kappa, percent agreement and the number of units, from p_o and p_e."""
    pairs = both_labeled(a, b)
    n = len(pairs)
    p_o = Fraction(sum(1 for x, y in pairs if x == y), n)
    cats = {c for pair in pairs for c in pair}
    p_e = sum((Fraction(sum(1 for x, _ in pairs if x == c), n) * Fraction(sum(1 for _, y in pairs if y == c), n)
               for c in cats), Fraction(0))
    return float((p_o - p_e) / (1 - p_e)), float(p_o), n


def by_hand_alpha(*coders: Labels) -> tuple[float, int]:
    """Krippendorff's nominal alpha from the coincidence matrix, and the number of pairable units.

    o_ck = sum over units u of (number of c-k pairs of values in u) / (m_u - 1), over ordered pairs
    of different coders; n_c = sum_k o_ck; n = sum_c n_c;
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k.
    With two coders every pairable unit adds 1 to o_ab and 1 to o_ba.
    """
    o: Counter[tuple[str, str]] = Counter()
    pairable = 0
    for values in zip(*coders, strict=True):
        given = [v for v in values if v is not None]
        m = len(given)
        if m < 2:
            continue
        pairable += 1
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            o[given[i], given[j]] += Fraction(1, m - 1)
    cats = sorted({c for pair in o for c in pair})
    n_c = {c: sum(o[c, k] for k in cats) for c in cats}
    n = sum(n_c.values())
    d_o = sum(o[c, k] for c in cats for k in cats if c != k)
    d_e = sum(n_c[c] * n_c[k] for c in cats for k in cats if c != k)
    return float(1 - (n - 1) * Fraction(d_o) / d_e), pairable


def by_hand_fleiss(*coders: Labels) -> tuple[float, int]:
    """Fleiss' kappa over the units every coder labeled: (mean P_i - P_e) / (1 - P_e)."""
    rows = [values for values in zip(*coders, strict=True) if None not in values]
    r, n = len(coders), len(rows)
    cats = sorted({v for row in rows for v in row})
    p_i = [Fraction(sum(row.count(c) ** 2 for c in cats) - r, r * (r - 1)) for row in rows]
    p_j = {c: Fraction(sum(row.count(c) for row in rows), n * r) for c in cats}
    p_bar = sum(p_i, Fraction(0)) / n
    p_e = sum((p * p for p in p_j.values()), Fraction(0))
    return float((p_bar - p_e) / (1 - p_e)), n


def recode(labels: Labels, label: str) -> Labels:
    """The binary recoding "this label / any other" (missing stays missing)."""
    return [None if v is None else ("this" if v == label else "other") for v in labels]


# the project ----------------------------------------------------------------------------------------


def write_labels(project: Project, doc_id: str, name: str, labels: Labels, tagset: Tagset,
                 unsure: tuple[int, ...] = ()) -> None:
    """Label a document as ``name`` through a LabelSession (the way the screen does)."""
    session = LabelSession.open(project, project.document(doc_id), name, tagset)
    try:
        assert len(session.sentences) == len(labels), [s.text for s in session.sentences]
        for i, label in enumerate(labels):
            if label is not None:
                session.change(i, label=label)
        for i in unsure:
            session.change(i, unsure=True)
    finally:
        session.close()


def agreement(project: Project, *args: str) -> Result:
    """Run ``annotate --root P agreement ARGS``."""
    return CliRunner().invoke(main, ["--root", str(project.root), "agreement", *args])


def agreement_json(project: Project, *args: str) -> dict[str, Any]:
    result = agreement(project, "--json", *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def one_line_error(result: Result) -> str:
    """Exit code 2, nothing on stdout, one line on stderr; returns that line."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def pair(project: Project, tagset: Tagset) -> Project:
    """The sample article labeled by alice and bob."""
    write_labels(project, DOC, "alice", ALICE, tagset, unsure=ALICE_UNSURE)
    write_labels(project, DOC, "bob", BOB, tagset)
    return project


@pytest.fixture
def trio(pair: Project, tagset: Tagset) -> Project:
    """The sample article labeled by alice, bob and carol."""
    write_labels(pair, DOC, "carol", CAROL, tagset)
    return pair


def test_fixture_labels_are_what_the_files_hold(pair: Project) -> None:
    for name, want in (("alice", ALICE), ("bob", BOB)):
        lf = load_current(pair.label_path(DOC, name))
        assert [s.label for s in lf.sentences] == want
    assert [i for i, s in enumerate(load_current(pair.label_path(DOC, "alice")).sentences) if s.unsure] == [8]


# two annotators: every key, every figure ---------------------------------------------------------------


def test_json_has_every_key_with_counts(pair: Project) -> None:
    r = agreement_json(pair)
    for key in ("annotators", "labels", "units", "krippendorff_alpha", "fleiss_kappa", "pairs", "per_label",
                "per_document", "boundary_disagreements", "documents"):
        assert key in r, key
    assert r["annotators"] == ["alice", "bob"]
    assert r["labels"] == [F, S, Q, OP]
    assert r["documents"] == [DOC]
    assert r["units"] == {"total": 25, "pairable": 23, "labeled_by_all": 23, "labeled_by_one": 1, "unlabeled": 1}
    for figure in (r["krippendorff_alpha"], r["fleiss_kappa"]):
        assert set(figure) == {"value", "units", "reason", "excluded"}
        assert figure["units"] == 23 and figure["excluded"] == 1 and figure["reason"] is None
    (p,) = r["pairs"]
    assert set(p) >= {"a", "b", "cohen_kappa", "percent_agreement", "units", "confusion"}
    assert (p["a"], p["b"], p["units"]) == ("alice", "bob", 23)
    assert set(r["per_label"]) == {F, S, Q, OP}
    assert set(r["per_document"]) == {DOC}
    assert r["boundary_disagreements"] == []


def test_figures_match_an_independent_computation(pair: Project) -> None:
    r = agreement_json(pair)
    kappa, percent, n = by_hand_cohen(ALICE, BOB)
    alpha, pairable = by_hand_alpha(ALICE, BOB)
    fleiss, complete = by_hand_fleiss(ALICE, BOB)
    assert (n, pairable, complete) == (23, 23, 23)
    (p,) = r["pairs"]
    assert p["cohen_kappa"]["value"] == pytest.approx(kappa, abs=1e-12)
    assert p["percent_agreement"]["value"] == pytest.approx(percent, abs=1e-12)
    assert r["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12)
    assert r["fleiss_kappa"]["value"] == pytest.approx(fleiss, abs=1e-12)
    # the same numbers, written down
    assert round(kappa, 3) == 0.722 and round(p["cohen_kappa"]["value"], 3) == 0.722
    assert round(percent, 3) == 0.826 and round(p["percent_agreement"]["value"], 3) == 0.826
    assert round(alpha, 3) == 0.727 and round(r["krippendorff_alpha"]["value"], 3) == 0.727
    assert round(fleiss, 3) == 0.721 and round(r["fleiss_kappa"]["value"], 3) == 0.721
    assert p["cohen_kappa"]["excluded"] == p["percent_agreement"]["excluded"] == 1


def test_confusion_per_label_and_per_document(pair: Project) -> None:
    r = agreement_json(pair)
    (p,) = r["pairs"]
    cells = Counter(both_labeled(ALICE, BOB))
    assert p["confusion"] == {a: {b: cells[a, b] for b in (F, S, Q, OP)} for a in (F, S, Q, OP)}
    assert p["confusion"][F][F] == 11 and p["confusion"][S][F] == 1 and p["confusion"][Q][OP] == 1
    want = {F: 0.743, S: 0.625, Q: 0.883, OP: 0.464}
    for label, stats in r["per_label"].items():
        counts = {"alice": ALICE.count(label), "bob": BOB.count(label)}
        assert stats["counts"] == counts
        assert stats["total"] == sum(counts.values())
        alpha, pairable = by_hand_alpha(recode(ALICE, label), recode(BOB, label))
        assert stats["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12)
        assert stats["krippendorff_alpha"]["units"] == pairable == 23
        assert round(alpha, 3) == want[label]
    doc = r["per_document"][DOC]
    assert doc["units"] == r["units"]
    assert doc["krippendorff_alpha"] == r["krippendorff_alpha"]


def test_plain_output_has_the_tables_and_formatted_figures(pair: Project) -> None:
    result = agreement(pair)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in ("Agreement", "Krippendorff's alpha (nominal)", "Fleiss' kappa", "pairs (Cohen's kappa",
                    "confusion: alice (rows) × bob (columns)", "per label", "per document",
                    "boundary disagreements (spans not shared by every annotator): 0"):
        assert heading in out, heading
    for figure in ("0.727 (n=23)", "0.721 (n=23)", "0.722 (n=23)", "82.6%", "0.743 (n=23)", "0.464 (n=23)"):
        assert figure in out, figure
    assert "25 sentences, 23 pairable" in out
    assert "1 labeled by one only" in out and "1 unlabeled" in out


# choosing annotators ---------------------------------------------------------------------------------


def test_three_annotators_and_annotators_option(trio: Project) -> None:
    r = agreement_json(trio)
    assert r["annotators"] == ["alice", "bob", "carol"]
    assert [(p["a"], p["b"]) for p in r["pairs"]] == [("alice", "bob"), ("alice", "carol"), ("bob", "carol")]
    alpha, pairable = by_hand_alpha(ALICE, BOB, CAROL)
    assert r["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12)
    assert r["krippendorff_alpha"]["units"] == pairable == 24
    fleiss, complete = by_hand_fleiss(ALICE, BOB, CAROL)
    assert r["fleiss_kappa"]["value"] == pytest.approx(fleiss, abs=1e-12)
    assert r["fleiss_kappa"]["units"] == complete == 21
    assert r["fleiss_kappa"]["excluded"] == 4  # 5, 14, 24: two of three; 25: carol only
    assert r["units"] == {"total": 25, "pairable": 24, "labeled_by_all": 21, "labeled_by_one": 1, "unlabeled": 0}
    for p, (a, b) in zip(r["pairs"], ((ALICE, BOB), (ALICE, CAROL), (BOB, CAROL)), strict=True):
        kappa, percent, n = by_hand_cohen(a, b)
        assert p["cohen_kappa"]["value"] == pytest.approx(kappa, abs=1e-12)
        assert p["percent_agreement"]["value"] == pytest.approx(percent, abs=1e-12)
        assert p["units"] == n
    assert round(alpha, 3) == 0.692 and round(fleiss, 3) == 0.661
    chosen = agreement_json(trio, "--annotators", "alice,bob")
    two = agreement_json(trio, "--annotators", "alice, bob")
    assert chosen["annotators"] == two["annotators"] == ["alice", "bob"]
    assert len(chosen["pairs"]) == 1
    assert round(chosen["krippendorff_alpha"]["value"], 3) == 0.727
    other = agreement_json(trio, "--annotators", "bob,carol")
    kappa, _, _ = by_hand_cohen(BOB, CAROL)
    assert other["pairs"][0]["cohen_kappa"]["value"] == pytest.approx(kappa, abs=1e-12)
    assert set(other["per_label"][F]["counts"]) == {"bob", "carol"}


def test_gold_is_never_counted_as_an_annotator(pair: Project, tagset: Tagset) -> None:
    before = agreement_json(pair)
    write_labels(pair, DOC, GOLD, [OP] * 25, tagset)
    after = agreement_json(pair)
    assert after["annotators"] == ["alice", "bob"]
    assert after == before
    assert GOLD not in agreement(pair).stdout


@pytest.mark.parametrize(("names", "word"), [("alice,zed", "zed"), ("gold", "gold"), ("alice,gold", "gold"),
                                             ("Alice", "Alice")])
def test_unknown_or_reserved_annotator_is_one_line_exit_2(pair: Project, names: str, word: str) -> None:
    for args in (("--annotators", names), ("--json", "--annotators", names)):
        line = one_line_error(agreement(pair, *args))
        assert line.startswith("annotate: ") and word in line and "Traceback" not in line


def test_document_argument_restricts(pair: Project, tagset: Tagset) -> None:
    (pair.seeds / f"{SECOND_DOC}.txt").write_text(SECOND_TEXT, encoding="utf-8")
    write_labels(pair, SECOND_DOC, "alice", ALICE_2, tagset)
    write_labels(pair, SECOND_DOC, "bob", BOB_2, tagset)
    both = agreement_json(pair)
    assert both["documents"] == [DOC, SECOND_DOC]
    assert set(both["per_document"]) == {DOC, SECOND_DOC}
    assert both["units"]["total"] == 28 and both["units"]["pairable"] == 26
    alpha, n = by_hand_alpha(ALICE + ALICE_2, BOB + BOB_2)
    assert both["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12) and n == 26
    second_alpha, _ = by_hand_alpha(ALICE_2, BOB_2)
    assert both["per_document"][SECOND_DOC]["krippendorff_alpha"]["value"] == pytest.approx(second_alpha)
    one = agreement_json(pair, DOC)
    assert one["documents"] == [DOC] and set(one["per_document"]) == {DOC}
    assert round(one["krippendorff_alpha"]["value"], 3) == 0.727
    other = agreement_json(pair, SECOND_DOC)
    assert other["units"]["total"] == 3
    assert other["krippendorff_alpha"]["value"] == pytest.approx(second_alpha)
    assert one_line_error(agreement(pair, "no-such-doc")).startswith("annotate: ")


# boundaries and thin data -------------------------------------------------------------------------------


def test_boundary_disagreement_is_reported_and_counted(pair: Project) -> None:
    """bob's file merges sentences 8 and 9 into one span: three spans are not shared."""
    path = pair.label_path(DOC, "bob")
    lf = load_current(path)
    text = pair.document(DOC).path.read_text(encoding="utf-8")
    first, second = lf.sentences[7], lf.sentences[8]
    merged = Sentence(start=first.start, end=second.end, text=text[first.start:second.end], label=OP)
    lf.sentences[7:9] = [merged]
    save_label_file(path, lf)
    assert len(load_current(path).sentences) == 24

    r = agreement_json(pair)
    b = r["boundary_disagreements"]
    assert len(b) == 3
    spans = {(item["start"], item["end"]): item for item in b}
    assert set(spans) == {first.span, second.span, merged.span}
    assert spans[first.span]["annotators"] == ["alice"] and spans[first.span]["missing"] == ["bob"]
    assert spans[merged.span]["annotators"] == ["bob"] and spans[merged.span]["missing"] == ["alice"]
    assert spans[merged.span]["text"] == merged.text
    assert all(item["document"] == DOC for item in b)
    # the three spans are labeled by one annotator each: counted, never merged into a pair
    assert r["units"] == {"total": 26, "pairable": 21, "labeled_by_all": 21, "labeled_by_one": 4, "unlabeled": 1}
    a_cut = ALICE[:7] + ALICE[9:]
    b_cut = BOB[:7] + BOB[9:]
    alpha, n = by_hand_alpha(a_cut, b_cut)
    assert r["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12) and n == 21
    assert r["krippendorff_alpha"]["excluded"] == 4
    out = agreement(pair).stdout
    assert "boundary disagreements (spans not shared by every annotator): 3" in out
    assert f"{merged.start}-{merged.end}: only bob" in out


def test_one_annotator_gives_null_figures_with_reasons(project: Project, tagset: Tagset) -> None:
    write_labels(project, DOC, "alice", ALICE, tagset)
    r = agreement_json(project)
    assert r["annotators"] == ["alice"]
    for figure in (r["krippendorff_alpha"], r["fleiss_kappa"]):
        assert figure["value"] is None
        assert figure["reason"] == "only one annotator"
    assert r["pairs"] == []
    assert r["units"]["labeled_by_one"] == 24 and r["units"]["pairable"] == 0
    result = agreement(project)
    assert result.exit_code == 0
    assert "n/a (n=0): only one annotator" in result.stdout


def test_no_label_files_gives_null_figures(project: Project) -> None:
    r = agreement_json(project)
    assert r["annotators"] == []
    assert r["krippendorff_alpha"]["value"] is None and r["krippendorff_alpha"]["reason"] == "no annotators"
    assert r["units"]["total"] == 0
    assert agreement(project).exit_code == 0


# status ---------------------------------------------------------------------------------------------------


def status_json(project: Project) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["--root", str(project.root), "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_counts_agreed_disagreed_adjudicated(pair: Project) -> None:
    agreed = sum(1 for a, b in both_labeled(ALICE, BOB) if a == b)
    disagreed = sum(1 for a, b in both_labeled(ALICE, BOB) if a != b)
    assert (agreed, disagreed) == (19, 4)
    rows = status_json(pair)
    assert [r["annotator"] for r in rows] == ["alice", "bob"]
    for r in rows:
        assert (r["agreed"], r["disagreed"], r["adjudicated"]) == (19, 4, 0)
    assert rows[0]["labeled"] == 24 and rows[0]["unsure"] == 1 and rows[1]["labeled"] == 23

    # two gold decisions by a reviewer
    session = LabelSession.open(pair, pair.document(DOC), GOLD, pair.tagset())
    session.change(5, label=F, reviewer="carl", annotator_labels={"alice": S, "bob": F})
    session.change(7, label=OP, reviewer="carl", annotator_labels={"alice": F, "bob": OP})
    session.close()
    rows = status_json(pair)
    assert [r["annotator"] for r in rows] == ["alice", "bob", GOLD]
    for r in rows:
        assert (r["agreed"], r["disagreed"], r["adjudicated"]) == (19, 4, 2)
    result = CliRunner().invoke(main, ["--root", str(pair.root), "status"])
    assert result.exit_code == 0
    assert "adjudicated" in result.stdout and "disagreed" in result.stdout


def test_status_with_one_annotator_agrees_on_nothing(project: Project, tagset: Tagset) -> None:
    write_labels(project, DOC, "alice", ALICE, tagset)
    (row,) = status_json(project)
    assert (row["agreed"], row["disagreed"], row["adjudicated"]) == (0, 0, 0)


# a tagset of the project's own ---------------------------------------------------------------------------


def test_a_tagset_of_its_own(project: Project) -> None:
    (project.schemas / "sentiment.yaml").write_text(SENTIMENT_YAML, encoding="utf-8")
    sentiment = project.tagset("sentiment")
    (project.seeds / f"{SECOND_DOC}.txt").write_text(SECOND_TEXT, encoding="utf-8")
    ann = [P, U, N]
    ben = [P, N, N]
    cal = [P, U, None]
    for name, labels in (("ann", ann), ("ben", ben), ("cal", cal)):
        write_labels(project, SECOND_DOC, name, labels, sentiment)
        assert load_current(project.label_path(SECOND_DOC, name)).scheme == "sentiment"
    r = agreement_json(project)
    assert r["labels"] == [P, N, U]
    assert set(r["per_label"]) == {P, N, U}
    assert r["per_label"][N]["counts"] == {"ann": 1, "ben": 2, "cal": 0}
    alpha, n = by_hand_alpha(ann, ben, cal)
    assert r["krippendorff_alpha"]["value"] == pytest.approx(alpha, abs=1e-12) and n == 3
    assert round(alpha, 3) == 0.667
    kappa, percent, _ = by_hand_cohen(ann, ben)
    assert r["pairs"][0]["cohen_kappa"]["value"] == pytest.approx(kappa, abs=1e-12)
    assert r["pairs"][0]["percent_agreement"]["value"] == pytest.approx(percent)
    assert r["pairs"][0]["confusion"] == {P: {P: 1, N: 0, U: 0}, N: {P: 0, N: 1, U: 0}, U: {P: 0, N: 1, U: 0}}
    out = agreement(project).stdout
    assert "pos" in out and "neu" in out and "confusion: ann (rows)" in out
    rows = status_json(project)
    assert {r["annotator"] for r in rows} == {"ann", "ben", "cal"}
    assert (rows[0]["agreed"], rows[0]["disagreed"]) == (1, 1)  # sentence 3: ann/ben neg, cal none → missing


def set_scheme(project: Project, name: str, scheme: str) -> None:
    """Edit the scheme of a label file by hand (and drop the parse cache beside it)."""
    path = project.label_path(DOC, name)
    path.write_text(path.read_text(encoding="utf-8").replace("scheme: claim-types", f"scheme: {scheme}"),
                    encoding="utf-8")
    for f in path.parent.glob(f".{name}.*"):
        f.unlink()


def test_one_line_error_for_a_label_file_of_an_unknown_tagset(pair: Project) -> None:
    set_scheme(pair, "bob", "nowhere")
    line = one_line_error(agreement(pair, "--annotators", "bob"))
    assert "nowhere" in line and "tagset" in line


def test_files_of_different_tagsets_are_not_compared_silently(pair: Project) -> None:
    (pair.schemas / "sentiment.yaml").write_text(SENTIMENT_YAML, encoding="utf-8")
    set_scheme(pair, "bob", "sentiment")
    line = one_line_error(agreement(pair, "--json"))
    assert "sentiment" in line and "claim-types" in line


# suggestions: how often labels equal the suggestion, seen vs blind ------------------------------------


def test_suggestion_bias_seen_against_blind(project: Project, tagset: Tagset) -> None:
    from annotate.suggest import RulesSuggester, Suggestion, write_suggestions

    (project.seeds / f"{SECOND_DOC}.txt").write_text(SECOND_TEXT, encoding="utf-8")
    shown = [F, S, S]  # alice labeled with these suggestions on screen (annotate label --suggest)
    session = LabelSession.open(project, project.document(SECOND_DOC), "alice", tagset)
    try:
        for i, label in enumerate(ALICE_2):
            session.change(i, also={"suggested": shown[i]}, label=label)
    finally:
        session.close()
    write_labels(project, SECOND_DOC, "bob", BOB_2, tagset)  # blind
    texts = [s.text for s in load_current(project.label_path(SECOND_DOC, "bob")).sentences]
    rules = RulesSuggester(tagset)
    would = [rules.suggest(t, texts[i - 1] if i else None, texts[i + 1] if i + 1 < len(texts) else None).label
             for i, t in enumerate(texts)]
    blind_equal = sum(b == w for b, w in zip(BOB_2, would, strict=True))

    bias = agreement_json(project)["suggestions"]
    assert bias["alice"]["seen"] == {"units": 3, "equal": 2, "rate": pytest.approx(2 / 3), "reason": None}
    assert bias["alice"]["unseen"]["units"] == 0 and bias["alice"]["unseen"]["rate"] is None
    assert bias["alice"]["unseen"]["reason"]
    # without a suggestions file, blind labels are compared with the cue rules (what --suggest shows)
    assert bias["bob"]["unseen"] == {"units": 3, "equal": blind_equal, "rate": pytest.approx(blind_equal / 3),
                                     "reason": None}
    assert bias["bob"]["seen"]["rate"] is None and "no label" in bias["bob"]["seen"]["reason"]
    plain = agreement(project)
    assert plain.exit_code == 0
    assert "labels equal to the suggestion" in plain.stdout and "66.7% of 3" in plain.stdout

    # with a suggestions file, blind labels are compared with it instead
    spans = [s.span for s in load_current(project.label_path(SECOND_DOC, "bob")).sentences]
    agent = Suggestion(OP, 0.9, None, "test 1")
    write_suggestions(project, SECOND_DOC, [(s, e, agent) for s, e in spans],
                      type("Fixed", (), {"agent": "test 1", "scheme": "claim-types"})())
    bias = agreement_json(project)["suggestions"]
    assert bias["bob"]["unseen"]["units"] == 3 and bias["bob"]["unseen"]["equal"] == BOB_2.count(OP) == 0
    assert bias["alice"]["seen"]["equal"] == 2  # what alice saw is what her file records, not the new file


def test_no_suggestion_seen_means_no_bias_table(pair: Project) -> None:
    result = agreement(pair)
    assert result.exit_code == 0 and "labels equal to the suggestion" not in result.stdout
    assert all(v["seen"]["units"] == 0 for v in agreement_json(pair)["suggestions"].values())


# a source edited after labeling ------------------------------------------------------------------------


def test_agreement_and_status_follow_an_edited_source(pair: Project, tagset: Tagset) -> None:
    before = agreement_json(pair)
    src = pair.seeds / f"{DOC}.txt"
    src.write_text("A new first sentence.\n\n" + src.read_text(encoding="utf-8"), encoding="utf-8")
    LabelSession.open(pair, pair.document(DOC), "alice", tagset).close()  # alice reopens: re-anchored; bob is stale
    bob_file = pair.label_path(DOC, "bob").read_bytes()
    after = agreement_json(pair)
    # the same sentences are compared, moved by the new first sentence: every figure is unchanged
    assert after["boundary_disagreements"] == []
    assert after["krippendorff_alpha"] == before["krippendorff_alpha"]
    assert after["pairs"][0]["units"] == before["pairs"][0]["units"]
    assert after["units"]["total"] == before["units"]["total"] + 1  # the new sentence, unlabeled
    assert pair.label_path(DOC, "bob").read_bytes() == bob_file  # re-anchored in memory only
    result = CliRunner().invoke(main, ["--root", str(pair.root), "status", "--json"])
    rows = {r["annotator"]: r for r in json.loads(result.stdout)}
    assert rows["bob"]["stale"] is True and rows["alice"]["stale"] is False
    assert rows["bob"]["total"] == rows["alice"]["total"] == len(ALICE) + 1
    assert rows["bob"]["labeled"] == sum(x is not None for x in BOB)
    plain = CliRunner().invoke(main, ["--root", str(pair.root), "status"])
    assert plain.exit_code == 0 and "source changed" in plain.stdout and f"{DOC}/bob" in plain.stdout


def test_json_written_document_by_document_is_the_same_text(project: Project) -> None:
    """``agreement --json`` writes per-document figures one at a time: the text equals json.dumps of the whole."""
    import json as _json

    from annotate.agreement import AgreementCounts, DocumentFigures, write_json

    counts = AgreementCounts()
    for doc, labels in [("a", {"x": "fact", "y": "fact"}), ("a", {"x": "quote", "y": "fact"}),
                        ("b/c", {"x": "opinion", "y": None}), ("é", {"x": "fact", "y": "fact"})]:
        counts.add(doc, labels)
    lazy = counts.report(["fact", "quote"], [{"document": "a", "start": 0, "end": 1}], lazy_documents=True)
    assert isinstance(lazy["per_document"], DocumentFigures)
    pieces: list[str] = []
    write_json(lazy, pieces.append)
    whole = {**lazy, "per_document": dict(lazy["per_document"].items())}
    assert "".join(pieces) == _json.dumps(whole, ensure_ascii=False, indent=1)
    empty = AgreementCounts(["x", "y"]).report(lazy_documents=True)
    pieces = []
    write_json(empty, pieces.append)
    assert "".join(pieces) == _json.dumps({**empty, "per_document": {}}, ensure_ascii=False, indent=1)
