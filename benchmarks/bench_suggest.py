"""How good are the suggesters, and what does accepting their suggestions save?

On a held-out set of labeled documents, reports the accuracy and macro-F1 of the
rules and of the model (trained on the other documents only) against the
majority-class baseline, and what accepting suggestions would save.

Keys, honestly: in ``annotate label`` a label key (f/s/q/o or a digit) labels the
sentence and moves on; with ``--suggest``, Enter accepts the suggestion and moves
on. Both cost one key, so suggestions save no keys per label. What they change is
the decision: a correct suggestion is *confirmed* (Enter) rather than *chosen*
among the labels; a wrong one must be noticed and overridden (and may anchor the
annotator, which ``annotate agreement`` measures). The table reports keys per
sentence with and without suggestions, the share of sentences confirmed rather
than chosen (= the suggester's accuracy against the final labels), and the share
where a wrong suggestion is shown.

Data: by default a generated corpus (``make_corpus``: 40 documents of 20
sentences from templates, two annotators who agree ~90% of the time, gold on
every fifth document); 5% of the sentences carry a label their wording does not
suggest (judgement calls no suggester can learn), and 15% come from "hard" templates that no
cue rule catches (opinions without evaluative words, quotes attributed with
other verbs, hedges without a cue word, facts with "May" the month), so the rules
are not scored on their own cue lists alone. A template corpus is still far easier
than news text (the model learns the templates): read its numbers as an upper bound
and run ``--root`` on real labels before believing them. With ``--root`` the project's own
labels are used (gold where decided, else majority); the last quarter of the
documents (sorted by id, at least one) is held out.

    python benchmarks/bench_suggest.py                 # generated corpus
    python benchmarks/bench_suggest.py --root PROJECT  # a project's labels
    python benchmarks/bench_suggest.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.models import LabelFile, Sentence  # noqa: E402
from annotate.store import Project, save_label_file  # noqa: E402

LABELS = ("fact", "speculation", "quote", "opinion")
SHARES = {"fact": 0.5, "speculation": 0.2, "quote": 0.15, "opinion": 0.15}

# --------------------------------------------------------------------------- corpus generator

SUBJECTS = ["The ministry", "The central bank", "The company", "Officials", "The agency", "The government",
            "The city council", "The union", "Police", "The court", "The committee", "Investors",
            "The delegation", "The regulator", "Lawmakers", "The airline", "Prosecutors", "The army"]
PEOPLE = ["the minister", "a spokeswoman", "the chief executive", "the mayor", "Ms Kovacs", "Mr Tanaka",
          "the governor", "an analyst at Barclays", "the coach", "Dr Osei", "the ambassador", "the senator"]
VERBS_PAST = ["announced", "approved", "rejected", "signed", "published", "closed", "opened", "cut", "raised",
              "delayed", "confirmed", "cancelled", "launched", "suspended"]
VERBS = ["announce", "approve", "reject", "sign", "publish", "close", "open", "cut", "raise", "delay",
         "confirm", "cancel", "launch", "suspend"]
OBJECTS = ["the budget", "a new plan", "the merger", "interest rates", "the contract", "the report",
           "two factories", "the tariffs", "the border crossing", "the inquiry", "the bond sale", "the strike",
           "the trade deal", "the pension reform", "the new stadium", "the tax cut"]
WHEN = ["on Monday", "on Tuesday", "last week", "in March", "on Friday", "this morning", "in 2019",
        "after the vote", "late on Sunday", "in the first quarter"]
FUTURE = ["next week", "by the end of the year", "within days", "before the summit", "next month", "soon"]
NUMBERS = ["12", "40", "3.5", "250", "1,200", "7", "18", "95"]
UNITS = ["percent", "million dollars", "jobs", "flights", "tonnes", "seats", "cases"]
EVAL = ["terrible", "remarkable", "disastrous", "shameful", "historic", "great"]
NOUNS = ["mistake", "decision", "failure", "achievement", "idea", "gamble", "blunder", "step"]
CLAUSES = ["we will not accept these terms", "the talks were frank and constructive",
           "prices will keep rising for months", "nobody told us about the plan",
           "this is the best offer we have ever made", "the factory will stay open",
           "we need more time to study the report", "the numbers speak for themselves"]


def _pick(rng: random.Random, items: list[str]) -> str:
    return rng.choice(items)


def _sentence(rng: random.Random, label: str, hard: bool) -> str:
    s, p, v, vp, o = (_pick(rng, SUBJECTS), _pick(rng, PEOPLE), _pick(rng, VERBS), _pick(rng, VERBS_PAST),
                      _pick(rng, OBJECTS))
    w, f, c = _pick(rng, WHEN), _pick(rng, FUTURE), _pick(rng, CLAUSES)
    if label == "fact":
        if hard:  # "May" the month, and reported speech without quotation marks
            return rng.choice([f"{s} {vp} {o} in May.", f"{s} {vp} {o} on May {rng.randint(1, 28)}.",
                               f"{p.capitalize()} said {s.lower()} {vp} {o} {w}."])
        return rng.choice([f"{s} {vp} {o} {w}.",
                           f"{s} reported {_pick(rng, NUMBERS)} {_pick(rng, UNITS)} {w}.",
                           f"{s} {vp} {o} {w}, according to a statement.",
                           f"Sales at {s.lower().removeprefix('the ')} fell {_pick(rng, NUMBERS)} percent {w}."])
    if label == "speculation":
        if hard:  # hedges that are not on the cue list
            return rng.choice([f"{s} is set to {v} {o} {f}.", f"Analysts think {s.lower()} will {v} {o} {f}.",
                               f"{s} is poised to {v} {o} {f}."])
        hedge = rng.choice(["may", "might", "could", "is expected to", "is likely to", "is believed to"])
        return rng.choice([f"{s} {hedge} {v} {o} {f}.", f"Sources say {s.lower()} will {v} {o} {f}.",
                           f"There is speculation that {s.lower()} will {v} {o}.",
                           f"{s} reportedly plans to {v} {o} {f}."])
    if label == "quote":
        if hard:  # attribution verbs that are not on the cue list
            return rng.choice([f'"{c.capitalize()}," {p} insisted.', f'"{c.capitalize()}," {p} explained {w}.'])
        verb = rng.choice(["said", "told reporters", "wrote", "tweeted", "added"])
        return rng.choice([f'"{c.capitalize()}," {p} {verb} {w}.', f'According to {p}, "{c}".',
                           f'{p.capitalize()} {verb}: "{c.capitalize()}."'])
    if hard:  # opinion without evaluative cue words
        return rng.choice([f"The {_pick(rng, NOUNS)} to {v} {o} is a fiasco.", f"{s} got it wrong again.",
                           f"It is time {s.lower()} stopped pretending about {o}."])
    return rng.choice([f"{s} should {v} {o} {f}.", f"{s} must {v} {o} now.",
                       f"This is a {_pick(rng, EVAL)} {_pick(rng, NOUNS)} by {s.lower()}.",
                       f"Is anyone surprised that {s.lower()} {vp} {o}?",
                       f"Clearly, {s.lower()} {vp} {o} for the wrong reasons."])


def make_corpus(root: Path, n_docs: int = 40, n_sents: int = 20, seed: int = 0, agree: float = 0.9,
                hard: float = 0.15, gold_every: int = 5, odd: float = 0.05) -> Project:
    """A project at ``root`` with generated documents labeled by alice and bob (and gold on some).

    ``odd``: share of sentences whose label is not the one their wording suggests (written from
    another label's template; both annotators agree on the label): the judgement calls a real
    corpus has, which no suggester can learn from the wording.
    """
    rng = random.Random(seed)
    project = Project(root)
    project.seeds.mkdir(parents=True, exist_ok=True)
    project.schemas.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "schemas" / "claim-types.yaml", project.schemas / "claim-types.yaml")
    import hashlib

    for d in range(n_docs):
        doc_id = f"gen-{d:03d}"
        truth = rng.choices(LABELS, weights=[SHARES[lab] for lab in LABELS], k=n_sents)
        texts = [_sentence(rng, rng.choice([x for x in LABELS if x != lab]) if rng.random() < odd else lab,
                           rng.random() < hard) for lab in truth]
        source = " ".join(texts) + "\n"
        raw = source.encode("utf-8")
        (project.seeds / f"{doc_id}.txt").write_bytes(raw)
        spans, pos = [], 0
        for t in texts:
            spans.append((pos, pos + len(t)))
            pos += len(t) + 1
        annotators = {"alice": list(truth),
                      "bob": [lab if rng.random() < agree else rng.choice([x for x in LABELS if x != lab])
                              for lab in truth]}
        if gold_every and d % gold_every == 0:
            annotators["gold"] = list(truth)
        for name, labels in annotators.items():
            lf = LabelFile(version=1, document=doc_id, source=f"seeds/{doc_id}.txt",
                           source_sha256=hashlib.sha256(raw).hexdigest(), annotator=name, scheme="claim-types",
                           sentences=[Sentence(start=s, end=e, text=source[s:e], label=lab)
                                      for (s, e), lab in zip(spans, labels, strict=True)])
            save_label_file(project.label_path(doc_id, name), lf)
    return project


# --------------------------------------------------------------------------- benchmark


def run(project: Project, held_out_share: float = 0.25) -> dict[str, Any]:
    from annotate.suggest import (
        Corpus,
        ModelSuggester,
        RulesSuggester,
        collect_examples,
        evaluate,
        require_sklearn,
    )

    corpus = collect_examples(project)
    docs = sorted(corpus.documents)
    if len(docs) < 2:
        raise SystemExit(f"need labeled sentences in at least 2 documents (have {len(docs)})")
    n_test = max(1, round(len(docs) * held_out_share))
    test_docs = set(docs[-n_test:])
    train = Corpus([e for e in corpus.examples if e.doc not in test_docs], corpus.scheme, corpus.skipped)
    test = [e for e in corpus.examples if e.doc in test_docs]
    gold = [e.label for e in test]
    labels = sorted({e.label for e in corpus.examples})
    rows: dict[str, dict[str, Any]] = {}

    top = Counter(e.label for e in train.examples).most_common(1)[0][0]
    rows[f"baseline (always {top})"] = {"predicted": [top] * len(test), "seconds": 0.0}

    t0 = time.perf_counter()
    rules = RulesSuggester(project.tagset(corpus.scheme or "claim-types"))
    rows[rules.agent] = {"predicted": [s.label for s in rules.suggest_items([(e.text, e.before, e.after)
                                                                            for e in test])],
                         "seconds": time.perf_counter() - t0}
    try:
        require_sklearn()
    except Exception as exc:  # noqa: BLE001
        print(f"model skipped: {exc}", file=sys.stderr)
    else:
        t0 = time.perf_counter()
        model = ModelSuggester().fit(train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        preds = [s.label for s in model.suggest_items([(e.text, e.before, e.after) for e in test])]
        rows[model.agent] = {"predicted": preds, "seconds": time.perf_counter() - t0, "fit_seconds": fit_s}

    out: dict[str, Any] = {"documents": {"train": len(docs) - n_test, "held_out": n_test},
                           "held_out_sentences": len(test), "labels": dict(Counter(gold)), "rows": {}}
    for name, row in rows.items():
        acc, macro, per = evaluate(gold, row["predicted"], labels)
        out["rows"][name] = {
            "accuracy": acc, "macro_f1": macro,
            "per_label_f1": {lab: v["f1"] for lab, v in per.items()},
            "confirmed": acc,  # Enter on a correct suggestion: confirmed, not chosen
            "chosen": round(1 - acc, 4),  # a label key after rejecting a wrong suggestion
            "keys_with": 1.0, "keys_without": 1.0,
            "seconds": round(row["seconds"], 3),
        }
    return out


def print_table(result: dict[str, Any]) -> None:
    d = result["documents"]
    print(f"held-out: {result['held_out_sentences']} sentences of {d['held_out']} documents"
          f" (model trained on {d['train']} other documents); labels {result['labels']}")
    head = (f"{'suggester':<24} {'accuracy':>8} {'macro-F1':>8}   {'confirmed':>9} {'overridden':>10}"
            f"   {'keys/sentence with/without':>26}")
    print(head)
    print("-" * len(head))
    for name, r in result["rows"].items():
        keys = f"{r['keys_with']:.2f} / {r['keys_without']:.2f}"
        print(f"{name:<24} {r['accuracy']:8.3f} {r['macro_f1']:8.3f}   {r['confirmed']:9.1%} {r['chosen']:10.1%}"
              f"   {keys:>26}")
    print("confirmed: Enter accepts a correct suggestion (a confirmation instead of a choice among the labels);"
          "\noverridden: a wrong suggestion is shown and a label key replaces it (where anchoring can happen);"
          "\nkeys: one key per sentence either way (Enter or a label key), so the saving is in decisions, not keys.")
    print("per-label F1: " + "; ".join(
        f"{name}: " + ", ".join(f"{lab} {f:.2f}" for lab, f in r["per_label_f1"].items())
        for name, r in result["rows"].items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, help="a project with labels (default: a generated corpus)")
    ap.add_argument("--docs", type=int, default=40, help="generated documents (default 40)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the result as JSON")
    args = ap.parse_args()
    if args.root:
        result = run(Project(args.root))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(make_corpus(Path(tmp) / "proj", n_docs=args.docs, seed=args.seed))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
