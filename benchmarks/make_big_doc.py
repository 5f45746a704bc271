"""Write a large, deterministic, news-like document for the benchmarks.

    python benchmarks/make_big_doc.py PROJECT_DIR            # -> PROJECT_DIR/seeds/big-10k.txt
    python benchmarks/make_big_doc.py PROJECT_DIR --sentences 2000 --name big-2k --check

Sentences are generated from templates (facts, hedged speculation, quotes,
opinions) with a seeded RNG, so the same arguments always give the same bytes.
Paragraphs hold 1-5 sentences and are separated by blank lines. The templates
avoid abbreviations and other traps for the sentence splitter, so the
project's segmenter finds exactly ``--sentences`` sentences (``--check``
verifies this with ``annotate.segment`` when it is importable).
"""

from __future__ import annotations

import argparse
import os
import random
import sys

PEOPLE = [
    "Maria Lopez",
    "Chen Wei",
    "Ahmed Karim",
    "Olga Petrova",
    "James Whitfield",
    "Aiko Tanaka",
    "Samuel Okafor",
    "Ingrid Larsen",
    "Rafael Costa",
    "Priya Natarajan",
    "Tomasz Nowak",
    "Fatima Haddad",
    "Daniel Brooks",
    "Yuki Sato",
    "Elena Rossi",
]
ROLES = [
    "the finance minister",
    "a senior diplomat",
    "the central bank governor",
    "an economist at a Frankfurt research institute",
    "the company's chief executive",
    "a spokesperson for the ministry",
    "the opposition leader",
    "a trade negotiator",
    "a professor of political science",
    "the mayor",
    "a union representative",
    "an energy analyst",
    "the health commissioner",
    "a retired general",
]
ORGS = [
    "the national statistics office",
    "the European Commission",
    "the World Bank",
    "the port authority",
    "the state-run news agency",
    "the energy regulator",
    "the central bank",
    "the defence ministry",
    "a coalition of farmers' groups",
    "the largest carmaker in the country",
    "the city council",
    "the shipping consortium",
]
PLACES = [
    "Beijing",
    "Brussels",
    "Nairobi",
    "Sao Paulo",
    "Jakarta",
    "Warsaw",
    "Lagos",
    "Seoul",
    "Geneva",
    "Mexico City",
    "Istanbul",
    "Hanoi",
    "Oslo",
    "Lima",
    "Cairo",
]
THINGS = [
    "grain exports",
    "electricity prices",
    "factory output",
    "youth unemployment",
    "housing starts",
    "steel tariffs",
    "fuel subsidies",
    "the budget deficit",
    "rail freight volumes",
    "vaccine deliveries",
    "coal imports",
    "consumer spending",
    "the trade surplus",
    "wheat reserves",
    "semiconductor shipments",
    "tourist arrivals",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
UP_DOWN = ["rose", "fell", "climbed", "dropped", "edged up", "slipped", "jumped", "slumped"]
HEDGES = [
    "could",
    "may",
    "might",
    "is expected to",
    "is likely to",
    "appears set to",
    "is believed to be ready to",
    "would probably",
]
HEDGES_PLURAL = [
    "could",
    "may",
    "might",
    "are expected to",
    "are likely to",
    "appear set to",
    "are believed to be ready to",
    "would probably",
]
ACTIONS = [
    "raise interest rates",
    "announce new sanctions",
    "delay the vote",
    "cut the tariff",
    "open talks with its neighbours",
    "restructure its debt",
    "close the border crossing",
    "approve the merger",
    "extend the ceasefire",
    "revise its growth forecast",
    "suspend the pipeline project",
    "call an early election",
]
ADJ_BAD = ["reckless", "short-sighted", "disastrous", "cynical", "naive", "costly"]
ADJ_GOOD = ["overdue", "courageous", "sensible", "welcome", "long-awaited", "wise"]
GROUPS = [
    "small farmers",
    "pensioners",
    "young families",
    "exporters",
    "commuters",
    "taxpayers",
    "factory workers",
    "local businesses",
    "students",
    "nurses",
]
QUOTES = [
    "We will not accept any agreement that ignores the needs of our workers",
    "The numbers speak for themselves and the recovery is real",
    "Nobody in this building wants a trade war, but we are prepared for one",
    "It is too early to say whether the measures are working",
    "Our priority is to keep the lights on this winter",
    "This is a difficult moment, and we ask people to be patient",
    "The talks were frank, constructive and at times very tense",
    "We have seen no evidence that the plan will lower prices",
    "Every delay costs us customers and it costs the country jobs",
    "The government has lost the confidence of the people",
]


def _num(rng: random.Random) -> str:
    return f"{rng.randint(2, 48)}.{rng.randint(0, 9)}"


def _count(rng: random.Random) -> str:
    return f"{rng.randint(1, 980):,}{rng.choice(['', ',000', ',500'])}"


def sentence(rng: random.Random) -> str:
    person, role, org = rng.choice(PEOPLE), rng.choice(ROLES), rng.choice(ORGS)
    place, thing, month = rng.choice(PLACES), rng.choice(THINGS), rng.choice(MONTHS)
    day, action, group = rng.choice(DAYS), rng.choice(ACTIONS), rng.choice(GROUPS)
    kind = rng.randrange(10)
    if kind == 0:
        s = (
            f"{thing.capitalize()} {rng.choice(UP_DOWN)} {_num(rng)} percent in {month} "
            f"from a year earlier, according to figures released by {org} on {day}."
        )
    elif kind == 1:
        s = (
            f"{org.capitalize()} said on {day} that it had received {_count(rng)} applications "
            f"since the programme opened in {month}."
        )
    elif kind == 2:
        s = (
            f"Officials in {place} {rng.choice(HEDGES_PLURAL)} {action} before the end of {month}, "
            f"people familiar with the discussions said."
        )
    elif kind == 3:
        s = (
            f"{person}, {role}, said the government {rng.choice(HEDGES)} {action} "
            f"if the figures for {thing} keep getting worse."
        )
    elif kind == 4:
        s = f'"{rng.choice(QUOTES)}," {person} told reporters in {place} on {day}.'
    elif kind == 5:
        s = f'"{rng.choice(QUOTES)}," said {person}, {role}.'
    elif kind == 6:
        s = f"The decision to {action} is a {rng.choice(ADJ_BAD)} mistake that will hurt {group} for years."
    elif kind == 7:
        s = f"It is {rng.choice(ADJ_GOOD)} that {org} finally chose to {action}, and {group} deserve the credit."
    elif kind == 8:
        s = f"About {_count(rng)} people gathered in central {place} on {day} to protest against plans to {action}."
    else:
        s = (
            f"There is speculation that {org} {rng.choice(HEDGES)} {action} as "
            f"worries about {thing} weigh on the economy."
        )
    return s[0].upper() + s[1:]


def make_text(n_sentences: int, seed: int = 10_000) -> str:
    """``n_sentences`` sentences in paragraphs of 1-5 sentences separated by blank lines."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    left = n_sentences
    while left > 0:
        k = min(left, rng.randint(1, 5))
        paragraphs.append(" ".join(sentence(rng) for _ in range(k)))
        left -= k
    return "\n\n".join(paragraphs) + "\n"


def write_doc(project: str, n_sentences: int = 10_000, name: str = "big-10k", seed: int = 10_000) -> str:
    """Write ``project/seeds/<name>.txt`` and return its path."""
    path = os.path.join(project, "seeds", f"{name}.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(make_text(n_sentences, seed))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", help="project directory (the file goes to seeds/<name>.txt)")
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--name", default="big-10k", help="document id (default: big-10k)")
    ap.add_argument("--seed", type=int, default=10_000)
    ap.add_argument(
        "--check", action="store_true", help="segment the result with annotate.segment and compare the count"
    )
    args = ap.parse_args(argv)
    path = write_doc(args.project, args.sentences, args.name, args.seed)
    size = os.path.getsize(path)
    print(f"wrote {path} ({args.sentences} sentences, {size:,} bytes)")
    if args.check:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from annotate.segment import segment

        with open(path, encoding="utf-8") as fh:
            n = len(segment(fh.read()))
        print(f"segmenter found {n} sentences")
        return 0 if n == args.sentences else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
