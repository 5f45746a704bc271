"""Time ``annotate import`` of news articles against pySBD alone, and its memory on a 1 GB file.

    . .venv/bin/activate
    python benchmarks/bench_import.py                 # 1,000 articles; then a 1 GB JSONL file
    python benchmarks/bench_import.py --articles 300 --gb 0   # quicker, no 1 GB file
    python benchmarks/bench_import.py --rounds 3 --keep
    python benchmarks/bench_import.py --tmp /dev/shm --gb 0   # the project on tmpfs: without the disk's cost

Articles are generated in a temporary folder (never committed): a headline and about 35
sentences in paragraphs, drawn from the sample article and pySBD's golden rules with
numbers changed so that no two articles are the same, written as one JSONL file.

a) baseline: pySBD 0.3.4 (``Segmenter(language="en", clean=False)``) segments every
   article's text, in this process, on one core; divided by the number of cores;
b) import: ``annotate import articles.jsonl`` into a fresh project, as a user runs it
   (a subprocess: start-up, reading, writing, segmenting on every core, remembering spans).

It prints b/a (target <= 1.3x) and the import's peak memory (the sum over the process
and its workers, sampled from /proc). With ``--gb`` a JSONL file of that size is then
generated and imported with ``--no-segment`` (segmenting 1 GB of text takes hours with
pySBD: the pool's memory is bounded per worker and shown by the first run); the target
is a peak resident memory under 300 MB.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotate.importing.documents import document_text  # noqa: E402
from annotate.importing.spans import cores  # noqa: E402

RATIO_TARGET = 1.3
RSS_TARGET_MB = 300


def sentence_pool() -> list[str]:
    """News-like sentences: the sample article's and the golden rules' (abbreviations, quotes, numbers)."""
    from annotate.segment import segment

    text = (ROOT / "seeds" / "kim-visits-beijing.txt").read_text(encoding="utf-8")
    pool = [text[s:e] for s, e in segment(text)][1:]
    rules = json.loads((ROOT / "tests" / "data" / "golden_rules_en.json").read_text(encoding="utf-8"))
    pool += [r["text"] for r in rules if len(r["text"]) < 400 and "\n" not in r["text"]]
    return pool


def article(rng: random.Random, pool: list[str], n: int, words: int = 0) -> dict[str, str]:
    """One article row: id, title, text (paragraphs of sentences), url, date, outlet."""
    sentences = [rng.choice(pool).replace("2", str(rng.randint(2, 99))) for _ in range(rng.randint(30, 40))]
    sentences[0] = f"Report {n}: " + sentences[0]
    paragraphs, i = [], 0
    while i < len(sentences):
        k = rng.randint(2, 6)
        paragraphs.append(" ".join(sentences[i:i + k]))
        i += k
    body = "\n\n".join(paragraphs)
    while words and len(body) < words:
        body += "\n\n" + " ".join(rng.choice(pool) for _ in range(5)) + f" ({len(body)})"
    return {"id": f"art-{n:06d}", "title": f"Kim visits Beijing, day {n}", "text": body,
            "url": f"https://news.example/{n}", "date": "2018-03-27", "outlet": rng.choice(["AP", "Reuters", "AFP"])}


def write_articles(path: Path, count: int, seed: int = 0) -> list[str]:
    """Write ``count`` articles as JSONL; returns each document's text as import writes it (title first)."""
    rng, pool = random.Random(seed), sentence_pool()
    texts = []
    with path.open("w", encoding="utf-8") as fh:
        for n in range(count):
            row = article(rng, pool, n)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            texts.append(document_text(row["title"], row["text"]))
    return texts


def pysbd_seconds(texts: list[str]) -> tuple[float, float]:
    """pySBD alone on one core: (wall seconds, CPU seconds)."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    segmenter.segment("Warm up. Now.")
    start, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        segmenter.segment(text)
    return time.perf_counter() - start, time.process_time() - cpu


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total / 1024


@dataclass
class Run:
    """One ``annotate import``: wall seconds, CPU seconds of it and its workers, peak memory, its summary line."""

    seconds: float
    cpu: float
    peak_mb: float
    summary: str


def run_import(project: Path, source: Path, *extra: str) -> Run:
    """Run ``annotate import`` as a user does, sampling its process tree's memory and CPU time from /proc."""
    project.mkdir(parents=True)
    command = [sys.executable, "-m", "annotate", "--root", str(project), "import", str(source), *extra]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, cpu = 0.0, dict[int, float]()
    while child.poll() is None:
        pids = _tree(child.pid)
        peak = max(peak, _rss_mb(pids))
        cpu.update({p: max(cpu.get(p, 0.0), _cpu_seconds(p)) for p in pids})
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    err = child.stderr.read() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"annotate import failed ({child.returncode}): {err}")
    return Run(seconds, sum(cpu.values()), peak, err.strip().splitlines()[-1])


def bench_articles(work: Path, count: int, rounds: int) -> bool:
    source = work / "articles.jsonl"
    texts = write_articles(source, count)
    n = cores()
    chars = sum(len(t) for t in texts)
    print(f"{count} articles, {chars / count:,.0f} characters each on average, {source.stat().st_size / 1e6:.1f} MB;"
          f" {n} cores")
    base, base_cpu, runs = [], [], []
    for r in range(rounds):
        wall, cpu = pysbd_seconds(texts)
        base.append(wall)
        base_cpu.append(cpu)
        runs.append(run_import(work / f"project-{r}", source))
        last = runs[-1]
        print(f"  round {r + 1}: pySBD one core {wall:.1f} s (CPU {cpu:.1f} s); annotate import {last.seconds:.1f} s"
              f" (CPU {last.cpu:.1f} s), peak {last.peak_mb:.0f} MB; load {os.getloadavg()[0]:.1f}")
        print(f"    {runs[-1].summary}")
    baseline = statistics.median(base) / n
    seconds = statistics.median(r.seconds for r in runs)
    ratio = seconds / baseline
    ok = ratio <= RATIO_TARGET
    cpu_ratio = statistics.median(r.cpu for r in runs) / statistics.median(base_cpu)
    print(f"a) pySBD alone / {n} cores: {baseline:.1f} s   b) annotate import: {seconds:.1f} s")
    print(f"b/a = {ratio:.2f}x (target <= {RATIO_TARGET}x) {'ok' if ok else 'FAIL'};"
          f" CPU time of the import and its workers / pySBD's: {cpu_ratio:.2f}x;"
          f" peak memory {max(r.peak_mb for r in runs):.0f} MB (import and its workers)")
    if os.getloadavg()[0] > n:
        print(f"  note: the load average ({os.getloadavg()[0]:.1f}) is above the {n} cores: other processes took"
              " CPU from the import's workers more than from the one-core baseline")
    return ok


def bench_big(work: Path, gb: float) -> bool:
    source = work / "big.jsonl"
    rng, pool = random.Random(1), sentence_pool()
    target = int(gb * 1e9)
    n = 0
    with source.open("w", encoding="utf-8") as fh:
        while fh.tell() < target:
            fh.write(json.dumps(article(rng, pool, n, words=20_000), ensure_ascii=False) + "\n")
            n += 1
    print(f"{source.stat().st_size / 1e9:.2f} GB JSONL, {n} articles")
    run = run_import(work / "project-big", source, "--no-segment")
    ok = run.peak_mb < RSS_TARGET_MB
    print(f"  {run.summary}")
    print(f"annotate import --no-segment: {run.seconds:.0f} s; peak memory {run.peak_mb:.0f} MB"
          f" (target < {RSS_TARGET_MB} MB) {'ok' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1, help="alternate baseline and import this many times")
    parser.add_argument("--gb", type=float, default=1.0, help="size of the streaming test file (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="where the temporary folder goes (e.g. /dev/shm, to see what a busy disk costs)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=args.tmp))
    try:
        ok = bench_articles(work, args.articles, args.rounds)
        if args.gb > 0:
            ok = bench_big(work, args.gb) and ok
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
