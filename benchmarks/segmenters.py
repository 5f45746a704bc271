"""Score candidate sentence segmenters on real news, on pySBD's golden rules, and for speed.

Run from the repository root::

    python benchmarks/segmenters.py            # table
    python benchmarks/segmenters.py --json     # machine-readable results

News: ``tests/data/news_eval.json`` (54 articles, 1,020 units checked by hand;
sources and conventions in ``tests/data/README.md``). Each candidate gets each
article's whole text; its sentences are mapped back to offsets by counting
non-whitespace characters and trimmed. A boundary is the end offset of a unit,
the end of the article excluded (every candidate gets that one). Precision is
the share of the candidate's boundaries that are gold boundaries, recall the
share of gold boundaries it found, both by exact offset. "wrong/1000" counts
the gold units the candidate did not reproduce exactly (same start and end),
per 1,000 gold units: the units an annotator would have to merge or split.

Golden rules: a case passes when the candidate's sentences, each stripped of
surrounding whitespace and with empty ones dropped, equal the expected list
exactly.

Speed: the sample article (``seeds/kim-visits-beijing.txt``) repeated ``--copies``
times with a blank line between copies, segmented ``--repeats`` times per
candidate after one warm-up run; the median time is reported. "sentences/s"
counts the sentences each candidate itself produced; "vs blingfire" is
blingfire's median time divided by the candidate's on the same text in the same
run (so it compares throughput on equal input, whatever the sentence counts;
below 1 means slower than blingfire).

Speed guard: "annotate.segment (before)" is the previous implementation, loaded
from git (``--before REV``, the commit before the quotation rules). Besides its
row in the table, it and the new one are timed alternately on the speed text
(``2 * repeats + 1`` runs each) and the ratio of their medians is printed: the
new one must keep at least 0.9x the old one's throughput.

Candidates whose package is not installed are skipped with a note
(``pip install -e '.[bench]'`` installs blingfire and nltk).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
import types
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
NEWS = REPO / "tests" / "data" / "news_eval.json"
BEFORE_REV = "8d4cb70"  # main before the quotation rules (annotate-rules 2)
SPEED_GUARD = 0.9

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
    news_precision: float = 0.0
    news_recall: float = 0.0
    news_f1: float = 0.0
    news_wrong_per_1000: float = 0.0
    news_wrong_units: int = 0
    news_errors: list[str] = field(default_factory=list)


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


def load_before(rev: str = BEFORE_REV) -> types.ModuleType:
    """``annotate/segment.py`` as it was at ``rev``, as a module (raises ImportError if git lacks it)."""
    proc = subprocess.run(["git", "show", f"{rev}:annotate/segment.py"], cwd=REPO,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImportError(f"git show {rev}:annotate/segment.py failed: {proc.stderr.strip()}")
    module = types.ModuleType("annotate_segment_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(proc.stdout, f"{rev}:annotate/segment.py", "exec"), module.__dict__)
    return module


def _make_before() -> Segmenter:
    segment = load_before(_before_rev).segment

    def run(text: str) -> list[str]:
        return [text[s:e] for s, e in segment(text)]

    return run


_before_rev = BEFORE_REV

OURS = "annotate.segment"
BEFORE = "annotate.segment (before)"
CANDIDATES = (
    Candidate("pysbd (raw, clean=False)", "pysbd", _make_pysbd),
    Candidate("blingfire", "blingfire", _make_blingfire),
    Candidate("nltk punkt (untrained)", "nltk", _make_punkt),
    Candidate("naive regex", "", _make_naive),
    Candidate(BEFORE, "pysbd", _make_before),
    Candidate(OURS, "pysbd", _make_ours),
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


def load_news(path: Path = NEWS) -> list[dict]:
    """The hand-checked news articles: ``{"id", "text", "sentences": [[start, end], ...], ...}``."""
    return json.loads(path.read_text(encoding="utf-8"))["documents"]  # type: ignore[no-any-return]


def to_spans(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Offsets of a candidate's sentences in ``text``, by counting non-whitespace characters, trimmed.

    Raises ValueError if the candidate did not return every non-whitespace character once.
    """
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    counts = [sum(not ch.isspace() for ch in sentence) for sentence in sentences]
    if sum(counts) != len(positions):
        raise ValueError(f"{sum(counts)} non-whitespace characters returned, {len(positions)} in the text")
    spans, done = [], 0
    for count in counts:
        if count:
            spans.append((positions[done], positions[done + count - 1] + 1))
            done += count
    return spans


def boundary_scores(gold: list[tuple[int, int]], found: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """(true positives, false positives, false negatives, gold units not reproduced) for one article."""
    gold_ends = {end for _, end in gold[:-1]}
    found_ends = {end for _, end in found[:-1]}
    exact = set(found)
    return (len(gold_ends & found_ends), len(found_ends - gold_ends), len(gold_ends - found_ends),
            sum(span not in exact for span in gold))


def score_news(seg: Segmenter, docs: list[dict], result: Result) -> None:
    tp = fp = fn = wrong = units = 0
    for doc in docs:
        gold = [(s, e) for s, e in doc["sentences"]]
        try:
            found = to_spans(doc["text"], seg(doc["text"]))
        except Exception as exc:  # a crash or lost text: every unit of the article is wrong
            result.news_errors.append(f"{doc['id']}: {exc}")
            found = [(0, len(doc["text"]))]
        a, b, c, d = boundary_scores(gold, found)
        tp, fp, fn, wrong, units = tp + a, fp + b, fn + c, wrong + d, units + len(gold)
    result.news_precision = tp / (tp + fp) if tp + fp else 0.0
    result.news_recall = tp / (tp + fn) if tp + fn else 0.0
    p, r = result.news_precision, result.news_recall
    result.news_f1 = 2 * p * r / (p + r) if p + r else 0.0
    result.news_wrong_units = wrong
    result.news_wrong_per_1000 = 1000 * wrong / units if units else 0.0


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


def paired_speed_ratio(new: Segmenter, old: Segmenter, text: str, rounds: int) -> float:
    """Median time of ``old`` over median time of ``new`` on ``text``, the two run alternately.

    Alternating runs share the machine's load (other processes, frequency changes), so
    the ratio is steadier than one taken from two blocks of runs minutes apart.
    """
    new(text), old(text)  # warm up both
    times: dict[str, list[float]] = {"new": [], "old": []}
    for _ in range(rounds):
        for name, seg in (("new", new), ("old", old)):
            t0 = time.perf_counter()
            seg(text)
            times[name].append(time.perf_counter() - t0)
    return statistics.median(times["old"]) / statistics.median(times["new"])


def run(golden: Path, copies: int, repeats: int) -> dict:
    cases = load_golden(golden)
    docs = load_news()
    text = speed_text(copies)
    results: list[Result] = []
    skipped: list[dict[str, str]] = []
    segs: dict[str, Segmenter] = {}
    for cand in CANDIDATES:
        try:
            seg = cand.make()
        except ImportError as exc:
            skipped.append({"name": cand.name, "reason": f"package missing: {exc}"})
            continue
        segs[cand.name] = seg
        try:
            ver = pkg_version(cand.package) if cand.package else "-"
        except PackageNotFoundError:
            ver = "?"
        if cand.name == OURS:
            from annotate.segment import segmenter_id

            ver = segmenter_id()
        elif cand.name == BEFORE:
            ver = f"git {_before_rev}; annotate-rules {load_before(_before_rev).SEGMENTER_RULES}"
        res = Result(cand.name, ver)
        score(seg, cases, res)
        score_news(seg, docs, res)
        time_it(seg, text, repeats, res)
        results.append(res)
    by_name = {r.name: r for r in results}
    base = by_name.get(BASELINE)
    if base is not None:
        for r in results:
            r.vs_blingfire = base.seconds_median / r.seconds_median
    speed_ratio = None
    if OURS in segs and BEFORE in segs:
        speed_ratio = paired_speed_ratio(segs[OURS], segs[BEFORE], text, 2 * repeats + 1)
    return {
        "news": {"source": str(NEWS.relative_to(REPO)), "articles": len(docs),
                 "units": sum(len(d["sentences"]) for d in docs),
                 "outlets": sorted({d["outlet"] for d in docs})},
        "speed_vs_before": speed_ratio,
        "speed_guard": SPEED_GUARD,
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
    st, news = data["speed_text"], data["news"]
    print(f"news: {news['source']} ({news['articles']} articles, {news['units']} units, "
          f"{', '.join(news['outlets'])})")
    print(f"golden rules: {data['golden']} ({data['cases']} cases)")
    print(
        f"speed text: {st['source']} x{st['copies']} ({st['chars']:,} chars), "
        f"median of {st['repeats']} runs; Python {data['python']}"
    )
    print()
    header = (f"{'candidate':<26} {'precision':>9} {'recall':>7} {'F1':>6} {'wrong/1000':>10} "
              f"{'golden':>7} {'sentences/s':>12} {'vs blingfire':>13}")
    print(header)
    print("-" * len(header))
    for r in data["results"]:
        ratio = f"{r['vs_blingfire']:.3f}x" if r["vs_blingfire"] is not None else "n/a"
        print(
            f"{r['name']:<26} {r['news_precision']:>9.3f} {r['news_recall']:>7.3f} {r['news_f1']:>6.3f} "
            f"{r['news_wrong_per_1000']:>10.1f} {r['passed']:>3}/{r['total']:<3} "
            f"{r['sentences_per_s']:>12,.0f} {ratio:>13}"
        )
    print()
    if data["speed_vs_before"] is not None:
        verdict = "ok" if data["speed_vs_before"] >= data["speed_guard"] else "TOO SLOW"
        print(f"speed of {OURS} vs {BEFORE}, same run, runs alternated: {data['speed_vs_before']:.3f}x "
              f"(guard: at least {data['speed_guard']}x) {verdict}")
    for r in data["results"]:
        print(f"{r['name']}: version {r['version']}; {r['sentences']} sentences on the speed text;"
              f" {r['news_wrong_units']} wrong news units;"
              f" failed golden cases: {', '.join(map(str, r['failed_ids'])) or 'none'}")
        for error in r["news_errors"]:
            print(f"  news error: {error}")
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
    parser.add_argument("--before", metavar="REV", default=BEFORE_REV,
                        help=f"git revision of the previous annotate/segment.py (default {BEFORE_REV})")
    args = parser.parse_args(argv)
    global _before_rev
    _before_rev = args.before
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
