#!/usr/bin/env python3
"""``annotate serve`` under load: memory per browser session, and key-to-disk with 10 tabs labeling vs 1.

    python benchmarks/bench_serve.py                       # 10 tabs, 2 rounds of 30 keys each (about 1 minute)
    python benchmarks/bench_serve.py --tabs 20 --interval 0.25 --json out.json

A real ``annotate serve`` process on a throw-away project (the sample article and a generated
300-sentence document, ``bench-300``), one account per tab. Each tab is a websocket speaking
textual-serve's protocol as the browser's ``textual.js`` does (``serve_client.py``): it logs
in, opens ``bench-300`` from the home screen and presses label keys at a human pace (one key
every ``--interval`` seconds, jittered by half of it either way).

* key-to-disk: from sending a key on the websocket until the tab's journal
  (``labels/bench-300/.<name>.journal``) changes (inotify on the folder). In each round one
  tab labels alone, then all ``--tabs`` tabs label at once; the ratio is concurrent / alone,
  pooled over the rounds (the target is at most 2x).
* start-up: websocket opened until the home screen is drawn, one tab alone vs all at once.
* memory: RSS, PSS and private memory (USS) of every session process with all tabs open,
  from ``/proc/PID/smaps_rollup``; sessions per 24 GiB = 24 GiB / private memory of a
  session (what each added session costs), and / PSS (its share of everything it maps).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_keys import _Inotify  # noqa: E402  (the benchmarks' one inotify reader)
from make_big_doc import write_doc  # noqa: E402
from serve_client import ServerProcess, Tab, add_account, browser, login  # noqa: E402

DOC = "bench-300"
PASSWORD = "benchmark password"
KEYS = "fsqo"
GIB = 1024**3


class JournalClock:
    """When each tab's journal changes: one inotify watch on the document's label folder, read by the event loop."""

    def __init__(self, folder: Path) -> None:
        self.inotify = _Inotify()
        if not self.inotify.watch(str(folder)):
            raise RuntimeError(f"cannot watch {folder}")
        self.waiting: dict[str, asyncio.Future[float]] = {}
        asyncio.get_running_loop().add_reader(self.inotify.fd, self._read)

    def _read(self) -> None:
        now = time.perf_counter()
        for _folder, name, _mask in self.inotify.events():
            future = self.waiting.pop(name, None)
            if future is not None and not future.done():
                future.set_result(now)

    def expect(self, name: str) -> asyncio.Future[float]:
        """A future set to the time of the next change of the journal ``.<name>.journal``."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[f".{name}.journal"] = future
        return future

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.inotify.fd)
        self.inotify.close()


class Annotator:
    """One tab: an account, its websocket, its key-to-disk times."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.http = browser()
        self.tab: Tab | None = None
        self.startup = 0.0

    async def open(self, url: str) -> None:
        """Log in, open the tab (timing until the home screen), open the document."""
        response = await login(self.http, url, self.name, PASSWORD)
        assert response.status == 303, f"login of {self.name}: {response.status}"
        started = time.perf_counter()
        self.tab = await Tab.open(self.http, url, 120, 40)
        await self.tab.wait_for("sorted by name", 60)
        self.startup = time.perf_counter() - started
        await self.tab.press("\r")  # bench-300 comes first by name
        await self.tab.wait_for("of 300", 60)
        self.tab.reading = False  # from here on the journal is the clock, not the screen

    async def label(self, clock: JournalClock | None, keys: int, interval: float, rng: random.Random) -> list[float]:
        """Press ``keys`` label keys at the pace; returns each key's time to disk (seconds)."""
        assert self.tab is not None
        times = []
        for n in range(keys):
            await asyncio.sleep(interval * rng.uniform(0.5, 1.5))
            on_disk = clock.expect(self.name) if clock else None
            sent = time.perf_counter()
            await self.tab.press(KEYS[n % len(KEYS)])
            if on_disk is not None:
                times.append(await asyncio.wait_for(on_disk, 30) - sent)
        return times

    async def close(self) -> None:
        if self.tab is not None:
            await self.tab.close()
        await self.http.close()


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory (USS) of a process, in MiB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = float(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def pctl(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build_project(root: Path) -> None:
    """The sample article, the tagsets and the 300-sentence document, with accounts u00, u01, ..."""
    shutil.copytree(HERE.parent / "schemas", root / "schemas")
    (root / "seeds").mkdir()
    shutil.copy(HERE.parent / "seeds" / "kim-visits-beijing.txt", root / "seeds")
    write_doc(str(root), 300, DOC)


async def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    names = [f"u{n:02d}" for n in range(args.tabs)]
    for name in names:
        add_account(root, name, PASSWORD)
    server = ServerProcess(root, root / "serve.log")
    rng = random.Random(args.seed)
    annotators = [Annotator(name) for name in names]
    try:
        first = annotators[0]
        await first.open(server.url)
        await first.label(None, 3, 0.05, rng)  # the label folder exists from here on
        clock = JournalClock(root / "labels" / DOC)
        alone_startup = first.startup
        await asyncio.gather(*(a.open(server.url) for a in annotators[1:]))
        together_startup = [a.startup for a in annotators[1:]]
        await asyncio.gather(*(a.label(None, 3, 0.05, rng) for a in annotators[1:]))
        alone: list[float] = []
        together: list[float] = []
        pids = server.children()
        cpu = 0.0
        client = os.times()
        for _ in range(args.rounds):
            alone += await first.label(clock, args.keys, args.interval, rng)
            before = cpu_seconds([server.process.pid, *pids])
            runs = await asyncio.gather(*(a.label(clock, args.keys, args.interval, rng) for a in annotators))
            cpu += cpu_seconds([server.process.pid, *pids]) - before
            together += [t for times in runs for t in times]
        client_cpu = sum(os.times()[:2]) - sum(client[:2])
        mem = [memory(pid) for pid in pids]
        server_mem = memory(server.process.pid)
        clock.close()
    finally:
        for a in annotators:
            await a.close()
        server.stop()
    return {"tabs": args.tabs, "keys": len(alone), "keys_together": len(together), "interval": args.interval,
            "alone_ms": [t * 1000 for t in alone], "together_ms": [t * 1000 for t in together],
            "startup_alone_s": alone_startup, "startup_together_s": together_startup,
            "sessions": len(pids), "memory_mib": mem, "server_mib": server_mem,
            "cpu_ms_per_key": cpu * 1000 / len(together), "client_cpu_s": client_cpu}


def report(r: dict[str, Any]) -> None:
    alone, together = r["alone_ms"], r["together_ms"]
    a50, t50 = statistics.median(alone), statistics.median(together)
    a95, t95 = pctl(alone, 0.95), pctl(together, 0.95)
    mem = r["memory_mib"]
    rss, pss, uss = (statistics.mean(m[k] for m in mem) for k in ("rss", "pss", "uss"))
    s_alone, s_together = r["startup_alone_s"], statistics.median(r["startup_together_s"])
    print(f"\nannotate serve, {r['tabs']} tabs, a key every {r['interval']} s per tab (jittered), one run:\n")
    print("| measure | 1 tab | " + f"{r['tabs']} tabs at once | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| key to disk, median (p95) | {a50:.1f} ms ({a95:.1f}) | {t50:.1f} ms ({t95:.1f}) | "
          f"{t50 / a50:.2f}x ({t95 / a95:.2f}x) |")
    print(f"| start-up to home screen (median) | {s_alone:.2f} s | {s_together:.2f} s | {s_together / s_alone:.2f}x |")
    print(f"\nkeys: {r['keys']} alone, {r['keys_together']} together")
    print(f"memory per session ({r['sessions']} sessions): RSS {rss:.0f} MiB, PSS {pss:.0f} MiB, "
          f"private {uss:.0f} MiB; the server: RSS {r['server_mib']['rss']:.0f} MiB")
    free = 24 * GIB / 1024**2 - r["server_mib"]["rss"]
    print(f"sessions per 24 GiB: {free / uss:.0f} (by private memory), {free / pss:.0f} (by PSS)")
    per_key = r["cpu_ms_per_key"]
    print(f"CPU per key, all tabs labeling (the sessions and the server, divided by the keys): {per_key:.1f} ms;"
          f" this client (the browsers) used {r['client_cpu_s']:.1f} s of CPU meanwhile")
    verdict = "PASS" if t50 <= 2 * a50 else "FAIL"
    print(f"target: key to disk with {r['tabs']} tabs within 2x of 1 tab (median): {verdict}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tabs", type=int, default=10, help="tabs labeling at once (default 10)")
    ap.add_argument("--keys", type=int, default=30, help="keys per tab per round (default 30)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of (1 tab alone, then all tabs) (default 2)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between a tab's keys (default 0.5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    ap.add_argument("--keep", action="store_true", help="keep the throw-away project")
    args = ap.parse_args(argv)
    if args.keys * args.rounds * 2 + 10 > 300:
        ap.error("--keys x --rounds is more than the 300 sentences of the document")
    root = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    try:
        build_project(root)
        result = asyncio.run(run(args, root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if statistics.median(result["together_ms"]) <= 2 * statistics.median(result["alone_ms"]) else 1


if __name__ == "__main__":
    sys.exit(main())
