"""Tests of annotate.agreement: published worked examples, cross-checks, null cases, properties."""

from __future__ import annotations

import json
import math
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.agreement import (
    LABEL_UNUSED,
    NO_ANNOTATORS,
    NO_VARIATION,
    NONE_SHARED,
    ONE_ANNOTATOR,
    TOO_FEW_COMPLETE,
    TOO_FEW_PAIRABLE,
    TOO_FEW_SHARED,
    Figure,
    annotators_of,
    cohen_kappa,
    confusion,
    document_of,
    fleiss_kappa,
    krippendorff_alpha,
    majority,
    per_label,
    percent_agreement,
    report,
    unit_counts,
)

# --- helpers -------------------------------------------------------------------------------

CODES = {"f": "fact", "s": "speculation", "q": "quote", "o": "opinion"}


def from_rows(rows: list[list[object]], names: str | list[str] | None = None) -> dict:
    """A label table from one row per annotator (None: missing); values become strings."""
    names = list(names) if names is not None else [f"r{i}" for i in range(len(rows))]
    return {
        unit: {
            name: (None if row[unit] is None else str(row[unit]))
            for name, row in zip(names, rows, strict=True)
        }
        for unit in range(len(rows[0]))
    }


def from_codes(rows: list[str]) -> dict:
    """A label table from one string per annotator: f/s/q/o a label, '.' missing."""
    return from_rows([[None if c == "." else CODES[c] for c in row] for row in rows])


def from_counts(counts: list[list[int]], categories: list[str] | None = None) -> dict:
    """A label table from a Fleiss subjects x categories count table (same raters per row)."""
    categories = categories or [f"c{j}" for j in range(len(counts[0]))]
    table = {}
    for unit, row in enumerate(counts):
        labels = [cat for cat, k in zip(categories, row, strict=True) for _ in range(k)]
        table[unit] = {f"r{i}": label for i, label in enumerate(labels)}
    return table


def from_pair_counts(matrix: list[list[int]]) -> dict:
    """A two-annotator table from a confusion matrix (rows: a's label, columns: b's label)."""
    table, unit = {}, 0
    for i, row in enumerate(matrix):
        for j, k in enumerate(row):
            for _ in range(k):
                table[unit] = {"a": f"c{i}", "b": f"c{j}"}
                unit += 1
    return table


# --- Krippendorff's alpha: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" --

_ = None
KRIPPENDORFF_2011_C = [  # section C: nominal data, any number of observers, missing data
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


def test_krippendorff_2011_missing_data_example():
    figure = krippendorff_alpha(from_rows(KRIPPENDORFF_2011_C, "ABCD"))
    assert round(figure.value, 3) == 0.743
    # The `krippendorff` PyPI package (0.9.0), level_of_measurement="nominal": 0.743421052631579
    assert figure.value == pytest.approx(0.743421052631579, abs=1e-12)
    assert figure.units == 11  # unit 12 has a single value: not pairable
    assert figure.excluded == 1
    assert figure.reason is None


def test_krippendorff_2011_binary_two_observers():
    # Section A: binary data, two observers, no missing data: alpha = 0.095
    rows = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    figure = krippendorff_alpha(from_rows(rows))
    assert round(figure.value, 3) == 0.095
    assert figure.units == 10


def test_krippendorff_2011_nominal_two_observers():
    # Section B: nominal data, two observers, no missing data: alpha = 0.692
    rows = [list("aabbdcccedda"), list("babbbcccedddd"[:12])]
    figure = krippendorff_alpha(from_rows(rows))
    assert round(figure.value, 3) == 0.692
    assert figure.units == 12


def test_krippendorff_alpha_annotator_subset():
    table = from_rows(KRIPPENDORFF_2011_C, "ABCD")
    assert krippendorff_alpha(table, ["A", "B", "C", "D"]) == krippendorff_alpha(table)
    # Restricted to A and B, it is a two-observer alpha over the 9 units both labeled.
    pair = krippendorff_alpha(table, ["A", "B"])
    assert pair.units == 9
    assert pair.excluded == 2


# --- Fleiss' kappa: Fleiss (1971) ----------------------------------------------------------

WIKIPEDIA_FLEISS = [  # https://en.wikipedia.org/wiki/Fleiss%27_kappa#Worked_example
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971), table 1: 30 patients, 6 psychiatrists each, 5 diagnoses; as given (one row of
# diagnoses per patient) in statsmodels/stats/tests/test_inter_rater.py (`diagnoses`).
FLEISS_1971_DIAGNOSES = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip


def test_fleiss_wikipedia_example():
    table = from_counts(WIKIPEDIA_FLEISS)
    figure = fleiss_kappa(table, [f"r{i}" for i in range(14)])
    assert round(figure.value, 3) == 0.210
    # statsmodels 0.15.0 fleiss_kappa(table1): 0.20993070442195522
    assert figure.value == pytest.approx(0.20993070442195522, abs=1e-12)
    assert figure.units == 10
    assert figure.excluded == 0


def test_fleiss_1971_diagnoses():
    table = {
        u: {f"r{i}": str(d) for i, d in enumerate(row)}
        for u, row in enumerate(FLEISS_1971_DIAGNOSES)
    }
    figure = fleiss_kappa(table, annotators_of(table))
    assert round(figure.value, 3) == 0.430  # Fleiss (1971): kappa = .430
    # statsmodels 0.15.0 fleiss_kappa(aggregate_raters(diagnoses)[0]): 0.43024452006014074
    # (R irr::kappam.fleiss gives 0.43 too)
    assert figure.value == pytest.approx(0.43024452006014074, abs=1e-12)
    assert figure.units == 30
    # The `krippendorff` package (0.9.0), nominal, on the same data: 0.4334098282820289
    assert krippendorff_alpha(table).value == pytest.approx(0.4334098282820289, abs=1e-12)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # statsmodels test_fleis_randolph, from Randolph's online kappa calculator
        ([[7, 1], [3, 5]], 0.161905),
        ([[6, 1, 0], [0, 7, 0]], 0.708333),
        ([[7, 0], [0, 7]], 1.0),
    ],
)
def test_fleiss_randolph_calculator(counts, expected):
    table = from_counts(counts)
    figure = fleiss_kappa(table, annotators_of(table))
    assert figure.value == pytest.approx(expected, abs=6e-6)


def test_fleiss_leaves_out_incomplete_units():
    table = from_counts(WIKIPEDIA_FLEISS)
    table["partial"] = {"r0": "c0", "r1": "c1"}
    table["empty"] = {"r0": None}
    figure = fleiss_kappa(table, [f"r{i}" for i in range(14)])
    assert figure.value == pytest.approx(0.20993070442195522, abs=1e-12)
    assert figure.units == 10
    assert figure.excluded == 1  # "partial"; "empty" has no label at all


# --- Cohen's kappa: Cohen (1960) -----------------------------------------------------------


def test_cohen_wikipedia_example():
    # https://en.wikipedia.org/wiki/Cohen%27s_kappa#Simple_example: 50 proposals,
    # both yes 20, A yes B no 5, A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4
    table = from_pair_counts([[20, 5], [10, 15]])
    assert cohen_kappa(table, "a", "b") == Figure(0.4, 50)
    assert percent_agreement(table, "a", "b") == Figure(0.7, 50)
    assert confusion(table, "a", "b", ["c0", "c1"]) == {
        "c0": {"c0": 20, "c1": 5},
        "c1": {"c0": 10, "c1": 15},
    }


def test_cohen_statsmodels_sas_example():
    # statsmodels test_inter_rater.py, table10, checked there against SAS: kappa 0.4842
    table = from_pair_counts([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert round(cohen_kappa(table, "a", "b").value, 4) == 0.4842


def test_cohen_irr_anxiety_example():
    # R irr::kappa2(anxiety[, 2:3]) = -0.006289308 (quoted in statsmodels test_inter_rater.py)
    rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
    rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
    table = from_rows([rater2, rater3], "ab")
    assert cohen_kappa(table, "a", "b").value == pytest.approx(-0.006289308, abs=1e-9)


# --- cross-checks on fixed random tables ---------------------------------------------------
# The tables were drawn with random.Random(seed) (4 labels, a latent true label per unit that
# each annotator gives with probability 0.6, '.' = missing) and the expected numbers computed
# in a scratch virtualenv with krippendorff 0.9.0 (alpha, level_of_measurement="nominal"),
# statsmodels 0.15.0 (fleiss_kappa on aggregate_raters) and scikit-learn 1.9.1
# (cohen_kappa_score on the units both annotators labeled).

ALPHA_A = [  # seed 1: 5 annotators, 40 units, ~25% missing
    "fffoossssq.s.so.qfoqf.sqfqqo.qfoss.q..fq",
    "so.osssss...fs..q.q..ofq.qqsq.ffsqoqs.of",
    "sofsqq.s...s.ss.qf.qf.oqf..sq..ssoo..s.o",
    "...so.ofsqfo.ss.o..oqq...fo..f.q..oqssso",
    ".offqssss..sfss...sqf.ffs...q.fqss.oqqfo",
]
ALPHA_A_COHEN = {  # sklearn, pairwise over units both labeled: (units, kappa)
    (0, 1): (23, 0.40104166666666674),
    (0, 2): (22, 0.3221288515406162),
    (0, 3): (19, 0.014814814814814725),
    (0, 4): (24, 0.3529411764705882),
    (1, 2): (17, 0.41951219512195126),
    (1, 3): (16, 0.053763440860215006),
    (1, 4): (21, 0.3396226415094339),
    (2, 3): (13, 0.25409836065573776),
    (2, 4): (20, 0.4444444444444444),
    (3, 4): (16, 0.053763440860215006),
}
ALPHA_B = [  # seed 2: 3 annotators, 25 units, ~40% missing
    "..qf.sqoqoqqfsfs.f.s..so.",
    "..so.sooq...fs.sff.qoq.s.",
    "...f.ssoqooqf..s.ffqf....",
]
FLEISS_A = [  # seed 3: 4 annotators, 30 units, complete
    "sosoosqfffqqqssfqfoqfqsofqfsfs",
    "sssooqqoffsqfofoqfofsofsfffsos",
    "oosooqqofffffoffsfofsffofqfqfs",
    "sfoofqqsfffqqofoqfsfsffofofqos",
]
COHEN_A = [  # seed 4: 2 annotators, 60 units, ~15% missing
    "ooqsqfsfoqq.q.ssfsqoqofso.oq.ooqq.qo.oq.qfs.qoqo.ffooqq.qffs",
    "so.sqfqso..os.ssqf.oooosoo.q.fosqso.sooffqs.fs.osoqo.sqq.ffq",
]
COHEN_B = [  # seed 5: 2 annotators, 45 units, complete
    "fffsssofqoqsoqqfsqfsssosqqoqqoqqoqfffffqqofoo",
    "sffossofqoqffqqffoofsoosqqqqqoqosqsffofqqsfoq",
]


@pytest.mark.parametrize(
    ("rows", "alpha", "fleiss", "complete"),
    [
        (ALPHA_A, 0.3159788515200469, 0.1373801916932907, 6),
        (ALPHA_B, 0.5222929936305732, 0.65, 9),
        (FLEISS_A, 0.3945175857024741, 0.3894294981873688, 30),
        (COHEN_A, 0.35070140280561124, None, None),
        (COHEN_B, 0.5261231281198003, 0.5207986688851913, 45),
    ],
)
def test_cross_check_alpha_and_fleiss(rows, alpha, fleiss, complete):
    table = from_codes(rows)
    assert krippendorff_alpha(table).value == pytest.approx(alpha, abs=1e-12)
    if fleiss is not None:
        figure = fleiss_kappa(table, annotators_of(table))
        assert figure.value == pytest.approx(fleiss, abs=1e-12)
        assert figure.units == complete


def test_cross_check_cohen_pairs():
    table = from_codes(ALPHA_A)
    for (i, j), (units, kappa) in ALPHA_A_COHEN.items():
        figure = cohen_kappa(table, f"r{i}", f"r{j}")
        assert figure.units == units
        assert figure.value == pytest.approx(kappa, abs=1e-12)


@pytest.mark.parametrize(
    ("rows", "units", "kappa", "percent"),
    [
        (COHEN_A, 41, 0.3460925039872409, 0.5121951219512195),
        (COHEN_B, 45, 0.5209580838323353, 0.6444444444444445),
    ],
)
def test_cross_check_cohen(rows, units, kappa, percent):
    table = from_codes(rows)
    figure = cohen_kappa(table, "r0", "r1")
    assert figure.value == pytest.approx(kappa, abs=1e-12)
    assert figure.units == units
    assert figure.excluded == len(rows[0]) - units - sum(
        1 for a, b in zip(*rows, strict=True) if a == b == "."
    )
    agreement = percent_agreement(table, "r0", "r1")
    assert agreement.value == pytest.approx(percent, abs=1e-12)
    assert agreement.units == units


def test_per_label_cross_check():
    # krippendorff 0.9.0 on the binary recoding (1: this label, 0: another, nan: missing)
    expected = {
        "fact": 0.38988095238095233,
        "speculation": 0.42445613196270604,
        "quote": 0.2993079584775087,
        "opinion": 0.10550458715596334,
    }
    table = from_codes(ALPHA_A)
    stats = per_label(table, None, list(expected))
    assert list(stats) == list(expected)
    for label, alpha in expected.items():
        assert stats[label].alpha.value == pytest.approx(alpha, abs=1e-12)
        assert stats[label].alpha.units == 38
    counts = {
        name: sum(1 for c in row if c == "f")
        for name, row in zip([f"r{i}" for i in range(5)], ALPHA_A, strict=True)
    }
    assert stats["fact"].counts == counts
    assert stats["fact"].total == sum(counts.values())


# --- null cases: a reason, never a crash, never a made-up 1.0 -------------------------------


def test_empty_table():
    for figure in (krippendorff_alpha({}), fleiss_kappa({}, ["a", "b"])):
        assert figure.value is None and figure.units == 0 and figure.reason
    assert krippendorff_alpha({}).reason == NO_ANNOTATORS
    assert fleiss_kappa({}, ["a", "b"]).reason == TOO_FEW_COMPLETE
    assert cohen_kappa({}, "a", "b") == Figure(None, 0, TOO_FEW_SHARED)
    assert percent_agreement({}, "a", "b") == Figure(None, 0, NONE_SHARED)
    assert confusion({}, "a", "b", ["x"]) == {"x": {"x": 0}}
    assert per_label({}, ["a", "b"], ["x"])["x"].alpha.reason == LABEL_UNUSED
    assert unit_counts({}) == {
        "total": 0, "pairable": 0, "labeled_by_all": 0, "labeled_by_one": 0, "unlabeled": 0
    }  # fmt: skip
    result = report({})
    json.dumps(result)
    assert result["krippendorff_alpha"]["value"] is None
    assert result["pairs"] == [] and result["per_document"] == {}


def test_one_annotator():
    table = {u: {"a": label} for u, label in enumerate("xyxyz")}
    alpha = krippendorff_alpha(table)
    assert alpha == Figure(None, 0, ONE_ANNOTATOR, excluded=5)
    assert fleiss_kappa(table, ["a"]).reason == ONE_ANNOTATOR
    assert cohen_kappa(table, "a", "a").reason == ONE_ANNOTATOR
    assert percent_agreement(table, "a", "a").reason == ONE_ANNOTATOR
    assert fleiss_kappa(table, []).reason == NO_ANNOTATORS
    result = report(table)
    assert result["annotators"] == ["a"]
    assert result["krippendorff_alpha"]["reason"] == ONE_ANNOTATOR
    assert result["units"]["labeled_by_one"] == 5


def test_one_unit():
    table = {"u": {"a": "x", "b": "y", "c": "x"}}
    assert krippendorff_alpha(table) == Figure(None, 1, TOO_FEW_PAIRABLE)
    assert fleiss_kappa(table, ["a", "b", "c"]) == Figure(None, 1, TOO_FEW_COMPLETE)
    assert cohen_kappa(table, "a", "b") == Figure(None, 1, TOO_FEW_SHARED)
    assert percent_agreement(table, "a", "b") == Figure(0.0, 1)
    assert percent_agreement(table, "a", "c") == Figure(1.0, 1)


def test_all_same_label():
    table = {u: {"a": "fact", "b": "fact", "c": "fact"} for u in range(5)}
    table[5] = {"a": "fact", "b": None, "c": None}
    assert krippendorff_alpha(table) == Figure(None, 5, NO_VARIATION, excluded=1)
    assert fleiss_kappa(table, ["a", "b", "c"]) == Figure(None, 5, NO_VARIATION, excluded=1)
    assert cohen_kappa(table, "a", "b") == Figure(None, 5, NO_VARIATION, excluded=1)
    assert percent_agreement(table, "a", "b") == Figure(1.0, 5, excluded=1)
    stats = per_label(table, None, ["fact", "quote"])
    assert stats["fact"].alpha.reason == NO_VARIATION
    assert stats["quote"].alpha.reason == LABEL_UNUSED
    assert stats["quote"].total == 0


def test_no_pairable_units():
    table = {0: {"a": "x", "b": None}, 1: {"a": None, "b": "y"}, 2: {"a": None, "b": None}}
    assert krippendorff_alpha(table) == Figure(None, 0, TOO_FEW_PAIRABLE, excluded=2)
    assert fleiss_kappa(table, ["a", "b"]) == Figure(None, 0, TOO_FEW_COMPLETE, excluded=2)
    assert cohen_kappa(table, "a", "b") == Figure(None, 0, TOO_FEW_SHARED, excluded=2)
    assert percent_agreement(table, "a", "b") == Figure(None, 0, NONE_SHARED, excluded=2)
    assert unit_counts(table) == {
        "total": 3, "pairable": 0, "labeled_by_all": 0, "labeled_by_one": 2, "unlabeled": 1
    }  # fmt: skip


def test_figure_to_json():
    assert Figure(0.5, 3).to_json() == {"value": 0.5, "units": 3, "reason": None, "excluded": 0}
    assert Figure(None, 0, "why", 2).to_json() == {
        "value": None, "units": 0, "reason": "why", "excluded": 2
    }  # fmt: skip


# --- confusion, majority, report -----------------------------------------------------------


def test_confusion_appends_labels_outside_the_tagset():
    table = {0: {"a": "x", "b": "y"}, 1: {"a": "x", "b": "x"}, 2: {"a": "w", "b": None}}
    assert confusion(table, "a", "b", ["y", "x"]) == {
        "y": {"y": 0, "x": 0},
        "x": {"y": 1, "x": 1},
    }
    matrix = confusion(table, "a", "b", ["x"])
    assert list(matrix) == ["x", "y"]
    assert matrix["x"]["y"] == 1


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], None),
        ([None, None], None),
        (["x"], "x"),
        (["x", "y"], None),
        (["x", "y", "x", None], "x"),
        (["x", None, "y", "y", "x"], None),
        (iter(["q", "q", "f"]), "q"),
    ],
)
def test_majority(labels, expected):
    assert majority(labels) == expected


def test_document_of():
    assert document_of(("doc-1", 0, 10)) == "doc-1"
    assert document_of("plain") == "plain"
    assert document_of(7) == "7"


def _report_table() -> dict:
    return {
        ("d1", 0, 10): {"ann": "fact", "bob": "fact", "cy": "fact"},
        ("d1", 11, 20): {"ann": "quote", "bob": "quote", "cy": "opinion"},
        ("d1", 21, 30): {"ann": "opinion", "bob": "fact", "cy": None},
        ("d2", 0, 5): {"ann": "fact", "bob": None, "cy": None},
        ("d2", 6, 12): {"ann": None, "bob": None, "cy": None},
        ("d2", 13, 20): {"ann": "speculation", "bob": "speculation", "cy": "speculation"},
    }


def test_report_shape_and_counts():
    table = _report_table()
    tagset = ["fact", "speculation", "quote", "opinion"]
    boundaries = [{"document": "d1", "annotators": ["ann", "bob"], "offset": 10}]
    result = report(table, None, tagset, boundary_disagreements=boundaries)
    assert json.loads(json.dumps(result)) == result  # JSON-ready
    assert result["annotators"] == ["ann", "bob", "cy"]
    assert result["labels"] == tagset
    assert result["units"] == {
        "total": 6, "pairable": 4, "labeled_by_all": 3, "labeled_by_one": 1, "unlabeled": 1
    }  # fmt: skip
    assert result["krippendorff_alpha"] == krippendorff_alpha(table).to_json()
    assert result["fleiss_kappa"] == fleiss_kappa(table, ["ann", "bob", "cy"]).to_json()
    assert result["fleiss_kappa"]["units"] == 3
    assert result["fleiss_kappa"]["excluded"] == 2
    assert [(p["a"], p["b"]) for p in result["pairs"]] == list(
        combinations(["ann", "bob", "cy"], 2)
    )
    ann_bob = result["pairs"][0]
    assert ann_bob["units"] == 4
    assert ann_bob["cohen_kappa"] == cohen_kappa(table, "ann", "bob").to_json()
    assert ann_bob["percent_agreement"]["value"] == 0.75
    assert ann_bob["confusion"]["opinion"]["fact"] == 1
    assert set(result["per_label"]) == set(tagset)
    assert result["per_label"]["fact"]["counts"] == {"ann": 2, "bob": 2, "cy": 1}
    assert result["per_label"]["fact"]["total"] == 5
    assert list(result["per_document"]) == ["d1", "d2"]
    d2 = result["per_document"]["d2"]
    assert d2["units"]["total"] == 3
    assert d2["krippendorff_alpha"]["value"] is None
    assert d2["krippendorff_alpha"]["reason"] == TOO_FEW_PAIRABLE
    d1 = result["per_document"]["d1"]
    assert d1["krippendorff_alpha"]["units"] == 3
    assert (
        d1["krippendorff_alpha"]["value"]
        == krippendorff_alpha({k: v for k, v in table.items() if k[0] == "d1"}).value
    )
    assert result["boundary_disagreements"] == boundaries


def test_report_value_is_not_rounded():
    table = from_codes(ALPHA_A)
    result = report(table)
    assert result["krippendorff_alpha"]["value"] == krippendorff_alpha(table).value
    assert result["krippendorff_alpha"]["value"] == pytest.approx(0.3159788515200469, abs=1e-12)


# --- properties ----------------------------------------------------------------------------

NAMES = ["ann", "bob", "cy", "dee"]
LABELS = ["fact", "speculation", "quote", "opinion"]

tables = st.lists(
    st.fixed_dictionaries({name: st.one_of(st.none(), st.sampled_from(LABELS)) for name in NAMES}),
    max_size=25,
).map(lambda rows: dict(enumerate(rows)))


def _all_figures(table: dict) -> list[Figure]:
    figures = [krippendorff_alpha(table, NAMES), fleiss_kappa(table, NAMES)]
    for a, b in combinations(NAMES, 2):
        figures += [cohen_kappa(table, a, b), percent_agreement(table, a, b)]
    figures += [stats.alpha for stats in per_label(table, NAMES, LABELS).values()]
    return figures


@settings(max_examples=200, deadline=None)
@given(tables)
def test_figures_are_bounded_or_explained(table):
    for figure in _all_figures(table):
        if figure.value is None:
            assert figure.reason
        else:
            assert figure.reason is None
            assert math.isfinite(figure.value)
            assert figure.value <= 1.0
        assert figure.units >= 0 and figure.excluded >= 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(LABELS), st.integers(min_value=2, max_value=4)), min_size=2),
)
def test_alpha_is_one_when_all_agree(units):
    table = {u: {name: label for name in NAMES[:count]} for u, (label, count) in enumerate(units)}
    figure = krippendorff_alpha(table)
    if len({label for label, _ in units}) >= 2:
        assert figure.value == 1.0
        assert figure.units == len(units)
        complete = {u: labels for u, labels in table.items() if len(labels) == 4}
        if len({labels["ann"] for labels in complete.values()}) >= 2:
            assert fleiss_kappa(complete, NAMES).value == 1.0
        assert cohen_kappa(table, "ann", "bob").value == 1.0
    else:
        assert figure.value is None
        assert figure.reason == NO_VARIATION


@settings(max_examples=150, deadline=None)
@given(tables, st.permutations(NAMES), st.permutations(LABELS))
def test_invariant_under_annotator_and_label_renaming(table, names, labels):
    rename = dict(zip(NAMES, names, strict=True))
    relabel = dict(zip(LABELS, labels, strict=True))
    moved = {
        unit: {rename[name]: (None if v is None else relabel[v]) for name, v in given.items()}
        for unit, given in table.items()
    }
    assert krippendorff_alpha(moved) == krippendorff_alpha(table)
    assert fleiss_kappa(moved, names) == fleiss_kappa(table, NAMES)
    for a, b in combinations(NAMES, 2):
        assert cohen_kappa(moved, rename[a], rename[b]) == cohen_kappa(table, a, b)
        assert cohen_kappa(moved, rename[b], rename[a]) == cohen_kappa(table, a, b)
        assert percent_agreement(moved, rename[a], rename[b]) == percent_agreement(table, a, b)
    before = per_label(table, NAMES, LABELS)
    after = per_label(moved, names, labels)
    for label in LABELS:
        assert after[relabel[label]].alpha == before[label].alpha
        assert after[relabel[label]].total == before[label].total


@settings(max_examples=100, deadline=None)
@given(tables)
def test_unit_counts_add_up(table):
    counts = unit_counts(table, NAMES)
    assert counts["pairable"] + counts["labeled_by_one"] + counts["unlabeled"] == counts["total"]
    assert counts["labeled_by_all"] <= counts["pairable"]
    assert krippendorff_alpha(table, NAMES).units == counts["pairable"]
    assert krippendorff_alpha(table, NAMES).excluded == counts["labeled_by_one"]
