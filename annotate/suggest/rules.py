"""Cue rules: the suggestion type every suggester returns, and the transparent rules suggester.

:class:`RulesSuggester` reads the ``suggest:`` section of each label of a tagset
(validated when the tagset loads: :class:`annotate.models.SuggestRules`) and says
which cue fired. Pure text work: no files, nothing optional to install.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import AnnotateError
from ..models import Tagset

# --------------------------------------------------------------------------- the suggestion


@dataclass(frozen=True)
class Suggestion:
    """One suggested label for one sentence."""

    label: str
    score: float
    """How sure the suggester is, 0..1 (rules: a fixed confidence per kind of evidence; model: probability)."""
    cue: str | None
    """What made it: the cue that fired (rules), or the strongest word features (model)."""
    agent: str
    """Name and version of the suggester, e.g. ``rules 1`` or ``model 1 3f2a9c1d``."""


class Suggester(Protocol):
    """What :func:`suggest_document` needs of a suggester."""

    name: str
    version: int

    @property
    def agent(self) -> str: ...

    @property
    def scheme(self) -> str: ...

    def suggest(self, text: str, before: str | None = None, after: str | None = None) -> Suggestion: ...

    def suggest_all(self, texts: Sequence[str]) -> list[Suggestion]: ...

    def suggest_items(self, items: Sequence[tuple[str, str | None, str | None]]) -> list[Suggestion]: ...


def neighbours(texts: Sequence[str], i: int) -> tuple[str | None, str | None]:
    """The sentences before and after sentence ``i`` (None at the ends)."""
    return (texts[i - 1] if i > 0 else None, texts[i + 1] if i + 1 < len(texts) else None)


# --------------------------------------------------------------------------- rules

# Double quotation marks only: single ones are too often apostrophes (Kim's, ’s).
_STRAIGHT = '"'
_OPENERS = "“„«"
_CLOSERS = "”»"

_WORD = re.compile(r"\w+")

CLAIM_TYPES_DEFAULTS: dict[str, dict[str, Any]] = {
    "quote": {"priority": 1},
    "opinion": {"priority": 2, "questions": True},
    "speculation": {"priority": 3},
}
"""The decision order of the default tagset (quote, opinion, speculation, fact) and its rhetorical-question rule.

Applied to a tagset named ``claim-types`` for keys its ``suggest:`` sections do not set
themselves, so the shipped tagset file needs no ``priority:``; a file that sets them wins.
"""

# "May" the month is not the modal: "in May", "since May", "May 5".
_MONTH_MAY = re.compile(
    r"(?:\b(?:in|on|of|since|until|till|by|from|to|last|next|early|late|mid|mid-)\s+May\b)|(?:\bMay\s+\d)"
)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the text inside double quotation marks (straight, curly, „German“, «guillemets»).

    A quotation left open runs to the end of the sentence (quotes split over sentences);
    a closing mark with no opening one before it closes a quotation begun at the start.
    """
    spans: list[tuple[int, int]] = []
    opened: str | None = None
    start = 0
    for i, ch in enumerate(text):
        if ch == _STRAIGHT:
            if opened is None:
                opened, start = ch, i + 1
            elif opened == _STRAIGHT:
                spans.append((start, i))
                opened = None
        elif ch in _OPENERS:
            if opened is None:
                opened, start = ch, i + 1
            elif opened == "„" and ch == "“":  # German: „...“
                spans.append((start, i))
                opened = None
        elif ch in _CLOSERS:
            if opened is not None and opened != _STRAIGHT:
                spans.append((start, i))
                opened = None
            elif opened is None and not spans:
                spans.append((0, i))
    if opened is not None:
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if e > s]


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the quoted parts replaced by spaces (offsets kept)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


@dataclass(frozen=True)
class _Quotes:
    spans: list[tuple[int, int]]
    quoted_words: int
    total_words: int
    outside: str
    """The text outside the quotation marks."""

    @property
    def substantial(self) -> bool:
        """Quotation marks around a real part of the sentence, not scare quotes around a word or two."""
        q = self.quoted_words
        return q >= 3 and (q >= 8 or q >= 0.3 * self.total_words)

    @property
    def writer_text(self) -> str:
        """Where the writer's own voice is: outside the quotes, or all of it when nothing is outside."""
        return self.outside if _words(self.outside) else ""


def _quotes(text: str) -> _Quotes:
    spans = quoted_spans(text)
    return _Quotes(spans, sum(_words(text[s:e]) for s, e in spans), _words(text), _blank(text, spans))


def _cue_pattern(cue: str) -> re.Pattern[str]:
    parts = cue.split()
    if not parts:
        raise ValueError("empty cue")
    body = r"\s+".join(re.escape(p) for p in parts)
    # Word boundaries only where the cue has a word character; hyphens join words ("fewer-than-expected").
    left = r"(?<![\w-])" if re.match(r"\w", parts[0]) else ""
    right = r"(?![\w-])" if re.search(r"\w$", parts[-1]) else ""
    return re.compile(left + body + right, re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    label: str
    cues: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    needs_quotes: bool
    questions: bool
    priority: float
    order: int

    def find(self, text: str) -> list[str]:
        """The cues found in ``text``, in the order they occur (each once)."""
        hits: list[tuple[int, str]] = []
        for cue, pat in zip(self.cues, self.patterns, strict=True):
            for m in pat.finditer(text):
                if cue.lower() == "may" and _is_month(text, m):
                    continue
                hits.append((m.start(), cue))
                break
        return [cue for _, cue in sorted(hits)]


def _is_month(text: str, m: re.Match[str]) -> bool:
    if not m.group().startswith("M"):
        return False
    return any(mm.start() <= m.start() < mm.end() for mm in _MONTH_MAY.finditer(text))


def _is_question(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’»)]").rstrip().endswith("?")


def _score(evidence: int) -> float:
    """0.5 for one piece of evidence, +0.1 for each more, at most 0.9."""
    return round(min(0.9, 0.5 + 0.1 * (evidence - 1)), 2)


FALLBACK_SCORE = 0.4
"""The rules' score when no cue fired and the fallback label is suggested."""


class RulesSuggester:
    """Transparent cue rules read from a tagset's ``suggest:`` sections.

    Keys of a label's ``suggest:`` section (checked when the tagset loads, with the file and line
    of a mistake: :class:`annotate.models.SuggestRules`):

    - ``cues``: words or phrases (matched case-insensitively, at word boundaries,
      any whitespace between the words of a phrase). A label whose list is empty is
      the fallback, suggested when nothing else fires (the first such label).
    - ``needs_quotation_marks: true``: the label fires only when double quotation
      marks surround a substantial part of the sentence (at least 3 words, and 8 or
      more or 30% of the sentence) *and* a cue occurs outside the quotation marks,
      in the sentence or else in the previous or next sentence. With no cues, the
      marks alone are enough.
    - ``questions: true``: a sentence ending with "?" (outside quotation marks)
      fires the label (cue ``?``).
    - ``priority``: a number; labels are tried lowest first. Without it, labels
      with ``needs_quotation_marks`` come first, then the others in tagset order.
      The first label that fires wins.

    Cues of the other labels are looked for in the writer's own words: outside the
    quotation marks, unless the whole sentence is quoted. Labels without a
    ``suggest:`` section are never suggested. For the tagset ``claim-types`` the
    decision order quote, opinion, speculation, fact and the rhetorical-question
    rule of opinion are built in (:data:`CLAIM_TYPES_DEFAULTS`) unless its file sets them.
    """

    name = "rules"
    version = 1

    def __init__(self, tagset: Tagset) -> None:
        self.tagset = tagset
        defaults = CLAIM_TYPES_DEFAULTS if tagset.name == "claim-types" else {}
        rules: list[_Rule] = []
        fallback: str | None = None
        for order, lab in enumerate(tagset.labels):
            if lab.suggest is None:
                continue
            section = {**defaults.get(lab.name, {}),
                       **{k: v for k, v in lab.suggest.model_dump().items() if v is not None}}
            cues = section.get("cues") or []
            needs_quotes = bool(section.get("needs_quotation_marks", False))
            questions = bool(section.get("questions", False))
            if not cues and not needs_quotes and not questions:
                fallback = fallback or lab.name
                continue
            priority = section.get("priority")
            rules.append(_Rule(lab.name, tuple(cues), tuple(_cue_pattern(c) for c in cues), needs_quotes,
                               questions, math.inf if priority is None else float(priority), order))
        if not rules and fallback is None:
            raise AnnotateError(
                f"tagset {tagset.name} has no suggest: sections with cues; the rules suggester needs them"
                " (or use --with model)"
            )
        self.rules = sorted(rules, key=lambda r: (r.priority, not r.needs_quotes, r.order))
        self.fallback = fallback

    @property
    def agent(self) -> str:
        """``rules <version>``."""
        return f"{self.name} {self.version}"

    @property
    def scheme(self) -> str:
        """The tagset the suggestions belong to."""
        return self.tagset.name

    def suggest(self, text: str, before: str | None = None, after: str | None = None) -> Suggestion:
        """The first rule (in decision order) that fires, else the fallback label."""
        quotes = _quotes(text)
        writer = quotes.writer_text or text
        for rule in self.rules:
            found = self._fire(rule, text, quotes, writer, before, after)
            if found is not None:
                return found
        if self.fallback is None:
            # Every label has cues and none fired: the lowest-priority rule's label, barely.
            return Suggestion(self.rules[-1].label, 0.2, None, self.agent)
        return Suggestion(self.fallback, FALLBACK_SCORE, None, self.agent)

    def suggest_all(self, texts: Sequence[str]) -> list[Suggestion]:
        """A suggestion for each sentence of a document, in order (neighbours taken from the list)."""
        return [self.suggest(t, *neighbours(texts, i)) for i, t in enumerate(texts)]

    def suggest_items(self, items: Sequence[tuple[str, str | None, str | None]]) -> list[Suggestion]:
        """Suggestions for ``(text, before, after)`` triples."""
        return [self.suggest(*item) for item in items]

    def _fire(self, rule: _Rule, text: str, quotes: _Quotes, writer: str, before: str | None,
              after: str | None) -> Suggestion | None:
        if rule.needs_quotes:
            if not quotes.substantial:
                return None
            if not rule.cues:
                return Suggestion(rule.label, _score(1), "quotation marks", self.agent)
            cues = rule.find(quotes.outside)
            if cues:
                return Suggestion(rule.label, _score(1 + len(cues)), f"{', '.join(cues)} + quotation marks",
                                  self.agent)
            for where, neighbour in (("previous", before), ("next", after)):
                if neighbour:
                    cues = rule.find(_quotes(neighbour).outside)
                    if cues:
                        return Suggestion(rule.label, _score(1), f"{cues[0]} ({where} sentence) + quotation marks",
                                          self.agent)
            return None
        cues = rule.find(writer)
        if rule.questions and _is_question(writer or text):
            cues.append("?")
        if not cues:
            return None
        return Suggestion(rule.label, _score(len(cues)), ", ".join(cues), self.agent)
