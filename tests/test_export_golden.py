"""Exports of the fixture corpus are byte-identical to the golden files (written before the export streamed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from export_golden import BINARY, CASES, GOLDEN, PROJECT, export_case


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden") / "project"
    shutil.copytree(PROJECT, root)
    return root


def _rows(folder: Path, split: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / f"{split}.jsonl").read_text("utf-8").splitlines()]


@pytest.mark.parametrize("case", list(CASES))
def test_export_is_byte_identical_to_the_golden_files(copy: Path, tmp_path: Path, case: str) -> None:
    out = tmp_path / case
    result = export_case(copy, out, CASES[case])
    golden = GOLDEN / case
    written = {f.name for f in result.files}
    assert {f.name for f in golden.iterdir()} == {n for n in written if not n.endswith(BINARY)}
    for name in sorted(written):
        if name.endswith(BINARY):
            continue
        assert (out / name).read_bytes() == (golden / name).read_bytes(), f"{case}/{name} differs from the golden file"
    parquet = sorted(n for n in written if n.endswith(".parquet"))
    if parquet:
        pq = pytest.importorskip("pyarrow.parquet")
        for name in parquet:
            split = name.removesuffix(".parquet")
            assert pq.read_table(out / name).to_pylist() == _rows(golden, split), f"{case}/{name}"


def test_the_fixture_has_every_case() -> None:
    stats = json.loads((GOLDEN / "majority" / "stats.json").read_text())
    left = stats["left_out"]
    for key in ("boundary_disagreements", "orphans", "stale_files", "missing_source", "empty_files", "tie"):
        assert left[key] > 0, key
    assert stats["groups"]["shared_text_groups"] > 0 and all(s["rows"] for s in stats["splits"].values())
    strict = json.loads((GOLDEN / "majority-strict" / "stats.json").read_text())
    assert strict["left_out"]["duplicates"] > 0 and strict["left_out"]["unsure_labels"] > 0
