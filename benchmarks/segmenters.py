"""Score candidate sentence segmenters: pySBD golden rules (accuracy) and sentences per second.

Run from the repository root::

    python benchmarks/segmenters.py            # table
    python benchmarks/segmenters.py --json     # machine-readable results

Accuracy: a golden-rule case passes when the candidate's sentences, each stripped
of surrounding whitespace and with empty ones dropped, equal the expected list
exactly.

Speed: the sample article (``seeds/kim-visits-beijing.txt``) repeated ``--copies``
times with a blank line between copies, segmented ``--repeats`` times per
candidate after one warm-up run; the median time is reported. "sentences/s"
counts the sentences each candidate itself produced; "vs blingfire" is
blingfire's median time divided by the candidate's on the same text in the same
run (so it compares throughput on equal input, whatever the sentence counts;
below 1 means slower than blingfire).

Candidates whose package is not installed are skipped with a note
(``pip install -e '.[bench]'`` installs blingfire and nltk).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as pkg_version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: make `annotate` importable
    sys.path.insert(0, str(REPO))

GOLDEN_CANDIDATES = (
    REPO / ".." / "shared" / "data" / "golden_rules_en.json",
    REPO / "tests" / "data" / "golden_rules_en.json",  # the copy kept for clean clones
)
SAMPLE = REPO / "seeds" / "kim-visits-beijing.txt"

Segmenter = Callable[[str], list[str]]


@dataclass
class Candidate:
    name: str
    package: str  # distribution whose version is reported
    make: Callable[[], Segmenter]  # raises ImportError when the package is missing


@dataclass
class Result:
    name: str
    version: str
    passed: int = 0
    total: int = 0
    percent: float = 0.0
    failed_ids: list[int] = field(default_factory=list)
    sentences: int = 0  # sentences produced on the speed text
    seconds_median: float = 0.0
    seconds_all: list[float] = field(default_factory=list)
    sentences_per_s: float = 0.0
    vs_blingfire: float | None = None


# --- candidates ---------------------------------------------------------------------------


def _make_pysbd() -> Segmenter:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)
    return seg.segment  # type: ignore[no-any-return]


def _make_blingfire() -> Segmenter:
    from blingfire import text_to_sentences

    def run(text: str) -> list[str]:
        # blingfire returns one sentence per line
        return text_to_sentences(text).split("\n")

    return run


def _make_punkt() -> Segmenter:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    # Untrained: no NLTK data download needed (and none is possible here).
    return PunktSentenceTokenizer().tokenize


_NAIVE = re.compile(r"\S.*?(?:[.!?]+[\"'”’)\]]*(?=\s|$)|(?=\n[^\S\n]*\n)|$)", re.S)


def _make_naive() -> Segmenter:
    """Baseline: end a sentence at . ! or ? (plus closing quotes/brackets) before whitespace,
    and at a blank line."""
    return _NAIVE.findall


def _make_ours() -> Segmenter:
    from annotate.segment import segment

    def run(text: str) -> list[str]:
        return [text[s:e] for s, e in segment(text)]

    return run


CANDIDATES = (
    Candidate("pysbd (raw, clean=False)", "pysbd", _make_pysbd),
    Candidate("blingfire", "blingfire", _make_blingfire),
    Candidate("nltk punkt (untrained)", "nltk", _make_punkt),
    Candidate("naive regex", "", _make_naive),
    Candidate("annotate.segment", "pysbd", _make_ours),
)
BASELINE = "blingfire"


# --- measuring ----------------------------------------------------------------------------


def _sentences(seg: Segmenter, text: str) -> list[str]:
    return [s.strip() for s in seg(text) if s.strip()]


def find_golden(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    for path in GOLDEN_CANDIDATES:
        if path.is_file():
            return path.resolve()
    return GOLDEN_CANDIDATES[0]


def load_golden(path: Path) -> list[dict]:
    cases = json.loads(path.read_text(encoding="utf-8"))
    for case in cases:
        if not {"id", "text", "expected"} <= case.keys():
            raise ValueError(f"{path}: case {case!r} lacks id, text or expected")
    return cases


def speed_text(copies: int) -> str:
    article = SAMPLE.read_text(encoding="utf-8").strip()
    return "\n\n".join([article] * copies) + "\n"


def score(seg: Segmenter, cases: list[dict], result: Result) -> None:
    result.total = len(cases)
    for case in cases:
        try:
            ok = _sentences(seg, case["text"]) == case["expected"]
        except Exception:  # a crash on a case is a failed case
            ok = False
        if ok:
            result.passed += 1
        else:
            result.failed_ids.append(case["id"])
    result.percent = 100.0 * result.passed / result.total if result.total else 0.0


def time_it(seg: Segmenter, text: str, repeats: int, result: Result) -> None:
    result.sentences = len(_sentences(seg, text))  # also the warm-up run
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        seg(text)
        times.append(time.perf_counter() - t0)
    result.seconds_all = [round(t, 6) for t in times]
    result.seconds_median = statistics.median(times)
    result.sentences_per_s = result.sentences / result.seconds_median


def run(golden: Path, copies: int, repeats: int) -> dict:
    cases = load_golden(golden)
    text = speed_text(copies)
    results: list[Result] = []
    skipped: list[dict[str, str]] = []
    for cand in CANDIDATES:
        try:
            seg = cand.make()
        except ImportError as exc:
            skipped.append({"name": cand.name, "reason": f"package missing: {exc}"})
            continue
        try:
            ver = pkg_version(cand.package) if cand.package else "-"
        except PackageNotFoundError:
            ver = "?"
        if cand.name == "annotate.segment":
            from annotate.segment import segmenter_id

            ver = segmenter_id()
        res = Result(cand.name, ver)
        score(seg, cases, res)
        time_it(seg, text, repeats, res)
        results.append(res)
    base = next((r for r in results if r.name == BASELINE), None)
    if base is not None:
        for r in results:
            r.vs_blingfire = base.seconds_median / r.seconds_median
    return {
        "golden": str(golden),
        "cases": len(cases),
        "speed_text": {
            "source": str(SAMPLE.relative_to(REPO)),
            "copies": copies,
            "chars": len(text),
            "repeats": repeats,
        },
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": [asdict(r) for r in results],
        "skipped": skipped,
    }


def print_table(data: dict) -> None:
    st = data["speed_text"]
    print(f"golden rules: {data['golden']} ({data['cases']} cases)")
    print(
        f"speed text: {st['source']} x{st['copies']} ({st['chars']:,} chars), "
        f"median of {st['repeats']} runs; Python {data['python']}"
    )
    print()
    header = f"{'candidate':<26} {'passed':>8} {'%':>6} {'sentences/s':>12} {'vs blingfire':>13}"
    print(header)
    print("-" * len(header))
    for r in data["results"]:
        ratio = f"{r['vs_blingfire']:.3f}x" if r["vs_blingfire"] is not None else "n/a"
        print(
            f"{r['name']:<26} {r['passed']:>3}/{r['total']:<4} {r['percent']:>6.1f} "
            f"{r['sentences_per_s']:>12,.0f} {ratio:>13}"
        )
    print()
    for r in data["results"]:
        print(f"{r['name']}: version {r['version']}; {r['sentences']} sentences on the speed text;"
              f" failed cases: {', '.join(map(str, r['failed_ids'])) or 'none'}")
    for s in data["skipped"]:
        print(f"skipped {s['name']}: {s['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--golden", metavar="PATH",
                        help="golden rules JSON (default: ../shared/data/golden_rules_en.json "
                             "next to the repo, else tests/data/golden_rules_en.json)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--copies", type=int, default=40,
                        help="copies of the sample article in the speed text (default 40)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs per candidate; the median is reported (default 5)")
    args = parser.parse_args(argv)
    golden = find_golden(args.golden)
    if not golden.is_file():
        parser.error(f"golden rules file not found: {golden} (use --golden PATH)")
    if args.copies < 1 or args.repeats < 1:
        parser.error("--copies and --repeats must be at least 1")
    data = run(golden, args.copies, args.repeats)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
