"""Labels made in other tools, read from their export files as items: a text, a label, who gave it.

- Prodigy (``db-out`` JSONL): ``choice`` answers (``accept``: the chosen option) and
  ``textcat`` answers (``label``), kept when ``answer`` is ``accept``; the annotator is
  ``_annotator_id``, else ``_session_id``.
- doccano (JSONL export): text classification (``label``: a list of categories) and
  sequence labeling (``label``: ``[start, end, label]`` spans, or ``entities``); the
  annotator is the file's name (doccano writes one file per user), unless it is ``all``.
- Label Studio (JSON export): each task's ``annotations``, their ``choices`` results (and
  ``labels`` spans); the annotator is ``completed_by``.
- annotate's own exported JSONL: each annotator's label (and note, unsure flag, time) of
  each sentence, and gold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..encodings import decode_document
from ..errors import AnnotateError
from ..models import GOLD

TOOLS = ("prodigy", "doccano", "label-studio", "annotate")
"""The formats ``annotate import-labels`` reads."""


@dataclass
class LabelItem:
    """One label (or several spans of labels) from another tool, before it is matched to our sentences."""

    where: str
    annotator: str | None
    text: str
    label: str | None = None
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    """Labels of character spans of ``text`` (``text`` is then a document or a passage of one)."""
    document: str | None = None
    start: int | None = None
    end: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    """More of the sentence's fields (our own export: note, unsure, seconds, suggested)."""
    skip: str | None = None
    """Why the item gives no label (rejected, ignored, cancelled...)."""


# --------------------------------------------------------------------------- reading the file


def _decoded(path: Path, where: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnnotateError(f"cannot read: {exc.strerror}", where) from None
    return decode_document(raw, where).text


def _objects(text: str, where: str) -> Iterator[tuple[str, Any]]:
    """The objects of a JSON Lines file, or of a JSON array, with where each is."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise AnnotateError(f"not JSON: {getattr(exc, 'msg', exc)}", where, getattr(exc, "lineno", None)) from None
        for n, item in enumerate(data, 1):
            yield f"{where}: item {n}", item
        return
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield f"{where}:{n}", json.loads(line)
        except ValueError as exc:
            raise AnnotateError(f"not JSON: {getattr(exc, 'msg', exc)}", where, n) from None


def detect_tool(first: Any, where: str) -> str:
    """Which tool made a file, from its first object."""
    if isinstance(first, dict):
        keys = set(first)
        if {"document", "start", "end", "label_source"} <= keys:
            return "annotate"
        if "annotations" in keys and isinstance(first.get("data"), dict):
            return "label-studio"
        if keys & {"_input_hash", "_task_hash", "_session_id", "_annotator_id", "answer"}:
            return "prodigy"
        if "text" in keys and keys & {"label", "labels", "entities"}:
            return "doccano"
    raise AnnotateError("cannot tell which tool made this file (Prodigy, doccano, Label Studio or annotate"
                        " export); pass --from", where)


def read_items(path: Path, where: str, tool: str = "auto") -> tuple[str, list[LabelItem]]:
    """The label items of a file and the tool it is from (``auto``: told from its content)."""
    objects = list(_objects(_decoded(path, where), where))
    if not objects:
        raise AnnotateError("no labels in the file", where)
    if tool == "auto":
        tool = detect_tool(objects[0][1], where)
    if tool not in TOOLS:
        raise AnnotateError(f"--from {tool}: not one of auto, {', '.join(TOOLS)}")
    reader = {"prodigy": _prodigy, "doccano": _doccano, "label-studio": _label_studio, "annotate": _own}[tool]
    items = []
    for item_where, obj in objects:
        if not isinstance(obj, dict):
            items.append(LabelItem(item_where, None, "", skip=f"not an object but {type(obj).__name__}"))
            continue
        items.extend(reader(obj, item_where, path))
    return tool, items


# --------------------------------------------------------------------------- Prodigy


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _spans_of(values: Any, text: str) -> list[tuple[int, int, str]]:
    """Spans given as ``[start, end, label]`` or ``{start(_offset), end(_offset), label(s)}``, checked against text."""
    out = []
    for v in values if isinstance(values, list) else []:
        if isinstance(v, list | tuple) and len(v) == 3:
            start, end, label = v
        elif isinstance(v, dict):
            start, end = v.get("start", v.get("start_offset")), v.get("end", v.get("end_offset"))
            labels = v.get("labels", v.get("label"))
            label = labels[0] if isinstance(labels, list) and len(labels) == 1 else labels
        else:
            continue
        if (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)
                and 0 <= start < end <= len(text)):
            out.append((start, end, label))
    return out


def _prodigy(obj: dict[str, Any], where: str, _path: Path) -> Iterator[LabelItem]:
    annotator = _str(obj.get("_annotator_id")) or _str(obj.get("_session_id"))
    text = _str(obj.get("text")) or ""
    meta = _dict(obj.get("meta"))
    item = LabelItem(where, annotator, text, document=_str(meta.get("document")), start=_int(meta.get("start")),
                     end=_int(meta.get("end")))
    answer = obj.get("answer")
    accept = obj.get("accept")
    if answer != "accept":
        label = _str(obj.get("label"))
        what = f" (says only that {label!r} does not apply)" if answer == "reject" and label else ""
        item.skip = f"answer {answer!r}{what}" if answer else "no answer"
    elif isinstance(accept, list) and ("options" in obj or accept):  # a choice answer
        chosen = [a for a in accept if isinstance(a, str | int)]
        if len(chosen) == 1:
            item.label = str(chosen[0])
        else:
            item.skip = "no option chosen" if not chosen else f"several options chosen ({', '.join(map(str, chosen))})"
    elif _str(obj.get("label")):
        item.label = obj["label"]
    elif obj.get("spans"):
        item.spans = _spans_of(obj["spans"], text)
    else:
        item.skip = "no label, choice or spans"
    yield item


# --------------------------------------------------------------------------- doccano


def _doccano(obj: dict[str, Any], where: str, path: Path) -> Iterator[LabelItem]:
    annotator = None if path.stem in ("all", "admin") else path.stem
    text = _str(obj.get("text")) or ""
    item = LabelItem(where, annotator, text, document=_str(obj.get("document")))
    labels = obj.get("label", obj.get("labels"))
    if "entities" in obj:
        item.spans = _spans_of(obj["entities"], text)
    elif isinstance(labels, list) and labels and all(isinstance(x, list | tuple) for x in labels):
        item.spans = _spans_of(labels, text)
    elif isinstance(labels, list):
        names = [x for x in labels if isinstance(x, str)]
        if len(names) == 1:
            item.label = names[0]
        else:
            item.skip = "no label" if not names else f"several labels ({', '.join(names)})"
    elif isinstance(labels, str) and labels:
        item.label = labels  # doccano's CSV-like JSON with one category as a string
    else:
        item.skip = "no label"
    if not item.spans and labels and item.label is None and item.skip is None:
        item.skip = "no usable span"
    yield item


# --------------------------------------------------------------------------- Label Studio


def _completed_by(value: Any) -> str | None:
    if isinstance(value, dict):
        email = _str(value.get("email"))
        if email:
            return email.split("@", 1)[0]
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"user-{value}"
    return _str(value)


def _task_text(data: dict[str, Any]) -> str:
    text = _str(data.get("text"))
    if text is not None:
        return text
    return next((v for v in data.values() if isinstance(v, str)), "")


def _label_studio(obj: dict[str, Any], where: str, _path: Path) -> Iterator[LabelItem]:
    data = _dict(obj.get("data"))
    text = _task_text(data)
    document, start, end = _str(data.get("document")), _int(data.get("start")), _int(data.get("end"))
    annotations = _list(obj.get("annotations"))
    if not annotations:
        yield LabelItem(where, None, text, skip="no annotations", document=document, start=start, end=end)
    for k, ann in enumerate(annotations, 1):
        ann_where = f"{where} annotation {k}" if len(annotations) > 1 else where
        if not isinstance(ann, dict):
            continue
        item = LabelItem(ann_where, _completed_by(ann.get("completed_by")), text, document=document, start=start,
                         end=end)
        if ann.get("was_cancelled"):
            item.skip = "cancelled (skipped in Label Studio)"
            yield item
            continue
        results = [r for r in ann.get("result") or [] if isinstance(r, dict)]
        choices = [c for r in results if r.get("type") == "choices"
                   for c in (r.get("value") or {}).get("choices") or []]
        spans = [r.get("value") for r in results if r.get("type") == "labels"]
        if len(choices) == 1 and isinstance(choices[0], str):
            item.label = choices[0]
        elif choices:
            item.skip = f"several choices ({', '.join(map(str, choices))})"
        elif spans:
            item.spans = _spans_of(spans, text)
        else:
            item.skip = "no choices"
        yield item


# --------------------------------------------------------------------------- annotate's own export


def _own(obj: dict[str, Any], where: str, _path: Path) -> Iterator[LabelItem]:
    text = _str(obj.get("text")) or ""
    start, end, document = obj.get("start"), obj.get("end"), _str(obj.get("document"))
    if not (isinstance(start, int) and isinstance(end, int) and document):
        yield LabelItem(where, None, text, skip="no document, start and end")
        return
    labels, notes, seconds, suggested = (_dict(obj.get(k)) for k in ("labels", "notes", "seconds", "suggested"))
    unsure = _list(obj.get("unsure"))
    for annotator, label in labels.items():
        if label is None and not notes.get(annotator) and annotator not in unsure:
            continue
        fields = {"note": notes.get(annotator), "seconds": seconds.get(annotator),
                  "suggested": suggested.get(annotator), "unsure": True if annotator in unsure else None}
        yield LabelItem(where, annotator, text, label=_str(label), document=document, start=start, end=end,
                        fields={k: v for k, v in fields.items() if v is not None})
    if _str(obj.get("gold")):
        yield LabelItem(where, GOLD, text, label=obj["gold"], document=document, start=start, end=end)
