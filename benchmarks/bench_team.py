"""Time the team commands on a big project against listing it and against loading its label files.

    . .venv/bin/activate
    python benchmarks/bench_team.py                    # 10,000 docs, 10 annotators, 2 per doc: 20,000 label files
    python benchmarks/bench_team.py --docs 1000 --repeat 3 --no-git --keep

A project is generated in a temporary folder: ``seeds/doc-NNNNN.txt`` (news-like
sentences from bench_export's templates), ``annotate.yaml`` (``--annotators`` people,
``--per-document`` of them per document) and, for each document, a label file of each
annotator the plan assigns (labels agree with a hidden truth 85% of the time; seconds on
every label, 3% unsure), written with ``dump_document`` and no parse caches. With git (the
default) the project is a repository with everything committed, as a team's clone is.

Timed in one run, interleaved (median of ``--repeat``), each command as the user runs it
(a fresh ``python -m annotate`` process):

a) list+stat: walk the project's folders and stat every file, once (in process);
b) load: every label file read and parsed with ``yaml.load(..., Loader=yaml.CSafeLoader)``;
c) ``annotate assign``, ``annotate status --by annotator`` and the home screen's queue
   (``annotate.team.queues.queue_of``, the call the home screen makes; timed in a fresh
   process too), each cold (the tool's caches under ``.annotate/`` and beside label files
   removed first) and warm (run again at once).

Targets (issue 17, item 5): warm <= 2x a), cold <= 1.3x b). The warm target needs a per-file
summary cache keyed by size and mtime; without one a warm run reads every file again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_export import LABELS, TAGSET, _sentence  # noqa: E402

from annotate.models import ProjectFile  # noqa: E402
from annotate.store import SCHEMA_HEADER  # noqa: E402
from annotate.team.assign import plan  # noqa: E402
from annotate.yamlio import dump_document  # noqa: E402

HOME = "import sys; from annotate.store import Project; from annotate.team.queues import queue_of; " \
       "q = queue_of(Project(sys.argv[1]), 'ann0'); print(len(q.items))"


def make_team_project(root: Path, docs: int, annotators: int, per_doc: int, sentences: int, seed: int = 1) -> int:
    """Write the project; returns the number of label files."""
    rng = random.Random(seed)
    (root / "seeds").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "schemas" / "claim-types.yaml").write_text(TAGSET, encoding="utf-8")
    names = [f"ann{k}" for k in range(annotators)]
    team_yaml = f"seed: 0\nannotators_per_document: {per_doc}\nannotators: [{', '.join(names)}]\nreviewers: [rev]\n"
    (root / "annotate.yaml").write_text(team_yaml, encoding="utf-8")
    doc_ids = [f"doc-{d:05d}" for d in range(docs)]
    assignment = plan(ProjectFile.model_validate(yaml.safe_load(team_yaml)), doc_ids)
    files = 0
    for doc_id in doc_ids:
        kinds = [rng.choices(LABELS, weights=(5, 2, 2, 1))[0] for _ in range(sentences)]
        texts = [_sentence(rng, k) for k in kinds]
        spans, pos = [], 0
        for t in texts:
            spans.append((pos, pos + len(t)))
            pos += len(t) + 1
        text = " ".join(texts) + "\n"
        raw = text.encode("utf-8")
        (root / "seeds" / f"{doc_id}.txt").write_bytes(raw)
        folder = root / "labels" / doc_id
        folder.mkdir(parents=True)
        for name in assignment[doc_id]:
            items = []
            for (s, e), kind in zip(spans, kinds, strict=True):
                label = kind if rng.random() < 0.85 else rng.choice(LABELS)
                item: dict[str, object] = {"start": s, "end": e, "text": text[s:e], "label": label,
                                           "seconds": round(rng.uniform(1, 9), 1)}
                if rng.random() < 0.03:
                    item["unsure"] = True
                items.append(item)
            data = {"version": 1, "document": doc_id, "source": f"seeds/{doc_id}.txt",
                    "source_sha256": hashlib.sha256(raw).hexdigest(), "annotator": name, "scheme": "claim-types",
                    "sentences": items}
            (folder / f"{name}.yaml").write_bytes(dump_document(data, header=SCHEMA_HEADER).encode("utf-8"))
            files += 1
    return files


def git_commit_all(root: Path) -> None:
    """Make the project a repository with everything committed (as a clone is)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.org", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.org"}
    (root / ".gitignore").write_text(".annotate/\n", encoding="utf-8")
    (root / "labels" / ".gitignore").write_text(".*\n!.gitignore\n", encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "labels"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def list_and_stat(root: Path) -> float:
    """Seconds to walk the project's folders and stat every file once."""
    t0 = time.perf_counter()
    for folder in ("seeds", "labels", "schemas"):
        for dirpath, _, filenames in os.walk(root / folder):
            for name in filenames:
                os.stat(os.path.join(dirpath, name))
    os.stat(root / "annotate.yaml")
    return time.perf_counter() - t0


def load_all(root: Path) -> float:
    """Seconds to read and parse every label file with libyaml's CSafeLoader."""
    t0 = time.perf_counter()
    for path in sorted((root / "labels").glob("*/*.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    return time.perf_counter() - t0


def clear_caches(root: Path) -> None:
    """Remove everything the tool keeps for itself: .annotate/ and the files beside label files."""
    shutil.rmtree(root / ".annotate", ignore_errors=True)
    for path in (root / "labels").glob("*/.*"):
        if path.name != ".gitignore":
            path.unlink()


def run(command: list[str]) -> float:
    """Seconds for a fresh process running ``command`` (output discarded; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    took = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return took


def commands(root: Path) -> dict[str, list[str]]:
    """The subjects, as the user runs them."""
    cli = [sys.executable, "-m", "annotate", "--root", str(root)]
    return {"annotate assign": [*cli, "assign"],
            "annotate status --by annotator": [*cli, "status", "--by", "annotator"],
            "home screen queue (queue_of)": [sys.executable, "-c", HOME, str(root)]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--annotators", type=int, default=10)
    ap.add_argument("--per-document", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-git", action="store_true", help="Do not make the project a git repository.")
    ap.add_argument("--keep", action="store_true", help="Keep the generated project and print its path.")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-team-"))
    root = tmp / "proj"
    try:
        t0 = time.perf_counter()
        files = make_team_project(root, args.docs, args.annotators, args.per_document, args.sentences)
        if not args.no_git:
            git_commit_all(root)
        size = sum(p.stat().st_size for p in (root / "labels").glob("*/*.yaml"))
        print(f"project: {args.docs} documents, {args.annotators} annotators, {args.per_document} per document:"
              f" {files} label files of {args.sentences} sentences ({size / 1e6:.0f} MB),"
              f" {'in git' if not args.no_git else 'no git'}; made in {time.perf_counter() - t0:.0f} s")
        load_all(root)  # the page cache, warm for every side alike
        subjects = commands(root)
        times: dict[str, list[float]] = {"list+stat": [], "load": []}
        for name in subjects:
            times[f"{name} cold"], times[f"{name} warm"] = [], []
        for _ in range(args.repeat):
            times["list+stat"].append(list_and_stat(root))
            times["load"].append(load_all(root))
            for name, command in subjects.items():
                clear_caches(root)
                times[f"{name} cold"].append(run(command))
                times[f"{name} warm"].append(run(command))
        return report(times, subjects)
    finally:
        if args.keep:
            print(f"kept: {root}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(times: dict[str, list[float]], subjects: dict[str, list[str]]) -> int:
    """Print medians and ratios against the targets; returns the exit code (1 when a target fails)."""
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:<44} median {med[k]:7.3f} s  [{', '.join(f'{x:.3f}' for x in v)}]")
    failed = False
    for name in subjects:
        warm = med[f"{name} warm"] / med["list+stat"]
        cold = med[f"{name} cold"] / med["load"]
        failed |= warm > 2.0 or cold > 1.3
        print(f"{name:<32} warm/list+stat = {warm:7.2f}x (target <= 2x: {'ok' if warm <= 2 else 'FAIL'})"
              f"   cold/load = {cold:5.2f}x (target <= 1.3x: {'ok' if cold <= 1.3 else 'FAIL'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
