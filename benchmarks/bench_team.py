"""Time the team commands and the home screen on a big project against listing it and loading its label files.

    . .venv/bin/activate
    python benchmarks/bench_team.py                    # 10,000 docs, 10 annotators, 2 per doc: 20,000 label files
    python benchmarks/bench_team.py --docs 1000 --repeat 3 --no-git --keep
    python benchmarks/bench_team.py --project /tmp/team10k   # generate there once, reuse on later runs

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
c) ``annotate assign``, ``annotate status --by annotator``, ``annotate status`` (its table,
   and ``--json``), each a fresh process, and the home screen: ``annotate --annotator ann0``
   on a 120x40 pseudo-terminal, from the start of the process until the screen shows the
   list with the annotator's queue (the bar's "sorted by" and a row of the list: the first
   full frame with progress, as the user sees it; then the app is killed). Each cold (the
   tool's caches under ``.annotate/`` and beside label files removed first) and warm (run
   again at once).

Context, same run: a fresh ``python -c`` process that lists and stats the same files (what
any command pays before it has read a byte, interpreter start included), and a bare Textual
app's first frame on the same terminal (what any screen pays before it shows anything).

Targets (issue 17, item 5): warm <= 2x a), cold <= 1.3x b). The children run with a private
bytecode cache (``PYTHONPYCACHEPREFIX``, filled by a first run), as an installed package does
even where PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_export import LABELS, _sentence  # noqa: E402
from term import Terminal, spawn_on_pty  # noqa: E402

from annotate.models import ProjectFile  # noqa: E402
from annotate.store import SCHEMA_HEADER  # noqa: E402
from annotate.team.assign import plan  # noqa: E402
from annotate.yamlio import dump_document  # noqa: E402

LIST_SCRIPT = ("import os, sys\n"
               "for top in ('seeds', 'labels', 'schemas'):\n"
               "    for d, _, names in os.walk(os.path.join(sys.argv[1], top)):\n"
               "        for n in names:\n"
               "            os.stat(os.path.join(d, n))\n")
BARE_APP = ("from textual.app import App\nfrom textual.widgets import Static\n"
            "class Bare(App):\n    def compose(self):\n        yield Static('bare app ready')\n"
            "Bare().run()\n")
SIZE = (120, 40)


def make_team_project(root: Path, docs: int, annotators: int, per_doc: int, sentences: int, seed: int = 1) -> int:
    """Write the project; returns the number of label files."""
    rng = random.Random(seed)
    (root / "seeds").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "schemas" / "claim-types.yaml").write_bytes((ROOT / "annotate" / "data" / "claim-types.yaml").read_bytes())
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


def child_env(pycache: Path) -> dict[str, str]:
    """The children's environment: a terminal, no Textual or colour overrides, a private bytecode cache."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TEXTUAL") and k not in ("COLORTERM", "NO_COLOR", "PYTHONDONTWRITEBYTECODE")}
    env.update(TERM="xterm-256color", PYTHONPYCACHEPREFIX=str(pycache))
    return env


def run(command: list[str], env: dict[str, str]) -> float:
    """Seconds for a fresh process running ``command`` (output discarded; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
    took = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{command}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return took


def first_frame(command: list[str], env: dict[str, str], ready: str, timeout: float = 600.0) -> float:
    """Seconds from starting ``command`` on a pseudo-terminal until its screen shows ``ready`` and a row of the
    list (a line with ``doc-``), measured from outside; then the process is killed."""
    t0 = time.perf_counter()
    proc, master = spawn_on_pty(command, os.getcwd(), {**env, "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1])},
                                *SIZE)
    buf = bytearray()
    try:
        while time.perf_counter() - t0 < timeout:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                buf += chunk
                screen = Terminal(*SIZE)
                screen.feed(bytes(buf))
                text = screen.text()
                if ready in text and (ready == "bare app ready" or "doc-" in text.split("document", 1)[-1]):
                    return time.perf_counter() - t0
            elif proc.poll() is not None:
                break
        screen = Terminal(*SIZE)
        screen.feed(bytes(buf))
        raise SystemExit(f"{command}: no full frame after {time.perf_counter() - t0:.0f} s:\n{screen.text()}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)


def commands(root: Path) -> dict[str, list[str]]:
    """The commands timed, as the user runs them."""
    cli = [sys.executable, "-m", "annotate", "--root", str(root)]
    return {"annotate assign": [*cli, "assign"],
            "annotate status --by annotator": [*cli, "status", "--by", "annotator"],
            "annotate status": [*cli, "status"],
            "annotate status --json": [*cli, "status", "--json"]}


HOME_SCREEN = "home screen (first full frame)"


def time_subject(name: str, root: Path, env: dict[str, str]) -> float:
    """One timing of a subject (a command, or the home screen)."""
    if name == HOME_SCREEN:
        return first_frame([sys.executable, "-m", "annotate", "--root", str(root), "--annotator", "ann0"], env,
                           "sorted by")
    return run(commands(root)[name], env)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--annotators", type=int, default=10)
    ap.add_argument("--per-document", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-git", action="store_true", help="Do not make the project a git repository.")
    ap.add_argument("--keep", action="store_true", help="Keep the generated project and print its path.")
    ap.add_argument("--project", type=Path, default=None,
                    help="Generate the project in this folder, or reuse the one generated there before (kept).")
    ap.add_argument("--only", default=None, help="Time only the subjects whose name contains this text.")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-team-"))
    root = args.project or tmp / "proj"
    try:
        prepare(root, args)
        env = child_env(tmp / "pycache")
        subjects = [n for n in [*commands(root), HOME_SCREEN] if args.only is None or args.only in n]
        for name in subjects:  # once, unmeasured: the bytecode cache, and every file in the page cache
            time_subject(name, root, env)
        load_all(root)
        times: dict[str, list[float]] = {"list+stat": [], "list+stat process": [], "load": [],
                                         "bare Textual app, first frame": []}
        for name in subjects:
            times[f"{name} cold"], times[f"{name} warm"] = [], []
        for _ in range(args.repeat):
            times["list+stat"].append(list_and_stat(root))
            times["list+stat process"].append(run([sys.executable, "-c", LIST_SCRIPT, str(root)], env))
            times["load"].append(load_all(root))
            times["bare Textual app, first frame"].append(first_frame([sys.executable, "-c", BARE_APP], env,
                                                                      "bare app ready"))
            for name in subjects:
                clear_caches(root)
                times[f"{name} cold"].append(time_subject(name, root, env))
                times[f"{name} warm"].append(time_subject(name, root, env))
        return report(times, subjects)
    finally:
        shutil.rmtree(tmp / "pycache", ignore_errors=True)
        if args.project is None and args.keep:
            print(f"kept: {root}")
        elif args.project is None:
            shutil.rmtree(tmp, ignore_errors=True)


def prepare(root: Path, args: argparse.Namespace) -> None:
    """Generate the project (unless ``--project`` names one generated before) and say what it is."""
    t0 = time.perf_counter()
    if not (root / "labels").is_dir():
        make_team_project(root, args.docs, args.annotators, args.per_document, args.sentences)
        if not args.no_git:
            git_commit_all(root)
    files = list((root / "labels").glob("*/*.yaml"))
    size = sum(p.stat().st_size for p in files)
    docs = sum(1 for _ in (root / "seeds").glob("*.txt"))
    print(f"project: {docs} documents, {len(files)} label files ({size / 1e6:.0f} MB),"
          f" {'in git' if (root / '.git').is_dir() else 'no git'}; ready in {time.perf_counter() - t0:.0f} s")


def report(times: dict[str, list[float]], subjects: list[str]) -> int:
    """Print medians and ratios against the targets; returns the exit code (1 when a target fails)."""
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:<46} median {med[k]:7.3f} s  [{', '.join(f'{x:.3f}' for x in v)}]")
    failed = False
    for name in subjects:
        warm = med[f"{name} warm"] / med["list+stat"]
        cold = med[f"{name} cold"] / med["load"]
        failed |= warm > 2.0 or cold > 1.3
        print(f"{name:<32} warm/list+stat = {warm:5.2f}x (target <= 2x: {'ok' if warm <= 2 else 'FAIL'};"
              f" {med[f'{name} warm'] / med['list+stat process']:4.2f}x a listing process)"
              f"   cold/load = {cold:5.2f}x (target <= 1.3x: {'ok' if cold <= 1.3 else 'FAIL'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
