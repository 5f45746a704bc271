"""Large projects: time and peak memory of export, agreement and status at 1,000 and 10,000 documents.

    . .venv/bin/activate
    python benchmarks/bench_scale.py                    # 1,000 and 10,000 docs x 40 sentences x 3 annotators
    python benchmarks/bench_scale.py --docs 200,2000    # quicker, same figures
    python benchmarks/bench_scale.py --keep DIR         # keep (and reuse) the generated corpora in DIR

Each corpus is generated as in ``bench_export.py`` (label files written by another program,
no caches; 10,000 documents is 1.2 million labels, about 180 MB of YAML). Every command is
a child process run as a user runs it, measured from outside (wall clock, CPU, peak resident
memory via ``os.wait4``; ``--repeat N``: N interleaved runs, the median shown), against
baselines measured in the same run:

- load: a process that loads every label file with ``yaml.CSafeLoader`` and nothing else;
- list: a process that lists ``labels/`` and ``seeds/`` and stats every file (what a warm
  ``annotate status`` cannot avoid).

Commands: ``export`` (``--labels majority``, JSONL + CSV), ``export all`` (``--labels all``,
JSONL + Parquet), ``agreement --json``, ``status`` cold (no cache) and warm. Targets, at the
largest size: export <= 1.3x load; export's peak memory <= 300 MB and within 20% of its
figure at the smallest size (the same for ``export all``); agreement <= 1.0x export, its
memory within 20% of its figure at the smallest size; warm status <= 2x the listing. Exit 1
when a target is missed. Then a 100,000-document run on paper, from the per-document costs
measured between the two sizes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_export import ANNOTATE, Run, export_cmd, interleaved, load_cmd, make_corpus, measure

LIST_SCRIPT = """
import os, sys
n = 0
for top in ("labels", "seeds"):
    for folder, _dirs, files in os.walk(os.path.join(sys.argv[1], top)):
        for f in files:
            os.stat(os.path.join(folder, f))
            n += 1
"""


def commands(root: Path, out: Path) -> dict[str, list[str]]:
    """Every command measured, by name."""
    return {
        "load": load_cmd(root),
        "export": export_cmd(root, out / "majority", "--format", "jsonl,csv"),
        "export all": export_cmd(root, out / "all", "--labels", "all", "--format", "jsonl,parquet"),
        "agreement": [*ANNOTATE, "--root", str(root), "agreement", "--json"],
    }


def status_runs(root: Path) -> dict[str, Run]:
    """Cold (none of the tool's caches) and warm ``annotate status``, and the listing baseline."""
    shutil.rmtree(root / ".annotate" / "cache", ignore_errors=True)  # the summaries and the rows remembered
    status = [*ANNOTATE, "--root", str(root), "status", "--json"]
    listing = [sys.executable, "-c", LIST_SCRIPT, str(root)]
    runs = {"status cold": measure(status)}
    warm = [measure(status) for _ in range(3)]
    lists = [measure(listing) for _ in range(3)]
    runs["status warm"] = sorted(warm, key=lambda r: r.wall)[1]
    runs["list + stat"] = sorted(lists, key=lambda r: r.wall)[1]
    return runs


def run_size(base: Path, docs: int, keep: bool, repeat: int, only_status: bool = False) -> dict[str, Run]:
    """Generate (or reuse) a corpus of ``docs`` documents and measure every command (median of ``repeat`` runs)."""
    root = base / f"docs-{docs}"
    if not (root / "labels").is_dir():
        t0 = time.perf_counter()
        counts = make_corpus(root, docs, 3, 40, foreign=True)
        print(f"{docs} documents: {counts['files']} label files, {counts['bytes'] / 1e6:.0f} MB of YAML,"
              f" generated in {time.perf_counter() - t0:.0f} s")
    measure(load_cmd(root))  # the page cache holds the files for every command alike
    out = base / f"out-{docs}"
    wanted = {"load": load_cmd(root)} if only_status else commands(root, out)
    many = interleaved(wanted, repeat)
    runs = {name: sorted(rs, key=lambda r: r.wall)[len(rs) // 2] for name, rs in many.items()}  # the median run
    runs.update(status_runs(root))
    shutil.rmtree(out, ignore_errors=True)
    print(f"\n{docs:,} documents x 40 sentences x 3 annotators ({docs * 120:,} labels)")
    load, export = runs["load"], runs.get("export")
    for name, r in runs.items():
        base_name, base_run = ("list + stat", runs["list + stat"]) if name.startswith("status") else ("load", load)
        print(f"  {name:<12} wall {r.wall:7.2f} s  cpu {r.cpu:7.2f} s  peak RSS {r.rss_mb:6.1f} MB"
              f"   {r.wall / base_run.wall:5.2f}x {base_name}" + (f", {r.wall / export.wall:.2f}x export"
                                                                  if name == "agreement" and export else ""))
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return runs


def verdicts(small: dict[str, Run], large: dict[str, Run], only_status: bool = False
             ) -> list[tuple[str, float, float, bool]]:
    """(what, figure, target, met) for every target (``only_status``: the status one)."""
    warm = ("status warm / list + stat (wall)", large["status warm"].wall / large["list + stat"].wall, 2.0)
    if only_status:
        return [(warm[0], warm[1], warm[2], warm[1] <= warm[2])]
    out = [
        ("export / load (wall)", large["export"].wall / large["load"].wall, 1.3),
        ("agreement / export (wall)", large["agreement"].wall / large["export"].wall, 1.0),
        warm,
    ]
    for name in ("export", "export all", "agreement"):
        out.append((f"{name}: peak RSS large / small", large[name].rss_mb / small[name].rss_mb, 1.2))
    for name in ("export", "export all"):
        out.append((f"{name}: peak RSS MB", large[name].rss_mb, 300.0))
    return [(what, fig, target, fig <= target) for what, fig, target in out]


def on_paper(small: dict[str, Run], large: dict[str, Run], n_small: int, n_large: int, target: int) -> None:
    """Project every command to ``target`` documents from the per-document costs between the two sizes."""
    print(f"\n{target:,} documents on paper (per-document cost between {n_small:,} and {n_large:,}, extrapolated):")
    for name in ("load", "export", "export all", "agreement", "status cold", "status warm"):
        if name not in large:
            continue
        a, b = small[name], large[name]
        per_doc = (b.wall - a.wall) / (n_large - n_small)
        mem_per_doc = (b.rss_mb - a.rss_mb) / (n_large - n_small)
        wall = b.wall + per_doc * (target - n_large)
        rss = b.rss_mb + mem_per_doc * (target - n_large)
        print(f"  {name:<12} {per_doc * 1000:6.2f} ms and {mem_per_doc * 1024:6.1f} KB a document:"
              f" about {wall / 60:5.1f} min, peak RSS about {rss:6.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default="1000,10000", help="Two corpus sizes, comma-separated.")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the corpora in this folder (and reuse them).")
    ap.add_argument("--paper", type=int, default=100_000, help="Project the figures to this many documents.")
    ap.add_argument("--repeat", type=int, default=1, help="Runs of each command, interleaved; the median is shown.")
    ap.add_argument("--only-status", action="store_true", help="Only annotate status (cold, warm), the listing.")
    args = ap.parse_args(argv)
    sizes = sorted(int(d) for d in args.docs.split(","))
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        results = {n: run_size(base, n, args.keep is not None, args.repeat, args.only_status) for n in sizes}
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    small, large = results[sizes[0]], results[sizes[-1]]
    print(f"\ntargets ({sizes[-1]:,} documents against {sizes[0]:,}):")
    ok = True
    for what, fig, target, met in verdicts(small, large, args.only_status):
        ok &= met
        print(f"  {what:<36} {fig:7.2f}  (target <= {target:g}): {'ok' if met else 'FAIL'}")
    on_paper(small, large, sizes[0], sizes[-1], args.paper)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
