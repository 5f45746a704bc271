"""Suggestions: pre-labels for sentences from transparent cue rules or from a model of the team's own labels.

Two suggesters share one interface (``suggest(text, before, after) -> Suggestion``
and ``suggest_all(texts)``), each with a name and version (its ``agent``) that is
recorded wherever its output is stored:

- :class:`RulesSuggester` reads the ``suggest:`` section of each label of a tagset
  (``cues``, ``needs_quotation_marks``, ``questions``, ``priority``) and says which
  cue fired.
- :class:`ModelSuggester` is a TF-IDF + logistic regression classifier trained on
  the project's labels (gold where present, else the annotators' majority). It needs
  scikit-learn, an optional extra (``pip install 'annotate[model]'``); it is stored
  under ``.annotate/model.pkl`` in the project, never under ``labels/``.

Suggestions for a document are written to ``labels/<doc>/_suggestions.yaml``: not
an annotator file (the stem is reserved), never counted in agreement or status.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import pickle
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import AnnotateError
from .models import SUGGESTIONS, Tagset
from .store import Document, Project, atomic_write

SUGGESTIONS_VERSION = 1
"""Format version of ``labels/<doc>/_suggestions.yaml``."""

SUGGESTIONS_HEADER = (
    "# Machine suggestions written by `annotate suggest`: not an annotator's labels.\n"
    "# Never counted in agreement or status; shown by `annotate label --suggest`. Regenerate, don't edit."
)

MODEL_PATH = Path(".annotate") / "model.pkl"
"""Where the trained model lives, relative to the project root (not under labels/)."""

MODEL_FORMAT = 1
"""Version of the pickled model's metadata layout."""


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
    """The sentences before and after the ``i``-th of ``texts`` (None at either end): a suggester's context."""
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


_ANY_QUOTATION_MARK = re.compile("[" + re.escape(_STRAIGHT + _OPENERS + _CLOSERS) + "]")


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the text inside double quotation marks (straight, curly, „German“, «guillemets»).

    A quotation left open runs to the end of the sentence (quotes split over sentences);
    a closing mark with no opening one before it closes a quotation begun at the start.
    """
    spans: list[tuple[int, int]] = []
    opened: str | None = None
    start = 0
    for mark in _ANY_QUOTATION_MARK.finditer(text):  # the marks only: nothing else changes the state
        i, ch = mark.start(), mark.group()
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
    first_words: tuple[str, ...] = ()
    """Each cue's first word, lower case: a cue cannot occur in an ASCII sentence that lacks it."""

    def find(self, text: str) -> list[str]:
        """The cues found in ``text``, in the order they occur (each once)."""
        # ASCII text: a case-insensitive match needs the lower-cased first word as a substring.
        low = text.lower() if text.isascii() else None
        hits: list[tuple[int, str]] = []
        for cue, pat, first in zip(self.cues, self.patterns, self.first_words, strict=True):
            if low is not None and first not in low:
                continue
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

    Keys of a label's ``suggest:`` section:

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
            section = {**defaults.get(lab.name, {}), **lab.suggest}
            where = f"tagset {tagset.name}: labels[{order}] ({lab.name}): suggest"
            cues = section.get("cues") or []
            if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
                raise AnnotateError(f"{where}: cues must be a list of words or phrases")
            priority = section.get("priority")
            if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int | float)):
                raise AnnotateError(f"{where}: priority must be a number (lower is tried first)")
            needs_quotes = bool(section.get("needs_quotation_marks", False))
            questions = bool(section.get("questions", False))
            if not cues and not needs_quotes and not questions:
                fallback = fallback or lab.name
                continue
            if priority is None:
                priority = math.inf
            rules.append(_Rule(lab.name, tuple(cues), tuple(_cue_pattern(c) for c in cues), needs_quotes,
                               questions, float(priority), order, tuple(c.split()[0].lower() for c in cues)))
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


# --------------------------------------------------------------------------- documents


def _document(project: Project, doc: Document | str) -> Document:
    return doc if isinstance(doc, Document) else project.document(doc)


def document_spans(project: Project, doc: Document | str) -> tuple[list[tuple[int, int]], str, str, str | None]:
    """The sentences of a document: ``(spans, source text, source sha256, scheme of its label files)``.

    The spans are the ones annotators label (:func:`annotate.reading.document_spans`), so
    suggestions line up with them.
    """
    from .reading import document_labels
    from .reading import document_spans as units

    document = _document(project, doc)
    source = project.read_source(document)
    scheme = None
    with contextlib.suppress(AnnotateError):
        files = document_labels(project, document, source=source).every_file()
        scheme = next((lf.scheme for lf in files.values()), None)
    return units(project, document, source), source.text, source.sha256, scheme


def suggest_document(project: Project, doc: Document | str, suggester: Suggester
                     ) -> list[tuple[int, int, Suggestion]]:
    """``(start, end, suggestion)`` for every sentence of the document, in order."""
    spans, text, _, _ = document_spans(project, doc)
    texts = [text[s:e] for s, e in spans]
    return [(s, e, sug) for (s, e), sug in zip(spans, suggester.suggest_all(texts), strict=True)]


def suggestions_path(project: Project, doc_id: str) -> Path:
    """``labels/<doc>/_suggestions.yaml``."""
    return project.labels / doc_id / f"{SUGGESTIONS}.yaml"


def write_suggestions(project: Project, doc: Document | str, items: Sequence[tuple[int, int, Suggestion]],
                      suggester: Suggester) -> Path:
    """Write the suggestions file of a document durably; returns its path."""
    from .yamlio import dump_document

    document = _document(project, doc)
    source = project.read_source(document)
    sentences = []
    for start, end, sug in items:
        row: dict[str, Any] = {"start": start, "end": end, "text": source.text[start:end], "label": sug.label,
                               "score": round(float(sug.score), 3)}
        if sug.cue is not None:
            row["cue"] = sug.cue
        if sug.agent != suggester.agent:
            row["agent"] = sug.agent
        sentences.append(row)
    data = {
        "version": SUGGESTIONS_VERSION,
        "document": document.id,
        "source": project.display(document.path),
        "source_sha256": source.sha256,
        "agent": suggester.agent,
        "scheme": suggester.scheme,
        "sentences": sentences,
    }
    path = suggestions_path(project, document.id)
    atomic_write(path, dump_document(data, header=SUGGESTIONS_HEADER).encode("utf-8"))
    return path


class SuggestionMap(dict[tuple[int, int], Suggestion]):
    """Suggestions by ``(start, end)``, with where they came from.

    Empty with ``stale`` set when the file was made for another version of the
    source (``reason`` says so); empty with ``path`` None when there is no file.
    """

    path: Path | None = None
    agent: str | None = None
    scheme: str | None = None
    stale: bool = False
    reason: str | None = None


def load_suggestions(project: Project, doc: Document | str, tagset: Tagset | None = None) -> SuggestionMap:
    """The document's ``_suggestions.yaml`` by span; empty when missing or made for another source.

    With ``tagset``, a file made for another tagset is not used either (``stale``, with the
    reason), and suggestions of labels the tagset lacks are dropped. A file that cannot be
    read or has the wrong shape is an :class:`AnnotateError`.
    """
    from .yamlio import decode, load_yaml

    document = _document(project, doc)
    path = suggestions_path(project, document.id)
    out = SuggestionMap()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise AnnotateError(f"cannot read suggestions: {exc.strerror}", project.display(path)) from None
    where = project.display(path)
    data = load_yaml(decode(raw, Path(where)), Path(where))
    if not isinstance(data, dict) or not isinstance(data.get("sentences"), list):
        raise AnnotateError("a suggestions file must be a mapping with a sentences list", where)
    version = data.get("version")
    if not isinstance(version, int) or version > SUGGESTIONS_VERSION:
        raise AnnotateError(f"version: {version!r} is not a suggestions format this tool reads"
                            f" ({SUGGESTIONS_VERSION}); run annotate suggest again", where)
    out.path, out.agent, out.scheme = path, str(data.get("agent") or "?"), data.get("scheme")
    current = project.read_source(document).sha256
    if data.get("source_sha256") != current:
        out.stale = True
        out.reason = f"{where} was made for another version of the source; run annotate suggest {document.id}"
        return out
    if tagset is not None and out.scheme is not None and out.scheme != tagset.name:
        out.stale = True
        out.reason = f"{where} was made for tagset {out.scheme}, not {tagset.name}; run annotate suggest {document.id}"
        return out
    for i, row in enumerate(data["sentences"]):
        try:
            span = (int(row["start"]), int(row["end"]))
            out[span] = Suggestion(str(row["label"]), float(row.get("score", 0.0)),
                                   None if row.get("cue") is None else str(row["cue"]),
                                   str(row.get("agent") or out.agent))
        except (KeyError, TypeError, ValueError):
            raise AnnotateError(f"sentences[{i}]: needs start, end, label and a numeric score", where) from None
    if tagset is not None:
        for span in [span for span, sug in out.items() if sug.label not in tagset.names]:
            del out[span]
    return out


def format_table(items: Sequence[tuple[int, int, Suggestion]], texts: Sequence[str], width: int = 100) -> list[str]:
    """A readable table of suggestions: number, label, score, cue and the sentence, shortened to ``width``."""
    n_w = len(str(len(items)))
    lab_w = max([5, *(len(s.label) for _, _, s in items)])
    cue_w = min(40, max([3, *(len(s.cue or "-") for _, _, s in items)]))
    lines = [f"{'#':>{n_w}}  {'label':<{lab_w}}  score  {'cue':<{cue_w}}  sentence"]
    text_w = max(20, width - len(lines[0]) + len("sentence"))
    for n, ((_, _, sug), text) in enumerate(zip(items, texts, strict=True), 1):
        cue = _shorten(sug.cue or "-", cue_w)
        lines.append(f"{n:>{n_w}}  {sug.label:<{lab_w}}  {sug.score:5.2f}  {cue:<{cue_w}}  "
                     f"{_shorten(' '.join(text.split()), text_w)}")
    counts = Counter(s.label for _, _, s in items)
    lines.append(f"{len(items)} sentences: " + ", ".join(f"{lab} {k}" for lab, k in counts.most_common()))
    return lines


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


# --------------------------------------------------------------------------- training data


@dataclass(frozen=True)
class Example:
    """A labeled sentence with its neighbours, for training and evaluation."""

    doc: str
    start: int
    end: int
    text: str
    before: str | None
    after: str | None
    label: str
    origin: str
    """``gold`` or ``majority``."""


@dataclass
class Corpus:
    """The labeled sentences of a project, and what was left out."""

    examples: list[Example]
    scheme: str | None
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def documents(self) -> list[str]:
        """The documents with at least one example, in order."""
        return list(dict.fromkeys(e.doc for e in self.examples))

    def sha256(self) -> str:
        """A hash of the training data (documents, spans, texts, labels)."""
        h = hashlib.sha256()
        for e in self.examples:
            h.update(json.dumps([e.doc, e.start, e.end, e.text, e.before, e.after, e.label],
                                ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()


def collect_examples(project: Project) -> Corpus:
    """Every sentence with a final label: gold where decided, else the annotators' unique majority.

    Sentences nobody labeled, and ties without gold, are skipped and counted.
    """
    from .agreement import majority
    from .reading import document_labels

    examples: list[Example] = []
    skipped = Counter({"unlabeled": 0, "tie": 0})
    schemes: dict[str, str] = {}
    for doc in project.documents():
        if not project.label_files(doc.id):
            continue
        dl = document_labels(project, doc)
        files = ([dl.gold] if dl.gold is not None else []) + [dl.files[a] for a in dl.annotators]
        for lf in files:
            schemes.setdefault(lf.scheme, doc.id)
        texts: dict[tuple[int, int], str] = {}
        neighbours: dict[tuple[int, int], tuple[str | None, str | None]] = {}
        for lf in files:
            sents = lf.sentences
            for i, s in enumerate(sents):
                if s.span not in texts:
                    texts[s.span] = s.text
                    neighbours[s.span] = (sents[i - 1].text if i else None,
                                          sents[i + 1].text if i + 1 < len(sents) else None)
        gold = {s.span: s.label for s in dl.gold.sentences} if dl.gold is not None else {}
        votes: dict[tuple[int, int], list[str | None]] = {}
        for a in dl.annotators:
            for s in dl.files[a].sentences:
                votes.setdefault(s.span, []).append(s.label)
        for span in sorted(texts):
            label, origin = gold.get(span), "gold"
            if label is None:
                given = [v for v in votes.get(span, []) if v is not None]
                if not given:
                    skipped["unlabeled"] += 1
                    continue
                label, origin = majority(given), "majority"
                if label is None:
                    skipped["tie"] += 1
                    continue
            examples.append(Example(doc.id, *span, texts[span], *neighbours[span], label, origin))
    if len(schemes) > 1:
        used = ", ".join(f"{s} ({d})" for s, d in sorted(schemes.items()))
        raise AnnotateError(f"the label files use different tagsets: {used}; train on one tagset at a time")
    return Corpus(examples, next(iter(schemes), None), dict(skipped))


# --------------------------------------------------------------------------- model

SKLEARN_MISSING = (
    "--with model needs scikit-learn, an optional extra: pip install 'annotate[model]'"
    " (or pip install 'scikit-learn>=1.3')"
)


def require_sklearn() -> Any:
    """The sklearn module, or an AnnotateError saying how to install it."""
    try:
        import sklearn
        import sklearn.feature_extraction.text  # noqa: F401 - a broken install fails here, not mid-way
    except ImportError:
        raise AnnotateError(SKLEARN_MISSING) from None
    return sklearn


_TOKENS = r"(?u)\b\w+\b|[\"“”„«»?!]"
"""Words, plus quotation marks and ?/! as tokens of their own (they carry the label)."""

_START, _END = "__start__", "__end__"


def make_pipeline() -> Any:
    """The (unfitted) classifier: TF-IDF of the sentence (words 1-2, characters 3-5) and of its neighbours
    (words, as separate features), then logistic regression."""
    require_sklearn()
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    features = ColumnTransformer([
        ("w", TfidfVectorizer(ngram_range=(1, 2), token_pattern=_TOKENS, sublinear_tf=True), 0),
        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_features=100_000), 0),
        ("prev", TfidfVectorizer(token_pattern=_TOKENS, sublinear_tf=True), 1),
        ("next", TfidfVectorizer(token_pattern=_TOKENS, sublinear_tf=True), 2),
    ], sparse_threshold=1.0)
    return Pipeline([("features", features), ("clf", LogisticRegression(C=5.0, max_iter=2000))])


def _rows(items: Sequence[tuple[str, str | None, str | None]]) -> Any:
    import numpy as np

    out = np.empty((len(items), 3), dtype=object)
    for i, (text, before, after) in enumerate(items):
        out[i] = (text, before if before else _START, after if after else _END)
    return out


@dataclass
class TrainReport:
    """Cross-validated quality of the model on the project's labels (folds grouped by document)."""

    documents: int
    sentences: int
    skipped: dict[str, int]
    origins: dict[str, int]
    labels: list[str]
    label_counts: dict[str, int]
    folds: list[tuple[list[str], list[str]]]
    """Per fold: (training documents, test documents); never overlapping."""
    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    """Per label: precision, recall, f1, support."""
    baseline_label: str
    baseline_accuracy: float
    baseline_macro_f1: float
    agent: str = ""
    scheme: str | None = None
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as plain data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def lines(self) -> list[str]:
        """The report for people."""
        skipped = ", ".join(f"{v} {k}" for k, v in self.skipped.items() if v) or "none"
        origins = ", ".join(f"{v} {k}" for k, v in self.origins.items())
        out = [
            f"trained {self.agent} on {self.sentences} sentences of {self.documents} documents"
            f" (tagset {self.scheme}; labels: {origins}; skipped: {skipped})",
            f"cross-validation: {len(self.folds)} folds grouped by document (no document in two folds)",
            f"accuracy  {self.accuracy:.3f}   macro-F1 {self.macro_f1:.3f}",
            f"baseline  {self.baseline_accuracy:.3f}   macro-F1 {self.baseline_macro_f1:.3f}"
            f"   (always the training folds' most frequent label, here mostly {self.baseline_label})",
        ]
        lab_w = max(5, *(len(lab) for lab in self.per_label))
        out.append(f"{'label':<{lab_w}}  precision  recall     F1  sentences")
        for lab, st in self.per_label.items():
            out.append(f"{lab:<{lab_w}}  {st['precision']:9.3f}  {st['recall']:6.3f}  {st['f1']:5.3f}"
                       f"  {int(st['support']):9d}")
        if self.path:
            out.append(f"saved to {self.path}")
        return out


def group_folds(docs: Sequence[str], k: int | None = None) -> list[tuple[list[int], list[int]]]:
    """Train/test index lists of a k-fold split grouped by document (k = min(5, documents) by default)."""
    require_sklearn()
    import numpy as np
    from sklearn.model_selection import GroupKFold

    n_docs = len(set(docs))
    k = k or min(5, n_docs)
    splitter = GroupKFold(n_splits=k)
    x = np.zeros((len(docs), 1))
    return [(list(tr), list(te)) for tr, te in splitter.split(x, groups=list(docs))]


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> tuple[float, float,
                                                                                         dict[str, dict[str, float]]]:
    """Accuracy, macro-F1 and per-label precision/recall/F1/support."""
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == lab and p == lab)
        n_pred = sum(1 for p in predicted if p == lab)
        n_gold = sum(1 for g in gold if g == lab)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": n_gold}
    acc = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return round(acc, 4), round(macro, 4), per


def cross_validate(corpus: Corpus, k: int | None = None) -> TrainReport:
    """Grouped k-fold cross-validation of the model (and the majority-class baseline) on a corpus."""
    examples = corpus.examples
    docs = [e.doc for e in examples]
    labels = sorted({e.label for e in examples})
    if len(set(docs)) < 2:
        raise AnnotateError(f"training needs labeled sentences in at least 2 documents (have {len(set(docs))}):"
                            " cross-validation holds out whole documents")
    if len(labels) < 2:
        raise AnnotateError(f"training needs at least 2 different labels (have {', '.join(labels) or 'none'})")
    from sklearn.base import clone

    x = _rows([(e.text, e.before, e.after) for e in examples])
    y = [e.label for e in examples]
    predicted: list[str | None] = [None] * len(y)
    baseline: list[str | None] = [None] * len(y)
    folds: list[tuple[list[str], list[str]]] = []
    base_labels: Counter[str] = Counter()
    template = make_pipeline()
    for train_idx, test_idx in group_folds(docs, k):
        train_y = [y[i] for i in train_idx]
        top = Counter(train_y).most_common(1)[0][0]
        base_labels[top] += len(test_idx)
        for i in test_idx:
            baseline[i] = top
        folds.append((sorted({docs[i] for i in train_idx}), sorted({docs[i] for i in test_idx})))
        if len(set(train_y)) < 2:  # a fold whose training part has one label: that label is the model
            for i in test_idx:
                predicted[i] = top
            continue
        model = clone(template).fit(x[train_idx], train_y)
        for i, p in zip(test_idx, model.predict(x[test_idx]), strict=True):
            predicted[i] = str(p)
    acc, macro, per = evaluate(y, [str(p) for p in predicted], labels)
    b_acc, b_macro, _ = evaluate(y, [str(b) for b in baseline], labels)
    return TrainReport(
        documents=len(set(docs)), sentences=len(examples), skipped=corpus.skipped,
        origins=dict(Counter(e.origin for e in examples)), labels=labels, label_counts=dict(Counter(y)),
        folds=folds, accuracy=acc, macro_f1=macro, per_label=per, baseline_label=base_labels.most_common(1)[0][0],
        baseline_accuracy=b_acc, baseline_macro_f1=b_macro, scheme=corpus.scheme,
    )


class ModelSuggester:
    """TF-IDF + logistic regression on the project's own labels (scikit-learn, an optional extra)."""

    name = "model"
    version = 1

    def __init__(self, pipeline: Any = None, meta: dict[str, Any] | None = None) -> None:
        require_sklearn()
        self.pipeline = pipeline
        self.meta: dict[str, Any] = meta or {}
        self._feature_names: list[str] | None = None

    @property
    def agent(self) -> str:
        """``model <version> <first 8 hex of the training data's sha256>``."""
        digest = str(self.meta.get("data_sha256", ""))[:8] or "untrained"
        return f"{self.name} {self.version} {digest}"

    @property
    def scheme(self) -> str:
        """The tagset the model was trained on."""
        return str(self.meta.get("scheme") or "")

    @property
    def labels(self) -> list[str]:
        """The labels the model can suggest."""
        return [str(c) for c in self.pipeline.classes_] if self.pipeline is not None else []

    # training -----------------------------------------------------------------

    def fit(self, corpus: Corpus) -> ModelSuggester:
        """Fit on a corpus (in memory only)."""
        labels = {e.label for e in corpus.examples}
        if len(labels) < 2:
            raise AnnotateError(f"training needs at least 2 different labels (have {', '.join(labels) or 'none'})")
        x = _rows([(e.text, e.before, e.after) for e in corpus.examples])
        self.pipeline = make_pipeline().fit(x, [e.label for e in corpus.examples])
        self._feature_names = None
        import sklearn

        self.meta = {"format": MODEL_FORMAT, "name": self.name, "version": self.version, "scheme": corpus.scheme,
                     "labels": sorted(labels), "data_sha256": corpus.sha256(), "sklearn": sklearn.__version__,
                     "documents": len(corpus.documents), "sentences": len(corpus.examples)}
        return self

    def train(self, project: Project, k: int | None = None) -> TrainReport:
        """Cross-validate on the project's labels, fit on all of them, save to ``.annotate/model.pkl``."""
        corpus = collect_examples(project)
        report = cross_validate(corpus, k)
        self.fit(corpus)
        report.agent = self.agent
        self.meta["report"] = report.to_json()
        path = self.save(project)
        report.path = project.display(path)
        return report

    # storage ------------------------------------------------------------------

    @staticmethod
    def path(project: Project) -> Path:
        """``<root>/.annotate/model.pkl``."""
        return project.root / MODEL_PATH

    def save(self, project: Project) -> Path:
        """Store the fitted pipeline and its metadata durably; returns the path."""
        if self.pipeline is None:
            raise AnnotateError("the model is not trained yet")
        path = self.path(project)
        atomic_write(path, pickle.dumps({**self.meta, "pipeline": self.pipeline}, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    @classmethod
    def load(cls, project: Project) -> ModelSuggester:
        """The project's trained model (a pickle this tool wrote: load only projects you trust)."""
        sklearn = require_sklearn()
        path = cls.path(project)
        where = project.display(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise AnnotateError("no trained model: run annotate suggest train first", where) from None
        except OSError as exc:
            raise AnnotateError(f"cannot read the model: {exc.strerror}", where) from None
        try:
            meta = pickle.loads(raw)  # noqa: S301 - written by annotate suggest train in this project
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means: retrain
            raise AnnotateError(f"cannot load the model ({type(exc).__name__}); run annotate suggest train",
                                where) from None
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT or "pipeline" not in meta:
            raise AnnotateError("not a model this version of annotate wrote; run annotate suggest train", where)
        if meta.get("sklearn") != sklearn.__version__:
            raise AnnotateError(f"the model was trained with scikit-learn {meta.get('sklearn')}, this is"
                                f" {sklearn.__version__}; run annotate suggest train again", where)
        pipeline = meta.pop("pipeline")
        return cls(pipeline, meta)

    # suggesting ---------------------------------------------------------------

    def suggest(self, text: str, before: str | None = None, after: str | None = None) -> Suggestion:
        """The most probable label, its probability, and the words that pushed it most."""
        return self.suggest_items([(text, before, after)])[0]

    def suggest_all(self, texts: Sequence[str]) -> list[Suggestion]:
        """Suggestions for the sentences of a document, in order (one batch)."""
        return self.suggest_items([(t, *neighbours(texts, i)) for i, t in enumerate(texts)])

    def suggest_items(self, items: Sequence[tuple[str, str | None, str | None]]) -> list[Suggestion]:
        """Suggestions for ``(text, before, after)`` triples, in one batch."""
        if self.pipeline is None:
            raise AnnotateError("the model is not trained yet: run annotate suggest train")
        if not items:
            return []
        features = self.pipeline.named_steps["features"]
        clf = self.pipeline.named_steps["clf"]
        x = features.transform(_rows(items))
        proba = clf.predict_proba(x)
        classes = [str(c) for c in clf.classes_]
        out = []
        for row in range(len(items)):
            k = int(proba[row].argmax())
            cue = self._top_features(x[row], clf, k)
            out.append(Suggestion(classes[k], round(float(proba[row][k]), 3), cue, self.agent))
        return out

    def _top_features(self, xrow: Any, clf: Any, k: int, n: int = 3) -> str:
        if self._feature_names is None:
            self._feature_names = [str(f) for f in self.pipeline.named_steps["features"].get_feature_names_out()]
        coef = clf.coef_
        weights = coef[k] if coef.shape[0] > 1 else (coef[0] if k == 1 else -coef[0])
        xrow = xrow.tocsr()
        scored = []
        for j, v in zip(xrow.indices, xrow.data, strict=True):
            name = self._feature_names[j]
            group, _, feat = name.partition("__")
            if group == "c" or feat in (_START, _END):
                continue  # character n-grams are not readable cues
            contribution = float(v * weights[j])
            if contribution > 0:
                scored.append((contribution, f"{group}: {feat}" if group in ("prev", "next") else feat))
        scored.sort(reverse=True)
        words = [w for _, w in scored[:n]]
        return "model: " + ", ".join(words) if words else "model"
