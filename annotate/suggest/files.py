"""The suggestions file of a document: ``labels/<doc>/_suggestions.yaml``, written and read.

Not an annotator's file (the stem is reserved), never counted in agreement or status;
``annotate label --suggest`` shows what it holds. It is read and written only inside
the project (a link out of it is refused).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import SUGGESTIONS, Tagset
from ..store import Document, Project, atomic_write
from .rules import Suggester, Suggestion

SUGGESTIONS_VERSION = 1
"""Format version of ``labels/<doc>/_suggestions.yaml``."""

SUGGESTIONS_HEADER = (
    "# Machine suggestions written by `annotate suggest`: not an annotator's labels.\n"
    "# Never counted in agreement or status; shown by `annotate label --suggest`. Regenerate, don't edit."
)


def _document(project: Project, doc: Document | str) -> Document:
    return doc if isinstance(doc, Document) else project.document(doc)


def document_spans(project: Project, doc: Document | str) -> tuple[list[tuple[int, int]], str, str, str | None]:
    """The sentences of a document: ``(spans, source text, source sha256, scheme of its label files)``.

    The spans are the ones annotators label (:func:`annotate.reading.document_spans`), so
    suggestions line up with them.
    """
    from ..reading import document_labels
    from ..reading import document_spans as units

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
    from ..yamlio import dump_document

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
    atomic_write(path, dump_document(data, header=SUGGESTIONS_HEADER).encode("utf-8"), root=project.root)
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
    from ..yamlio import decode, load_yaml

    document = _document(project, doc)
    path = suggestions_path(project, document.id)
    out = SuggestionMap()
    where = project.display(path)
    raw = project.read_optional(path, "suggestions")
    if raw is None:
        return out
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
