"""``annotate export``: labels per mode, what is left out, leak-free and stable splits, formats, the card."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import write_source
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate import export as ex
from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.export.card import _md
from annotate.reading import load_current, read_label_data
from annotate.store import SCHEMA_HEADER, Project
from annotate.yamlio import dump_document, fast_load

LABELS = ("fact", "speculation", "quote", "opinion")


# --------------------------------------------------------------------------- building corpora


class Builder:
    """Writes sources and label files straight to disk (no sessions, no caches)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.spans: dict[str, list[tuple[int, int]]] = {}

    def doc(self, doc_id: str, sentences: list[str]) -> list[tuple[int, int]]:
        spans, pos = [], 0
        for s in sentences:
            spans.append((pos, pos + len(s)))
            pos += len(s) + 1
        write_source(self.project, doc_id, " ".join(sentences) + "\n")
        self.spans[doc_id] = spans
        return spans

    def labels(self, doc_id: str, annotator: str, labels: list[str | None], *,
               spans: list[tuple[int, int]] | None = None, unsure: tuple[int, ...] = (),
               notes: dict[int, str] | None = None, seconds: dict[int, float] | None = None,
               orphans: list[dict[str, Any]] | None = None, suggested: dict[int, str] | None = None) -> Path:
        raw = (self.project.seeds / f"{doc_id}.txt").read_bytes()
        text = raw.decode("utf-8")
        spans = spans or self.spans[doc_id]
        items = []
        for i, ((s, e), label) in enumerate(zip(spans, labels, strict=True)):
            item: dict[str, Any] = {"start": s, "end": e, "text": text[s:e], "label": label}
            if i in unsure:
                item["unsure"] = True
            if notes and i in notes:
                item["note"] = notes[i]
            if seconds and i in seconds:
                item["seconds"] = seconds[i]
            if suggested and i in suggested:
                item["suggested"] = suggested[i]
            items.append(item)
        data: dict[str, Any] = {
            "version": 1, "document": doc_id, "source": f"seeds/{doc_id}.txt",
            "source_sha256": hashlib.sha256(raw).hexdigest(), "annotator": annotator, "scheme": "claim-types",
            "sentences": items,
        }
        if orphans:
            data["orphans"] = orphans
        path = self.project.label_path(doc_id, annotator)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_document(data, header=SCHEMA_HEADER), encoding="utf-8")
        return path


@pytest.fixture
def build(project: Project) -> Builder:
    return Builder(project)


def export(project: Project, out: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(project.root), "export", "--out", str(out), *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def read_rows(out: Path, fmt: str = "jsonl") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for split in ("train", "dev", "test"):
        path = out / f"{split}{ex.SUFFIX[fmt]}"
        if path.exists():
            rows.extend(json.loads(line) for line in path.read_text("utf-8").splitlines())
    return rows


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def stats(out: Path) -> dict[str, Any]:
    return json.loads((out / "stats.json").read_text("utf-8"))


def one_line_error(result: Result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "\n" not in err, err
    assert err.startswith("annotate: ") and needle in err, err


# --------------------------------------------------------------------------- a small corpus with every case

SENTS = [
    "All agree on this one.",        # 0: fact x3
    "Two say opinion here.",         # 1: fact, opinion, opinion
    "This one is a tie.",            # 2: fact, opinion, -
    "Review decided this.",          # 3: fact x3, gold quote
    "Nobody labeled this.",          # 4: -
    "Only an unsure label.",         # 5: alice fact (unsure)
    "Only alice labeled this.",      # 6: alice speculation
]


@pytest.fixture
def small(project: Project, build: Builder) -> Project:
    build.doc("news/a", SENTS)
    build.labels("news/a", "alice", ["fact", "fact", "fact", "fact", None, "fact", "speculation"], unsure=(5,),
                 notes={1: "hedged?"}, seconds={0: 2.5, 1: 4})
    build.labels("news/a", "bob", ["fact", "opinion", "opinion", "fact", None, None, None])
    build.labels("news/a", "carol", ["fact", "opinion", None, "fact", None, None, None], unsure=(1,))
    build.labels("news/a", "gold", [None, None, None, "quote", None, None, None])
    return project


def ids(project: Project, *idx: int, doc: str = "news/a") -> list[str]:
    text = (project.seeds / f"{doc}.txt").read_text()
    out = []
    for i in idx:
        start = text.index(SENTS[i])
        out.append(f"{doc}:{start}-{start + len(SENTS[i])}")
    return out


def test_majority_labels_fields_and_counts(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--include-unsure"))
    rows = by_id(read_rows(out))
    i0, i1, i2, i3, i4, i5, i6 = ids(small, *range(7))
    assert set(rows) == {i0, i1, i3, i5, i6}
    r = rows[i1]
    assert r["label"] == "opinion" and r["label_source"] == "majority" and r["gold"] is None
    assert r["labels"] == {"alice": "fact", "bob": "opinion", "carol": "opinion"}
    assert r["soft_label"] == {"fact": 1 / 3, "opinion": 2 / 3, "quote": 0.0, "speculation": 0.0}
    assert r["agreement"] == pytest.approx(2 / 3)
    assert r["unsure"] == ["carol"]
    assert r["notes"] == {"alice": "hedged?", "bob": None, "carol": None}
    assert r["seconds"] == {"alice": 4.0, "bob": None, "carol": None}
    assert r["text"] == SENTS[1] and r["context_before"] == [SENTS[0]] and r["context_after"] == [SENTS[2]]
    assert r["split"] == "train" and r["document"] == "news/a"
    gold = rows[i3]
    assert (gold["label"], gold["label_source"], gold["gold"]) == ("quote", "gold", "quote")
    assert gold["agreement"] == 0.0  # no annotator gave the gold label
    assert rows[i6]["agreement"] is None and rows[i6]["soft_label"]["speculation"] == 1.0
    assert rows[i5]["label"] == "fact" and rows[i5]["unsure"] == ["alice"]
    assert rows[i0]["context_before"] == []
    left = stats(out)["left_out"]
    assert (left["tie"], left["unlabeled"], left["unsure"], left["unsure_labels"]) == (1, 1, 0, 0)


def test_unsure_weight_zero_leaves_unsure_labels_out(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--unsure-weight", "0"))
    rows = by_id(read_rows(out))
    i1, i5 = ids(small, 1, 5)
    assert i5 not in rows
    # carol's unsure "opinion" is not a vote: fact vs opinion is a tie now
    assert i1 not in rows
    left = stats(out)["left_out"]
    assert left["unsure"] == 1 and left["unsure_labels"] == 2 and left["tie"] == 2


def test_thresholds_are_counted(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--include-unsure", "--min-annotators", "2"))
    i6, i3 = ids(small, 6, 3)
    rows = by_id(read_rows(out))
    assert i6 not in rows and i3 in rows  # gold needs no annotators
    assert stats(out)["left_out"]["below_min_annotators"] == 2  # alice-only 5 and 6
    ok(export(small, out, "--split", "100", "--include-unsure", "--min-agreement", "0.7"))
    i1, i0 = ids(small, 1, 0)
    rows = by_id(read_rows(out))
    assert i1 not in rows and i0 in rows
    assert stats(out)["left_out"]["low_agreement"] == 1


def test_gold_mode(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--labels", "gold"))
    rows = read_rows(out)
    assert [r["id"] for r in rows] == ids(small, 3) and rows[0]["label"] == "quote"
    assert stats(out)["left_out"]["no_gold"] == 6


def test_annotator_mode(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--labels", "annotator:bob"))
    rows = read_rows(out)
    assert [r["label"] for r in rows] == ["fact", "opinion", "opinion", "fact"]
    assert {r["label_source"] for r in rows} == {"bob"}
    assert stats(out)["left_out"]["unlabeled"] == 3
    one_line_error(export(small, out, "--labels", "annotator:dave"), "no label files by 'dave'")
    one_line_error(export(small, out, "--labels", "annotator:gold"), "use --labels gold")


def test_all_mode_one_row_per_annotator(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--labels", "all", "--unsure-weight", "0"))
    rows = read_rows(out)
    i1 = ids(small, 1)[0]
    assert [r["id"] for r in rows if r["id"].startswith(i1)] == [f"{i1}:alice", f"{i1}:bob"]  # carol unsure
    assert len(rows) == 5 + 3 + 2 + 1  # alice (minus unsure), bob, carol (minus unsure)
    assert stats(out)["left_out"]["unsure"] == 2
    ok(export(small, out, "--split", "100", "--labels", "all", "--include-unsure"))
    assert len(read_rows(out)) == 13


def test_boundary_disagreements_orphans_and_context(project: Project, build: Builder, tmp_path: Path) -> None:
    spans = build.doc("d", ["One here.", "Two here.", "Three here.", "Four here."])
    build.labels("d", "alice", ["fact"] * 4, orphans=[{"start": 0, "end": 3, "text": "Old", "label": "fact"}])
    merged = [spans[0], (spans[1][0], spans[2][1]), spans[3]]  # bob joins two and three
    build.labels("d", "bob", ["fact", "opinion", "fact"], spans=merged)
    out = tmp_path / "out"
    ok(export(project, out, "--split", "100", "--context", "2"))
    rows = by_id(read_rows(out))
    assert set(rows) == {f"d:{s}-{e}" for s, e in [spans[0], spans[1], spans[2], merged[1], spans[3]]}
    r = rows[f"d:{spans[1][0]}-{spans[1][1]}"]
    assert r["labels"] == {"alice": "fact", "bob": None} and r["agreement"] is None
    last = rows[f"d:{spans[3][0]}-{spans[3][1]}"]
    # a clean run of sentences: the closest one, then the shortest one before it
    assert last["context_before"] == ["Two here.", "Three here."]  # not bob's "Two here. Three here."
    assert last["context_after"] == []
    left = stats(out)["left_out"]
    assert left["boundary_disagreements"] == 3 and left["orphans"] == 1
    assert not any("Old" == r["text"] for r in rows.values())


def test_stale_file_is_reanchored_in_memory(project: Project, build: Builder, tmp_path: Path) -> None:
    build.doc("d", ["The first sentence is here.", "The second one follows it."])
    path = build.labels("d", "alice", ["fact", "opinion"])
    before = path.read_bytes()
    write_source(project, "d", "A new opening sentence. The first sentence is here. The second one follows it.\n")
    out = tmp_path / "out"
    result = ok(export(project, out, "--split", "100"))
    assert "re-anchored in memory" in result.stderr
    rows = read_rows(out)
    text = (project.seeds / "d.txt").read_text()
    assert [(r["text"], r["label"]) for r in rows] == [("The first sentence is here.", "fact"),
                                                      ("The second one follows it.", "opinion")]
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    assert stats(out)["left_out"]["stale_files"] == 1
    assert path.read_bytes() == before  # never saved


def test_never_touches_labels_and_reads_journals(project: Project, open_session: Any, tmp_path: Path) -> None:
    session = open_session()  # the repo's seed document, labeled through a real session
    session.change(0, label="fact")
    session.fold()
    session.change(1, label="quote")  # only in the journal
    labels = project.labels
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in labels.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    ok(export(project, out, "--split", "100"))
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in labels.rglob("*") if p.is_file()} == snapshot
    assert [r["label"] for r in read_rows(out)] == ["fact", "quote"]


def test_invalid_label_file_is_one_line_error(project: Project, build: Builder, tmp_path: Path) -> None:
    build.doc("d", ["One here.", "Two here."])
    path = build.labels("d", "alice", ["fact", "rumour"])
    result = export(project, tmp_path / "out")
    one_line_error(result, "'rumour' is not a label of tagset claim-types")
    assert "labels/d/alice.yaml:" in result.stderr
    path.write_text(path.read_text().replace("end: 9", "end: 8"))
    one_line_error(export(project, tmp_path / "out"), "does not match the source")


def test_hand_written_yaml_reads_like_load_current(project: Project, build: Builder) -> None:
    build.doc("d", ["One here.", "Two here."])
    sha = hashlib.sha256((project.seeds / "d.txt").read_bytes()).hexdigest()
    path = project.label_path("d", "alice")
    path.parent.mkdir(parents=True)
    path.write_text(f"""\
version: 1
document: d   # a comment
source: 'seeds/d.txt'
source_sha256: "{sha}"
annotator: alice
scheme: claim-types
sentences:
  - {{start: 0, end: 9, text: One here., label: fact, seconds: 1_0}}
  - start: 10
    end: 19
    text: >-
      Two here.
    label: ~
    unsure: yes
""")
    data = read_label_data(path, "x")
    assert data == load_current(path).to_data()
    assert data["sentences"][0]["seconds"] == 10 and data["sentences"][1]["unsure"] is True


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=20), st.sampled_from(["yes", "no", "on", "off", "null", "~", "0x1f", "017", "1_000", "1:30",
                                           "2001-12-14", "1e5", ".5", "+1", "-0", "0", "1.50", ".inf", "<<"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["start", "label", "note", "x", "seconds"]), SCALARS), max_size=4),
       st.dictionaries(st.sampled_from(["version", "document", "yes", "1"]), SCALARS))
def test_fast_yaml_path_equals_yaml_load(items: list[dict[str, Any]], top: dict[str, Any]) -> None:
    text = dump_document({**top, "sentences": items}, header=SCHEMA_HEADER)
    fast = fast_load(text.encode("utf-8"))
    assert fast is None or fast == yaml.load(text, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("text", [
    "a: 1\nb: 0x10\n", "a: 2001-01-01\n", "a: &x [1]\nb: *x\n", "a: yes\nb: ~\nc: 1.5\nd: 1e5\ne: -0\n",
    "a: !!binary aGk=\n", "a: '1'\n", "x: {b: [1, 2]}\n", "1: a\n", "<<: {a: 1}\n", "a: !!float 1\n",
    "a: 1.0e+3\n", "- 1\n- 2\n", "a: 017\n", "a: 1:30\n", "a: .inf\n",
])
def test_fast_yaml_path_hand_cases(text: str) -> None:
    fast = fast_load(text.encode())
    assert fast is None or fast == yaml.load(text, Loader=yaml.CSafeLoader)


# --------------------------------------------------------------------------- splits

def make_corpus(build: Builder, docs: int, seed: int = 7, start: int = 0, sentences: int = 20) -> None:
    """Documents of 20 sentences, two annotators mostly agreeing, the label mix varying per document."""
    rng = random.Random(seed)
    for d in range(start, start + docs):
        doc_id = f"doc-{d:04d}"
        weights = [rng.uniform(1, 4) for _ in LABELS]
        truth = rng.choices(LABELS, weights=weights, k=sentences)
        build.doc(doc_id, [f"Document {d} sentence {i} is about {truth[i]} number {rng.randint(0, 10**6)}."
                           for i in range(sentences)])
        for name in ("alice", "bob"):
            build.labels(doc_id, name, [t if rng.random() < 0.9 else rng.choice(LABELS) for t in truth])


def splits_of(rows: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["document"], set()).add(r["split"])
    assert all(len(s) == 1 for s in found.values()), "a document straddles splits"
    return {d: next(iter(s)) for d, s in found.items()}


def test_split_parsing() -> None:
    assert ex.parse_split("100") == (("train", 100),)
    assert ex.parse_split("90/10") == (("train", 90), ("test", 10))
    assert ex.parse_split("80/10/10") == (("train", 80), ("dev", 10), ("test", 10))
    for bad in ("80/30", "50/50/0/0", "a/b", "80.5/19.5", ""):
        with pytest.raises(AnnotateError):
            ex.parse_split(bad)


def test_duplicate_texts_share_a_split_and_dedupe(project: Project, build: Builder, tmp_path: Path) -> None:
    make_corpus(build, 40)
    wire = "The agency said “prices will rise” in March."
    variants = [wire, "the agency said \"prices  WILL rise\" in march.",
                "THE  AGENCY SAID “prices will rise”   in March."]
    # the wire copy goes into documents the hash alone would send to three different splits
    members = ["doc-0003", "doc-0016", "doc-0024", "doc-0035"]
    assert {ex.split_of(d, 0, ex.parse_split("80/10/10")) for d in members[:3]} == {"train", "dev", "test"}
    for k, doc_id in enumerate(members):
        sents = [f"Own sentence {k} of {doc_id}.", variants[k % 3] if k < 3 else "Agency said prices will rise."]
        build.doc(doc_id, sents)
        build.labels(doc_id, "alice", ["fact", "quote"])
        build.labels(doc_id, "bob", ["fact", "quote"])
    out = tmp_path / "out"
    ok(export(project, out))
    rows = read_rows(out)
    splits = splits_of(rows)
    assert {splits[d] for d in members[:3]} == {"train"}  # where the smallest doc id goes
    by_text: dict[str, set[str]] = {}
    for r in rows:
        by_text.setdefault(ex.normalise(r["text"]), set()).add(r["split"])
    assert all(len(s) == 1 for s in by_text.values())
    s = stats(out)
    assert s["groups"]["shared_text_groups"] == 1 and s["groups"]["largest"] == 3
    assert s["duplicate_rows_kept"] == 2
    ok(export(project, out, "--dedupe"))
    rows = read_rows(out)
    wire_rows = [r for r in rows if ex.normalise(r["text"]) == ex.normalise(wire)]
    assert [r["document"] for r in wire_rows] == ["doc-0003"]
    assert stats(out)["left_out"]["duplicates"] == 2


def test_stratified_stable_and_deterministic(project: Project, build: Builder, tmp_path: Path) -> None:
    make_corpus(build, 200)
    out = tmp_path / "out"
    ok(export(project, out, "--format", "jsonl,csv,spacy"))
    rows = read_rows(out)
    first = splits_of(rows)
    # stratification: every split's size and label distribution is close to the target and the overall one
    overall = Counter(r["label"] for r in rows)
    n = len(rows)
    worst = 0.0
    for split, target in (("train", 0.8), ("dev", 0.1), ("test", 0.1)):
        srows = [r for r in rows if r["split"] == split]
        assert abs(len(srows) / n - target) < 0.05, split
        counts = Counter(r["label"] for r in srows)
        for label in LABELS:
            worst = max(worst, abs(counts[label] / len(srows) - overall[label] / n))
    # dev and test hold about 20 documents each, whose label mixes vary: no stable assignment can do
    # better than chance (see annotate.export), so the bound is chance's own, and a loose absolute one
    strat = stats(out)["stratification"]
    assert strat["max_label_share_deviation"] == pytest.approx(worst)
    assert 0 < worst < 0.1 and strat["max_deviation_in_chance_sd"] < 3
    # determinism: the same inputs and seed give byte-identical files
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    ok(export(project, out, "--format", "jsonl,csv,spacy"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    # another seed gives another assignment
    ok(export(project, tmp_path / "seed1", "--seed", "1"))
    assert splits_of(read_rows(tmp_path / "seed1")) != first
    # adding documents, one sorting first and one sharing a sentence with doc-0007, moves nobody
    build.doc("aaa-new", ["A brand new document arrives.", "It has its own sentences."])
    build.labels("aaa-new", "alice", ["fact", "fact"])
    shared = (project.seeds / "doc-0007.txt").read_text().split(". ")[0] + "."
    build.doc("doc-0007-copy", [shared, "And one more sentence of its own."])
    build.labels("doc-0007-copy", "alice", ["fact", "fact"])
    make_corpus(build, 5, seed=99, start=500)
    ok(export(project, out))
    after = splits_of(read_rows(out))
    assert {d: after[d] for d in first} == first
    assert after["doc-0007-copy"] == first["doc-0007"]


# --------------------------------------------------------------------------- formats and card


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("start", "end"):
            out[key] = int(value)
        elif key in ("labels", "soft_label", "context_before", "context_after", "notes", "seconds", "unsure",
                     "suggested", "meta"):
            out[key] = json.loads(value) if value else None
        elif key == "agreement":
            out[key] = float(value) if value else None
        else:
            out[key] = value if value != "" else None
    return out


def test_every_format_reads_back_row_by_row(small: Project, build: Builder, tmp_path: Path) -> None:
    build.doc("news/b", ['He said: "yes, really",\tthen left.', "Ünïcödé — “curly”, comma, and\nnewline."])
    build.labels("news/b", "alice", ["quote", "opinion"], notes={0: 'a "note", with comma'})
    build.labels("news/b", "bob", ["quote", "opinion"])
    formats = ["jsonl", "csv", "prodigy"]
    try:
        import pyarrow.parquet as pq  # noqa: F401
        formats.append("parquet")
    except ImportError:
        pass
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--include-unsure", *[a for f in formats for a in ("--format", f)]))
    rows = read_rows(out)
    assert len(rows) == 7
    raw = (out / "train.jsonl").read_bytes()
    assert raw.decode("utf-8").count("\n") == 7 and "Ünïcödé".encode() in raw
    assert all(list(json.loads(line)) == sorted(json.loads(line)) for line in raw.decode().splitlines())
    # CSV: RFC 4180, CRLF, a header, nested fields as JSON
    data = (out / "train.csv").read_bytes()
    assert data.startswith(b"id,document,start,end,text,label,") and data.count(b"\r\n") >= 8
    with (out / "train.csv").open(encoding="utf-8", newline="") as fh:
        assert [_from_csv(r) for r in csv.DictReader(fh)] == rows
    tasks = [json.loads(line) for line in (out / "train.prodigy.jsonl").read_text("utf-8").splitlines()]
    assert [t["text"] for t in tasks] == [r["text"] for r in rows]
    for t, r in zip(tasks, rows, strict=True):
        assert t["accept"] == [r["label"]] and t["answer"] == "accept" and t["label"] == r["label"]
        assert t["meta"] == {"id": r["id"], "document": r["document"], "start": r["start"], "end": r["end"]}
    if "parquet" in formats:
        import pyarrow.parquet as pq

        assert pq.read_table(out / "train.parquet").to_pylist() == rows


def test_parquet_round_trip(small: Project, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--labels", "all", "--format", "parquet", "--format", "jsonl"))
    assert pq.read_table(out / "train.parquet").to_pylist() == read_rows(out)
    first = (out / "train.parquet").read_bytes()
    ok(export(small, out, "--split", "100", "--labels", "all", "--format", "parquet", "--format", "jsonl"))
    assert (out / "train.parquet").read_bytes() == first


def test_missing_pyarrow_is_one_line(small: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = export(small, tmp_path / "out", "--format", "parquet")
    one_line_error(result, "parquet needs pyarrow: pip install 'annotate[parquet]'")
    assert not (tmp_path / "out").exists()


def test_card_matches_rows(project: Project, build: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_corpus(build, 30)
    out = tmp_path / "my out"
    argv = ["annotate", "--root", str(project.root), "export", "--out", str(out), "--seed", "3"]
    monkeypatch.setattr(sys, "argv", argv)
    ok(export(project, out, "--seed", "3"))
    rows = read_rows(out)
    s = stats(out)
    card = (out / "README.md").read_text("utf-8")
    assert s["rows"] == len(rows)
    for split, info in s["splits"].items():
        srows = [r for r in rows if r["split"] == split]
        counts = Counter(r["label"] for r in srows)
        assert info["rows"] == len(srows) and info["labels"] == {lab: counts[lab] for lab in LABELS}
        assert info["documents"] == len({r["document"] for r in srows})
        cells = " | ".join(f"{counts[lab]} (" for lab in LABELS)
        line = next(ln for ln in card.splitlines() if ln.startswith(f"| {split} |"))
        assert f"| {info['documents']} | {len(srows)} |" in line
        assert all(f"| {counts[lab]} (" in line for lab in LABELS), (line, cells)
    units = {(r["document"], r["start"], r["end"]) for r in rows}
    assert s["agreement"]["exported"]["units"] + s["agreement"]["exported"]["excluded"] <= len(units)
    assert s["agreement"]["exported"]["value"] is not None
    assert f"- command: `{ex.command_line(argv)}`" in card and "'" + str(out) + "'" in card
    for label in project.tagset().labels:  # the tagset with its definitions
        assert f"| {_md(label.name)} | {_md(label.definition)} |" in card
    for reason in (*ex.LEFT_OUT_ROWS, *ex.LEFT_OUT_OTHER):
        assert f"| {reason} | {s['left_out'][reason]} |" in card
    assert "not a git repository" in card and "load_dataset(" in card and "read_ndjson" in card
    assert "read_json" in card and f"annotate {s['tool']['version']}" in card


def test_card_names_the_git_commit(small: Project, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    root = str(small.root)
    git = ["git", "-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "labels"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    out = tmp_path / "out"
    ok(export(small, out))
    assert stats(out)["labels_commit"] == head
    (small.labels / "news/a/bob.yaml").write_text((small.labels / "news/a/bob.yaml").read_text() + "\n")
    ok(export(small, out))
    assert stats(out)["labels_commit"] == f"{head} (labels/ has uncommitted changes)"


# --------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(("args", "needle"), [
    (["--split", "80/30"], "sums to 110, not 100"),
    (["--split", "eighty"], "--split"),
    (["--min-agreement", "1.5"], "not between 0 and 1"),
    (["--min-agreement", "most"], "--min-agreement"),
    (["--min-agreement", "nan"], "not between 0 and 1"),
    (["--min-annotators", "0"], "at least 1"),
    (["--context", "-1"], "at least 0"),
    (["--seed", "x"], "not a whole number"),
    (["--labels", "best"], "is not one of"),
    (["--labels", "gold", "--min-agreement", "0.5"], "majority only"),
    (["--format", "xml"], "'xml' is not one of"),
])
def test_bad_options_are_one_line(small: Project, tmp_path: Path, args: list[str], needle: str) -> None:
    one_line_error(export(small, tmp_path / "out", *args), needle)
    assert not (tmp_path / "out").exists()


def test_bad_places_and_empty_corpus(small: Project, project: Project, tmp_path: Path) -> None:
    one_line_error(export(small, small.labels / "out"), "inside labels/")
    one_line_error(export(small, small.labels), "inside labels/")
    one_line_error(export(small, small.root), "project root")
    one_line_error(CliRunner().invoke(main, ["--root", str(small.root), "export"]), "--out: required")
    empty = Project(tmp_path / "empty")
    (empty.root / "seeds").mkdir(parents=True)
    one_line_error(export(empty, tmp_path / "o"), "no label files")
    # label files, but nothing labeled: no rows
    for path in small.labels.rglob("*.yaml"):
        path.unlink()
    build = Builder(small)
    build.doc("d", ["Nothing here."])
    build.labels("d", "alice", [None])
    one_line_error(export(small, tmp_path / "o"), "no rows to export")


def test_outputs_of_an_earlier_export_are_replaced(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100", "--format", "csv"))
    assert (out / "train.csv").exists()
    (out / "keep.txt").write_text("mine")
    ok(export(small, out, "--split", "100"))
    assert not (out / "train.csv").exists() and (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "keep.txt", "stats.json", "train.jsonl"]


# --------------------------------------------------------------------------- suggestions seen while labeling


def test_the_card_says_which_labels_were_made_with_a_suggestion_visible(project: Project, build: Builder,
                                                                       tmp_path: Path) -> None:
    build.doc("news/s", ["One.", "Two.", "Three.", "Four."])
    # ann saw suggestions on the first three sentences and took two of them; bob labeled blind
    build.labels("news/s", "ann", ["fact", "opinion", "quote", "fact"],
                 suggested={0: "fact", 1: "speculation", 2: "quote"})
    build.labels("news/s", "bob", ["fact", "opinion", "fact", None])
    out = tmp_path / "out"
    ok(export(project, out, "--split", "100", "--labels", "all"))
    rows = by_id(read_rows(out))
    assert rows["news/s:0-4:ann"]["suggested"] == {"ann": "fact", "bob": None}
    assert rows["news/s:17-22:ann"]["suggested"] == {"ann": None, "bob": None}
    sug = stats(out)["suggestions"]
    assert sug["annotators"] == {"ann": {"labels": 4, "with_suggestion": 3, "equal_to_suggestion": 2},
                                 "bob": {"labels": 3, "with_suggestion": 0, "equal_to_suggestion": 0}}
    assert sug["rows_with_suggestion_visible"] == 3  # ann's rows 0-2; bob's rows were all blind
    card = (out / "README.md").read_text("utf-8")
    section = card[card.index("## Suggestions"):card.index("## Left out")]
    assert "| ann | 4 | 3 (75.0%) | 2 (66.7%) |" in section and "| bob | 3 | 0 (0.0%) | 0 (-) |" in section
    assert "3 of the 7 rows" in section
    # majority rows: a row counts when any annotator behind it saw a suggestion
    out2 = tmp_path / "out2"
    ok(export(project, out2, "--split", "100"))
    assert stats(out2)["suggestions"]["rows_with_suggestion_visible"] == 2  # 0 and 1 (2 is a tie, 3 has one vote)
    # a blind corpus says so
    build.labels("news/s", "ann", ["fact", "opinion", "quote", "fact"])
    out3 = tmp_path / "out3"
    ok(export(project, out3, "--split", "100"))
    assert "Every label was made blind" in (out3 / "README.md").read_text("utf-8")


def test_a_suggested_field_of_the_wrong_type_is_a_one_line_error(project: Project, build: Builder,
                                                                  tmp_path: Path) -> None:
    build.doc("news/s", ["One.", "Two."])
    path = build.labels("news/s", "ann", ["fact", "fact"], suggested={1: "fact"})
    path.write_text(path.read_text("utf-8").replace("suggested: fact", "suggested: [fact]"), "utf-8")
    out = tmp_path / "out"
    one_line_error(export(project, out, "--split", "100"), "suggested")
    assert not out.exists()


# --------------------------------------------------------------------------- unsure votes (issue 12, item 2)


@pytest.fixture
def unsure_case(project: Project, build: Builder) -> Project:
    """The row that once came out as ``agreement: NaN``: gold quote, alice fact, bob fact but unsure."""
    build.doc("d", ["Review decided this.", "Both said fact, bob unsure.", "Three votes here."])
    build.labels("d", "alice", ["fact", "fact", "fact"])
    build.labels("d", "bob", ["fact", "opinion", "opinion"], unsure=(0, 1, 2))
    build.labels("d", "carol", [None, None, "opinion"], unsure=(2,))
    build.labels("d", "gold", ["quote", None, None])
    return project


def test_unsure_weight_counts_in_majority_soft_label_and_agreement(unsure_case: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(unsure_case, out, "--split", "100"))  # default weight 0.5
    rows = read_rows(out)
    gold, second = rows
    assert (gold["label"], gold["label_source"]) == ("quote", "gold")
    assert gold["soft_label"] == {"fact": 1.0, "opinion": 0.0, "quote": 0.0, "speculation": 0.0}
    assert gold["agreement"] == 0.0  # two annotators voted, neither chose the gold label
    # alice fact (1) against bob's unsure opinion (0.5): fact wins, 2/3 of the weight
    assert (second["label"], second["label_source"]) == ("fact", "majority")
    assert second["soft_label"]["fact"] == 1 / 1.5 and second["agreement"] == 1 / 1.5
    # alice fact (1) against bob and carol's unsure opinions (0.5 + 0.5): a tie, left out
    assert stats(out)["left_out"]["tie"] == 1 and stats(out)["left_out"]["unsure_labels"] == 0
    assert "an unsure vote counts 0.5 of a vote" in (out / "README.md").read_text()


def test_unsure_weight_zero_and_one(unsure_case: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(unsure_case, out, "--split", "100", "--unsure-weight", "0"))
    rows = by_id(read_rows(out))
    gold = rows[next(i for i in rows if rows[i]["label_source"] == "gold")]
    # bob's unsure vote is dropped: one vote left, so agreement is null (not NaN), and the card says how many
    assert gold["soft_label"]["fact"] == 1.0 and gold["agreement"] is None
    st = stats(out)
    assert st["left_out"]["unsure_labels"] == 4 and st["rows_without_agreement"] == 3
    card = (out / "README.md").read_text()
    assert "null when fewer than 2 annotators have a counted vote: 3 of 3 rows" in card
    ok(export(unsure_case, out, "--split", "100", "--unsure-weight", "1"))
    # unsure votes count fully: gold against two facts, a tie (fact, opinion), opinion two to one
    assert [(r["label"], r["agreement"]) for r in read_rows(out)] == [("quote", 0.0), ("opinion", 2 / 3)]
    st = stats(out)
    assert st["left_out"]["tie"] == 1 and st["left_out"]["unsure_labels"] == 0
    assert st["options"]["unsure_weight"] == 1.0 and st["rows_without_agreement"] == 0


def test_include_unsure_is_weight_one(unsure_case: Project, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ok(export(unsure_case, a, "--split", "100", "--include-unsure"))
    ok(export(unsure_case, b, "--split", "100", "--unsure-weight", "1"))
    assert (a / "train.jsonl").read_bytes() == (b / "train.jsonl").read_bytes()
    one_line_error(export(unsure_case, a, "--include-unsure", "--unsure-weight", "0.5"), "give one of them")


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5", "half", ""])
def test_bad_unsure_weight_is_one_line(unsure_case: Project, tmp_path: Path, value: str) -> None:
    one_line_error(export(unsure_case, tmp_path / "out", "--unsure-weight", value), "--unsure-weight")
    assert not (tmp_path / "out").exists()


def test_no_nan_or_infinity_anywhere(unsure_case: Project, build: Builder, tmp_path: Path) -> None:
    path = build.labels("d", "alice", ["fact", "fact", "fact"], seconds={0: 2.0, 1: 3.0})
    # another program wrote an infinite time: accepted by the model (>= 0), never written as Infinity
    path.write_text(path.read_text().replace("seconds: 2.0", "seconds: .inf"))
    out = tmp_path / "out"
    for weight in ("0", "0.25", "1"):
        ok(export(unsure_case, out, "--split", "100", "--unsure-weight", weight, "--format", "jsonl,csv,prodigy"))
        for f in out.iterdir():
            text = f.read_text("utf-8")
            assert "NaN" not in text and "Infinity" not in text and "inf," not in text, f.name
        json.loads((out / "stats.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in stats.json"))
    assert read_rows(out)[0]["seconds"]["alice"] is None


def test_the_json_encoder_refuses_nan_and_infinity() -> None:
    from annotate.export.writers import JSON, dumps

    for bad in (float("nan"), float("inf"), -float("inf")):
        for encode in (JSON.encode, dumps):
            with pytest.raises(ValueError):
                encode({"agreement": bad})
    value = {"b": [1.5, None, 'x\u00e9"'], "a": {"z": 1, "y": True}}
    assert dumps(value) == JSON.encode(value)


def test_label_source_names_where_each_label_came_from(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for mode, expected in (("majority", {"gold", "majority"}), ("gold", {"gold"}),
                           ("annotator:bob", {"bob"}), ("all", {"alice", "bob", "carol"})):
        ok(export(small, out, "--split", "100", "--labels", mode))
        rows = read_rows(out)
        assert {r["label_source"] for r in rows} == expected, mode
        for r in rows:
            source = r["label_source"]
            if source == "gold":
                assert r["label"] == r["gold"]
            elif source != "majority":
                assert r["label"] == r["labels"][source] and r["id"].endswith(f":{source}") == (mode == "all")


def test_spacy_is_a_deprecated_name_of_prodigy(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ok(export(small, out, "--split", "100", "--format", "spacy"))
    assert "--format spacy is deprecated" in result.stderr and "--format prodigy" in result.stderr
    assert (out / "train.prodigy.jsonl").exists()
    assert stats(out)["options"]["formats"] == ["prodigy"]


def test_a_failed_export_leaves_the_folder_as_it_was(small: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok(export(small, out, "--split", "100"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    one_line_error(export(small, out, "--split", "100", "--labels", "annotator:bob", "--format", "csv",
                          "--unsure-weight", "0", "--min-agreement", "0.5"), "apply to --labels majority only")
    (small.labels / "news/a/alice.yaml").write_text("version: 1\nsentences: [\n")
    result = export(small, out, "--split", "100", "--format", "jsonl,csv")
    assert result.exit_code == 2 and "alice.yaml" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_rows_carry_the_documents_metadata_and_the_card_counts_per_outlet(small: Project, build: Builder,
                                                                           tmp_path: Path) -> None:
    """Issue 13: metadata where people look; every row's `meta` has the same keys (one Arrow schema)."""
    from annotate.metadata import write_metadata
    from annotate.models import DocumentMeta

    build.doc("news/b", ["Talks ended on Friday.", "Both sides may meet again."])
    build.labels("news/b", "alice", ["fact", "speculation"])
    build.doc("news/c", ["A third one.", "It has no outlet."])
    build.labels("news/c", "alice", ["fact", "fact"])
    write_metadata(small, "news/a", DocumentMeta(title="Kim in Beijing", outlet="Wire", url="https://example.org/a",
                                                 date="2024-05-01", fields={"section": "world", "words": 612}))
    write_metadata(small, "news/b", DocumentMeta(title="Talks end", outlet="Daily"))
    out = tmp_path / "out"
    formats = ["--format", "jsonl", "--format", "csv"]
    if importlib.util.find_spec("pyarrow"):
        formats += ["--format", "parquet"]
    ok(export(small, out, "--split", "100", *formats))
    rows = read_rows(out)
    by_doc = {r["document"]: r["meta"] for r in rows}
    keys = ["title", "url", "date", "outlet", "author", "language", "section", "words"]
    assert all(sorted(m) == sorted(keys) for m in by_doc.values())  # the same keys on every row
    assert by_doc["news/a"]["outlet"] == "Wire" and by_doc["news/a"]["words"] == "612"
    assert by_doc["news/b"] == {**dict.fromkeys(keys), "title": "Talks end", "outlet": "Daily"}
    assert all(v is None for v in by_doc["news/c"].values())
    stats = json.loads((out / "stats.json").read_text())
    assert stats["meta_fields"] == keys
    assert {k: v["documents"] for k, v in stats["outlets"].items()} == {"Daily": 1, "Wire": 1, "(unknown)": 1}
    assert stats["outlets"]["Daily"]["labels"]["speculation"] == 1
    card = (out / "README.md").read_text()
    assert "## Outlets" in card and "| Wire | 1 |" in card and "| (unknown) | 1 |" in card
    if importlib.util.find_spec("pyarrow"):
        import pyarrow.parquet as pq

        assert pq.read_table(out / "train.parquet").to_pylist() == rows


def test_a_broken_metadata_file_is_warned_about_and_the_export_goes_on(small: Project, tmp_path: Path) -> None:
    (small.seeds / "news" / "a.meta.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    result = ok(export(small, out, "--split", "100"))
    assert "seeds/news/a.meta.yaml:" in result.stderr and "without metadata" in result.stderr
    stats = json.loads((out / "stats.json").read_text())
    assert stats["left_out"]["metadata_unreadable"] == 1
    assert all(v is None for r in read_rows(out) for v in r["meta"].values())
