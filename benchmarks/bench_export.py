"""Time ``annotate export`` as a user runs it against a process that only loads the same label files with libyaml.

    . .venv/bin/activate
    python benchmarks/bench_export.py                 # 1,000 docs x 3 annotators x 40 sentences
    python benchmarks/bench_export.py --docs 200 --repeat 5 --own-writer --with-caches --keep

A corpus is generated in a temporary folder: ``seeds/doc-NNNN.txt`` (news-like
sentences from templates, a few wire-copy sentences shared between neighbouring
documents) and ``labels/doc-NNNN/<annotator>.yaml``. By default the label files are
written as another program would write them (``yaml.safe_dump``, libyaml's emitter;
unlabeled sentences without a ``label`` key; no schema header) and no JSON caches lie
beside them: the case of issue 12, item 14. ``--own-writer`` writes them with
``annotate.yamlio.dump_document`` instead (what a labeling session saves). Every tenth
document also gets a ``gold.yaml``. The tagset is the shipped one.

Timed, median of ``--repeat`` runs (3 by default), the two interleaved so that a
noisy neighbour on a shared machine slows both alike; each is a child process, its
wall clock, CPU time (user + system) and peak resident memory (``os.wait4``) measured
from outside:

a) load: ``python -c`` reading every label file with ``yaml.load(..., Loader=yaml.CSafeLoader)``
   and nothing else: what any tool that loads the YAML files the usual way pays;
b) export: ``annotate export --out D --split 80/10/10`` (JSONL), the whole command.

It prints b/a; the target is <= 1.3x (exit 1 above it). ``--with-caches`` then writes
the JSON caches a labeling session leaves and times the export again, reported apart.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotate.store import SCHEMA_HEADER  # noqa: E402
from annotate.yamlio import dump_document  # noqa: E402

LABELS = ("fact", "speculation", "quote", "opinion")
PEOPLE = ("Maria Lopez", "Chen Wei", "Ahmed Karim", "Olga Petrova", "James Whitfield", "Aiko Tanaka",
          "Samuel Okafor", "Ingrid Larsen", "Rafael Costa", "Priya Natarajan")
PLACES = ("Beijing", "Lagos", "Oslo", "Lima", "Hanoi", "Nairobi", "Quito", "Tbilisi", "Dhaka", "Porto")
THINGS = ("the budget", "the trade deal", "the new bridge", "the election", "the strike", "the vaccine rollout",
          "the port expansion", "the tax reform", "the pipeline", "the summit")
TEMPLATES = {  # every template has {n}: sentences repeat across documents only where meant to (wire copy)
    "fact": ("{p} arrived in {c} on {d} for talks on {t} with {n} delegates.",
             "Officials in {c} signed {t} after {n} hours of negotiations.",
             "The government spent {n} million on {t} last year."),
    "speculation": ("{p} is expected to raise {t} with {n} officials when visiting {c} on {d}.",
                    "Analysts say {t} could be delayed by {n} days.",
                    "It may take {c} {n} days to finish {t}."),
    "quote": ('"We will not give up on {t} after {n} days," {p} said in {c}.',
              '"{n} families lost their homes," a spokesperson told reporters in {c}.',
              '{p} said: "Nobody among the {n} residents of {c} wanted {t}."'),
    "opinion": ("{t} is a reckless gamble for the {n} taxpayers of {c}.",
                "Nobody should trust {p} with {t} and its {n} pages of promises.",
                "The handling of {t} over {n} days was a disgrace."),
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _sentence(rng: random.Random, kind: str) -> str:
    text = rng.choice(TEMPLATES[kind]).format(
        p=rng.choice(PEOPLE), c=rng.choice(PLACES), t=rng.choice(THINGS), d=rng.choice(DAYS),
        n=rng.randint(2, 99_999))
    return text[0].upper() + text[1:]


def foreign_dump(data: dict[str, object]) -> str:
    """A label file as another program writes it: ``yaml.safe_dump`` (libyaml's emitter when present), no label key
    on unlabeled sentences, no schema header."""
    for item in data["sentences"]:  # type: ignore[attr-defined]
        if item.get("label") is None:
            item.pop("label", None)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, default_flow_style=False, sort_keys=True)


def make_corpus(root: Path, docs: int = 1000, annotators: int = 3, sentences: int = 40, seed: int = 1,
                gold_every: int = 10, shared_every: int = 25, foreign: bool = False) -> dict[str, int]:
    """Write a deterministic project under ``root``; returns counts (files, sentences, bytes).

    ``foreign``: the label files are written as another program would (:func:`foreign_dump`)
    instead of with annotate's own writer.
    """
    rng = random.Random(seed)
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    # the shipped tagset, with its suggest: sections (the agreement report runs its cue rules)
    (root / "schemas" / "claim-types.yaml").write_bytes((ROOT / "annotate" / "data" / "claim-types.yaml").read_bytes())
    names = [f"ann{k}" for k in range(annotators)]
    files = size = 0
    wire: tuple[str, str] | None = None
    for d in range(docs):
        doc_id = f"doc-{d:04d}"
        kinds = [rng.choices(LABELS, weights=(5, 2, 2, 1))[0] for _ in range(sentences)]
        texts = [_sentence(rng, k) for k in kinds]
        if wire is not None:  # wire copy: the previous document's sentence repeated here
            kinds[-1], texts[-1] = wire
            wire = None
        if shared_every and d % shared_every == 0:
            wire = (kinds[1], texts[1])
        parts, spans, pos = [], [], 0
        for i, t in enumerate(texts):
            if i:
                sep = "\n\n" if i % 5 == 0 else " "
                parts.append(sep)
                pos += len(sep)
            parts.append(t)
            spans.append((pos, pos + len(t)))
            pos += len(t)
        text = "".join(parts) + "\n"
        raw = text.encode("utf-8")
        (root / "seeds" / f"{doc_id}.txt").write_bytes(raw)
        sha = hashlib.sha256(raw).hexdigest()
        folder = root / "labels" / doc_id
        folder.mkdir(parents=True, exist_ok=True)
        who = names + (["gold"] if gold_every and d % gold_every == 0 else [])
        for name in who:
            items = []
            for (s, e), kind in zip(spans, kinds, strict=True):
                item: dict[str, object] = {"start": s, "end": e, "text": text[s:e]}
                r = rng.random()
                if name == "gold":
                    label: str | None = kind
                elif r < 0.04:
                    label = None
                elif r < 0.86:
                    label = kind
                else:
                    label = rng.choice(LABELS)
                item["label"] = label
                if name != "gold" and label is not None:
                    if rng.random() < 0.03:
                        item["unsure"] = True
                    if rng.random() < 0.02:
                        item["note"] = "hedged?"
                    item["seconds"] = round(rng.uniform(1, 9), 1)
                items.append(item)
            data = {"version": 1, "document": doc_id, "source": f"seeds/{doc_id}.txt", "source_sha256": sha,
                    "annotator": name, "scheme": "claim-types", "sentences": items}
            out = (foreign_dump(data) if foreign else dump_document(data, header=SCHEMA_HEADER)).encode("utf-8")
            (folder / f"{name}.yaml").write_bytes(out)
            files += 1
            size += len(out)
    return {"files": files, "sentences": docs * sentences, "bytes": size}


def write_caches(root: Path) -> int:
    """Write the JSON caches a LabelSession leaves beside its files (same format as session.fold)."""
    from annotate.reading import cache_path

    n = 0
    for path in sorted((root / "labels").glob("*/*.yaml")):
        raw = path.read_bytes()
        data = yaml.load(raw, Loader=yaml.CSafeLoader)
        cache = {"sha256": hashlib.sha256(raw).hexdigest(), "data": data}
        cache_path(path).write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
        n += 1
    return n


def caches_present(root: Path) -> int:
    """How many ``.<annotator>.cache.json`` files there are under labels/."""
    return sum(1 for _ in (root / "labels").glob("*/.*.cache.json"))


LOAD_SCRIPT = """
import sys, yaml
from pathlib import Path
for p in sorted(Path(sys.argv[1]).glob("labels/**/*.yaml")):
    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)
"""
_SCRIPT = Path(sys.executable).with_name("annotate")
ANNOTATE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "annotate"]
"""The command as a user runs it: the installed ``annotate`` script beside this Python."""


@dataclass
class Run:
    """One child process, measured from outside."""

    wall: float
    cpu: float
    rss_mb: float


def measure(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to its end; its wall clock, CPU seconds (user + system) and peak resident memory."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def load_cmd(root: Path) -> list[str]:
    """The baseline: a process that loads every label file with CSafeLoader."""
    return [sys.executable, "-c", LOAD_SCRIPT, str(root)]


def export_cmd(root: Path, out: Path, *args: str) -> list[str]:
    """``annotate --root ROOT export --out OUT --split 80/10/10 ARGS``."""
    return [*ANNOTATE, "--root", str(root), "export", "--out", str(out), "--split", "80/10/10", *args]


def interleaved(cmds: dict[str, list[str]], repeat: int) -> dict[str, list[Run]]:
    """Run each command ``repeat`` times, round robin, so that a noisy neighbour slows all alike."""
    runs: dict[str, list[Run]] = {name: [] for name in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            runs[name].append(measure(cmd))
    return runs


def median(runs: list[Run], attr: str) -> float:
    """The median of one measure."""
    return statistics.median(getattr(r, attr) for r in runs)


def _fmt(runs: list[Run], attr: str) -> str:
    return ", ".join(f"{getattr(r, attr):.2f}" for r in runs)


def report(runs: dict[str, list[Run]], base: str = "load") -> dict[str, float]:
    """Print each command's medians and its wall-clock ratio to ``base``; the ratios."""
    ratios = {}
    a = median(runs[base], "wall")
    ca = median(runs[base], "cpu")
    for name, rs in runs.items():
        w, c = median(rs, "wall"), median(rs, "cpu")
        ratios[name] = w / a
        print(f"  {name:<22} wall {w:6.2f} s [{_fmt(rs, 'wall')}]  cpu {c:6.2f} s  peak RSS"
              f" {median(rs, 'rss_mb'):6.1f} MB   wall {w / a:.2f}x, cpu {c / ca:.2f}x the load")
    return ratios


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--annotators", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--target", type=float, default=1.3, help="Maximum export/load ratio (default 1.3).")
    ap.add_argument("--own-writer", action="store_true", help="Write the label files with annotate's own writer.")
    ap.add_argument("--with-caches", action="store_true", help="Also time the export with JSON caches present.")
    ap.add_argument("--keep", action="store_true", help="Keep the temporary corpus and print its path.")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        root = tmp / "proj"
        t0 = time.perf_counter()
        counts = make_corpus(root, args.docs, args.annotators, args.sentences, foreign=not args.own_writer)
        print(f"corpus: {args.docs} docs x {args.annotators} annotators x {args.sentences} sentences"
              f" (+ gold on every 10th doc): {counts['files']} label files, {counts['bytes'] / 1e6:.1f} MB,"
              f" written by {'annotate' if args.own_writer else 'yaml.safe_dump'} in {time.perf_counter() - t0:.1f} s;"
              f" caches present: {caches_present(root)}")
        measure(load_cmd(root))  # warm the page cache for both sides
        cmds = {"load": load_cmd(root), "export": export_cmd(root, tmp / "out")}
        runs = interleaved(cmds, args.repeat)
        ratio = report(runs)["export"]
        verdict = "ok" if ratio <= args.target else "FAIL"
        print(f"export/load = {ratio:.2f}x wall clock (target <= {args.target}x): {verdict}")
        rows = sum(1 for f in (tmp / "out").glob("*.jsonl") for _ in f.open(encoding="utf-8"))
        print(f"rows exported: {rows}")
        if args.with_caches:
            n = write_caches(root)
            print(f"with caches ({n} written): the export reads the JSON caches, not the YAML")
            report(interleaved(cmds, args.repeat))
        if args.keep:
            print(f"kept: {tmp}")
        return 0 if ratio <= args.target else 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
