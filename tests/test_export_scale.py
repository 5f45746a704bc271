"""Export and agreement keep memory flat as the corpus grows (tracemalloc), and Parquet comes in row groups."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.export import ExportOptions, run_export
from annotate.store import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_export import make_corpus  # noqa: E402

TOLERANCE = 1.25
"""Peak memory at 500 documents may be at most this times the peak at 50 (ten times the documents), ..."""
INTERPRETER = 2 * 1024 * 1024
"""... plus this much for tables of the interpreter that one run may happen to grow or rehash (CPython's interned
strings: a single 1.8 MiB allocation measured inside pathlib), whatever the corpus size. A regression to holding
the rows costs tens of megabytes at 500 documents, far above it."""
PER_DOCUMENT = 1024
"""... plus this many bytes for each added document: what the export must keep of every document (its id, split
and group, 8 bytes for each of its sentences' hashes) and agreement of every document (its figures). Rows cost
about 4 KiB each when all were held: 12 rows a document here, 48 KiB."""


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Project]:
    out = {}
    for docs in (50, 500):
        root = tmp_path_factory.mktemp(f"c{docs}") / "proj"
        make_corpus(root, docs=docs, annotators=3, sentences=12, shared_every=10, foreign=True)
        out[docs] = Project(root)
    return out


MEASURE = """
import json, sys, tracemalloc
from pathlib import Path
from annotate.agreement import write_json
from annotate.export import ExportOptions, run_export
from annotate.review import agreement_report
from annotate.store import Project

root, what, out = sys.argv[1], sys.argv[2], sys.argv[3]
project = Project(root)
if what == "agreement":
    def work():
        write_json(agreement_report(project, lazy_documents=True), lambda text: None)
else:
    labels, formats = what.split(":")
    options = ExportOptions(out=Path(out), labels=labels, formats=tuple(formats.split(",")))
    def work():
        run_export(project, options)
work()  # once before measuring: imports, the project's caches and the like are not per document
tracemalloc.start()
work()
print(tracemalloc.get_traced_memory()[1])
"""


def peak(project: Project, what: str, out: Path) -> int:
    """tracemalloc's peak of one run of ``what`` (``labels:formats`` of an export, or ``agreement``), measured in a
    fresh process: what earlier tests left in this one (caches, imports) must not move the figure."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(project.root), what, str(out)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("labels,formats", [("majority", ("jsonl", "csv")), ("all", ("parquet",))])
def test_export_memory_does_not_grow_with_documents(corpora: dict[int, Project], tmp_path: Path, labels: str,
                                                    formats: tuple[str, ...]) -> None:
    if "parquet" in formats:
        pytest.importorskip("pyarrow")
    peaks = {docs: peak(project, f"{labels}:{','.join(formats)}", tmp_path / f"out{docs}")
             for docs, project in corpora.items()}
    rows = json.loads((tmp_path / "out500" / "stats.json").read_text())["rows"]
    assert rows > 5_000
    assert peaks[500] <= TOLERANCE * peaks[50] + PER_DOCUMENT * 450 + INTERPRETER, peaks


def test_agreement_memory_does_not_grow_with_documents(corpora: dict[int, Project]) -> None:
    peaks = {docs: peak(project, "agreement", Path("-")) for docs, project in corpora.items()}
    assert peaks[500] <= TOLERANCE * peaks[50] + PER_DOCUMENT * 450 + INTERPRETER, peaks


def test_parquet_is_written_in_row_groups(corpora: dict[int, Project], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from annotate.export import writers

    monkeypatch.setattr(writers, "ROW_GROUP_ROWS", 1000)
    out = tmp_path / "out"
    run_export(corpora[50], ExportOptions(out=out, labels="all", formats=("parquet", "jsonl")))
    meta = pq.ParquetFile(out / "train.parquet").metadata
    assert meta.num_row_groups > 1 and max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) < 1100
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text("utf-8").splitlines()]
    assert pq.read_table(out / "train.parquet").to_pylist() == rows


def test_one_row_group_is_what_write_table_writes(corpora: dict[int, Project], tmp_path: Path) -> None:
    """The streaming writer gives the bytes a whole-table write gives (the export's Parquet before streaming)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from annotate.export.writers import arrow_schema

    out = tmp_path / "out"
    result = run_export(corpora[50], ExportOptions(out=out, formats=("parquet", "jsonl")))
    rows = [json.loads(line) for line in (out / "dev.jsonl").read_text("utf-8").splitlines()]
    meta_keys = result.stats["meta_fields"]
    table = pa.Table.from_pylist(rows, schema=arrow_schema(result.stats["annotators"],
                                                           [lab["name"] for lab in result.stats["tagset"]["labels"]],
                                                           meta_keys))
    pq.write_table(table, tmp_path / "whole.parquet", compression="zstd")
    assert (out / "dev.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()


def test_grouping_through_bucket_files_equals_a_plain_union_find(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from annotate.export import splits as sp

    monkeypatch.setattr(sp, "BUFFER", 4)  # every bucket goes to its file many times
    monkeypatch.setattr(sp, "BUCKETS", 3)
    rng = random.Random(3)
    keys = {f"d{i:03d}": [f"s{rng.randrange(400)}" for _ in range(rng.randrange(0, 12))] for i in range(120)}
    got = sp.assign_splits(keys, 1, (("train", 80), ("dev", 10), ("test", 10)))
    # the reference: documents sharing a text, joined transitively, named by their smallest id
    parent = {d: d for d in keys}

    def find(d: str) -> str:
        while parent[d] != d:
            d = parent[d]
        return d

    first: dict[str, str] = {}
    for d in sorted(keys):
        for t in keys[d]:
            other = first.setdefault(t, d)
            a, b = sorted((find(other), find(d)))
            parent[b] = a
    assert got.group == {d: find(d) for d in keys}
    assert got.split == {d: sp.split_of(find(d), 1, (("train", 80), ("dev", 10), ("test", 10))) for d in keys}
    docs_of: dict[str, set[str]] = {}
    for d, texts in keys.items():
        for t in texts:
            docs_of.setdefault(t, set()).add(d)
    assert sorted(got.shared.values()) == sorted(len(v) for v in docs_of.values() if len(v) > 1)
