"""The export's golden files: a fixture corpus with every case, and what each labels mode writes from it.

    python tests/export_golden.py --corpus   # (re)write tests/data/export/project (the fixture corpus)
    python tests/export_golden.py --golden   # (re)write tests/data/export/golden from the current code

The goldens were written before the export streamed (one pass over documents held in
memory); ``tests/test_export_golden.py`` checks that every later export of the fixture is
byte-identical to them. Rewrite them only for a change of output you mean to make.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "export"
PROJECT = DATA / "project"
GOLDEN = DATA / "golden"
VERSION = "golden"
"""The tool version written into the card and stats.json of a golden export (it changes with releases)."""

ALL_FORMATS = ("--format", "jsonl,csv,prodigy,parquet")
CASES: dict[str, tuple[str, ...]] = {
    "majority": ("--seed", "1", *ALL_FORMATS),
    "majority-strict": ("--unsure-weight", "0", "--min-annotators", "2", "--min-agreement", "0.6", "--dedupe",
                        "--context", "2", "--split", "70/30", "--seed", "7", *ALL_FORMATS),
    "gold": ("--labels", "gold", "--seed", "1", *ALL_FORMATS),
    "all": ("--labels", "all", "--unsure-weight", "0.25", "--seed", "1", *ALL_FORMATS),
    "annotator": ("--labels", "annotator:ann1", "--split", "50/25/25", *ALL_FORMATS),
}
"""Golden exports: folder name -> options of ``annotate export``."""

BINARY = (".parquet",)
"""Outputs compared by content, not bytes (pyarrow writes its version into the file)."""


def _write_labels(root: Path, doc: str, name: str, items: list[dict[str, Any]], orphans: list[Any] | None = None,
                  sha: str | None = None) -> None:
    from annotate.store import SCHEMA_HEADER
    from annotate.yamlio import dump_document

    raw = (root / "seeds" / f"{doc}.txt").read_bytes()
    data: dict[str, Any] = {"version": 1, "document": doc, "source": f"seeds/{doc}.txt",
                            "source_sha256": sha or hashlib.sha256(raw).hexdigest(), "annotator": name,
                            "scheme": "claim-types", "sentences": items}
    if orphans:
        data["orphans"] = orphans
    path = root / "labels" / doc / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_document(data, header=SCHEMA_HEADER), encoding="utf-8")


def _items(text: str, sentences: list[str], labels: list[str | None], **extra: dict[int, Any]) -> list[dict[str, Any]]:
    items, pos = [], 0
    for i, (s, label) in enumerate(zip(sentences, labels, strict=True)):
        start = text.index(s, pos)
        pos = start + len(s)
        item: dict[str, Any] = {"start": start, "end": pos, "text": s, "label": label}
        for key, values in extra.items():
            if i in values:
                item[key] = values[i]
        items.append(item)
    return items


def make_corpus(root: Path) -> None:
    """The fixture: generated news documents plus hand-made cases (boundaries, orphans, stale, empty, no source)."""
    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    from bench_export import make_corpus as generated

    generated(root, docs=16, annotators=3, sentences=8, seed=5, gold_every=4, shared_every=3)
    sents = ['Ünïcödé — “curly” quotes, a comma, and a tab\there.', 'He said: "yes, really", then left.',
             "The same sentence twice.", "Analysts say it could rain.", "The same sentence twice."]
    text = " ".join(sents) + "\n"
    (root / "seeds" / "extra").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / "extra" / "cases.txt").write_text(text, encoding="utf-8")
    doc = "extra/cases"
    _write_labels(root, doc, "ann0", _items(text, sents, ["fact", "quote", "fact", "speculation", "opinion"],
                                            note={0: 'a "note", with comma\nand a line'}, seconds={1: 3.5},
                                            suggested={3: "speculation", 1: "fact"}, unsure={4: True}),
                  orphans=[{"start": 0, "end": 3, "text": "Old", "label": "fact"}])
    merged = [sents[0], sents[1] + " " + sents[2], sents[3], sents[4]]
    _write_labels(root, doc, "ann1", _items(text, merged, ["fact", "quote", "speculation", "fact"]))
    _write_labels(root, doc, "ann2", _items(text, sents, [None] * 5))  # opened, never labeled
    # a stale file: ann2's labels of doc-0002 were made for a source since corrected
    source = root / "seeds" / "doc-0002.txt"
    old = source.read_text("utf-8")
    label_file = root / "labels" / "doc-0002" / "ann2.yaml"
    old_sha = hashlib.sha256(old.encode()).hexdigest()
    source.write_text("Corrected: " + old, encoding="utf-8")
    for name in ("ann0", "ann1", "gold"):  # the others were re-anchored already (as validate --fix does)
        p = root / "labels" / "doc-0002" / f"{name}.yaml"
        if p.exists():
            _shift(p, len("Corrected: "), hashlib.sha256(source.read_bytes()).hexdigest())
    assert old_sha in label_file.read_text()
    ghost = root / "labels" / "ghost"  # label files of a document without a source
    ghost.mkdir()
    shutil.copy(root / "labels" / "doc-0001" / "ann0.yaml", ghost / "ann0.yaml")


def _shift(path: Path, by: int, sha: str) -> None:
    import yaml

    from annotate.store import SCHEMA_HEADER
    from annotate.yamlio import dump_document

    data = yaml.safe_load(path.read_text("utf-8"))
    data["source_sha256"] = sha
    for s in data["sentences"]:
        s["start"] += by
        s["end"] += by
    path.write_text(dump_document(data, header=SCHEMA_HEADER), encoding="utf-8")


def export_case(project: Path, out: Path, args: tuple[str, ...]) -> Any:
    """Run one golden export of ``project`` (a copy: the export caches spans inside it) into ``out``."""
    import annotate
    from annotate.export import parse_options, run_export
    from annotate.store import Project

    opts = _options(args)
    saved, annotate.__version__ = annotate.__version__, VERSION
    try:
        options = parse_options(out, **opts)
        return run_export(Project(project), options, command="annotate export " + " ".join(args))
    finally:
        annotate.__version__ = saved


def _options(args: tuple[str, ...]) -> dict[str, Any]:
    names = {"--labels": "labels", "--unsure-weight": "unsure_weight", "--min-annotators": "min_annotators",
             "--min-agreement": "min_agreement", "--split": "split", "--seed": "seed", "--context": "context",
             "--format": "formats"}
    opts: dict[str, Any] = {}
    it = iter(args)
    for a in it:
        if a == "--dedupe":
            opts["dedupe"] = True
        elif a == "--format":
            opts["formats"] = (next(it),)
        else:
            opts[names[a]] = next(it)
    return opts


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE.parent))
    import tempfile

    if "--corpus" in argv:
        shutil.rmtree(PROJECT, ignore_errors=True)
        make_corpus(PROJECT)
        print(f"wrote {PROJECT}")
    if "--golden" in argv:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "project"
            shutil.copytree(PROJECT, copy)
            for case, args in CASES.items():
                result = export_case(copy, GOLDEN / case, args)
                for f in result.files:
                    if f.suffix in BINARY:
                        f.unlink()
                print(f"{case}: {result.stats['rows']} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
