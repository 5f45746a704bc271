"""Pydantic models of the label file (format version 1) and the tagset: the one place the formats live."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

FORMAT_VERSION = 1
"""The label file format version this tool reads and writes."""

ANNOTATOR_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""Annotator names: lower case, a letter or digit first, then letters, digits, '.', '_' or '-'."""

LABEL_NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"

GOLD = "gold"
"""The reserved annotator name of the adjudicated (gold) labels written by review."""

SUGGESTIONS = "_suggestions"
"""The reserved file name (without suffix) for machine suggestions; never an annotator."""

RESERVED_KEYS = frozenset("gjknu")
"""Letter keys the labeling and review screens use themselves; a tagset may not take them.

g: next unlabeled sentence, j/k: next/previous sentence, n: note, u: undo.
"""

_annotator_re = re.compile(ANNOTATOR_PATTERN)
_SHA_RE = re.compile(r"[0-9a-f]{64}")


def is_valid_annotator(name: str) -> bool:
    """True when ``name`` is a valid annotator name (see ``ANNOTATOR_PATTERN``)."""
    return bool(_annotator_re.match(name))


class _Sentence(BaseModel):
    """Fields shared by a labeled sentence and an orphan: a span, its text and the label data."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    start: Annotated[int, Field(ge=0, description="Offset of the first character (Python str index).")]
    end: Annotated[int, Field(ge=1, description="Offset one past the last character.")]
    text: str = Field(description="Exactly source[start:end].")
    label: str | None = Field(default=None, description="The label name; absent or null: not labeled yet.")
    unsure: bool | None = Field(default=None, description="The annotator was not sure of the label.")
    note: str | None = Field(default=None, description="A free-text note on the sentence.")
    seconds: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Time spent on the sentence, in seconds."
    )

    @model_validator(mode="after")
    def _span_is_ordered(self) -> _Sentence:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be greater than start ({self.start})")
        return self

    @property
    def span(self) -> tuple[int, int]:
        """The sentence's (start, end) offsets."""
        return (self.start, self.end)

    @property
    def is_labeled(self) -> bool:
        """True when the sentence carries a label."""
        return self.label is not None


class Sentence(_Sentence):
    """One sentence of a document with one annotator's label for it."""

    reviewer: str | None = Field(default=None, description="gold files: who decided the label.")
    annotator_labels: dict[str, str | None] | None = Field(
        default=None, description="gold files: the label each annotator gave when it was decided."
    )
    suggested: str | None = Field(
        default=None, description="The suggestion shown to the annotator, when one was shown."
    )


class Orphan(_Sentence):
    """A labeled sentence that could not be placed in the changed source: kept, never dropped."""

    reason: str | None = Field(default=None, description="Why it could not be re-anchored.")


class LabelFile(BaseModel):
    """One annotator's labels for one document: ``labels/<doc-id>/<annotator>.yaml``."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    version: int = Field(description="Label file format version; this tool writes 1.")
    document: str = Field(min_length=1, description="The document id: path under seeds/ minus suffix.")
    source: str = Field(min_length=1, description="The source file, relative to the project root.")
    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the source's bytes.")
    annotator: str = Field(pattern=ANNOTATOR_PATTERN, description="Who made the labels.")
    scheme: str = Field(min_length=1, description="Tagset name: schemas/<scheme>.yaml.")
    segmenter: str | None = Field(
        default=None, description="Name and version of the segmenter that made the spans."
    )
    sentences: list[Sentence] = Field(description="Every sentence of the document, in order.")
    orphans: list[Orphan] = Field(
        default_factory=list, description="Labels that could not be re-anchored after a source change."
    )

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v > FORMAT_VERSION:
            raise ValueError(
                f"format version {v} is newer than this tool reads ({FORMAT_VERSION}); upgrade annotate"
            )
        if v < 1:
            raise ValueError(f"format version {v} does not exist (expected {FORMAT_VERSION})")
        return v

    @model_validator(mode="after")
    def _spans_in_order(self) -> LabelFile:
        prev_end = 0
        for i, s in enumerate(self.sentences):
            if s.start < prev_end:
                raise ValueError(
                    f"sentences[{i}]: span {s.start}-{s.end} overlaps or precedes the sentence before it"
                    f" (which ends at {prev_end})"
                )
            prev_end = s.end
        return self

    @classmethod
    def from_trusted(cls, data: dict[str, Any]) -> LabelFile:
        """Build from data this tool wrote and validated itself (the parse cache): no re-validation."""
        fields = dict(data)
        fields["sentences"] = [Sentence.model_construct(**s) for s in data["sentences"]]
        fields["orphans"] = [Orphan.model_construct(**o) for o in data.get("orphans", [])]
        return cls.model_construct(**fields)

    @property
    def labeled(self) -> int:
        """How many sentences carry a label."""
        return sum(1 for s in self.sentences if s.label is not None)

    @property
    def unsure(self) -> int:
        """How many sentences are flagged unsure."""
        return sum(1 for s in self.sentences if s.unsure)

    def to_data(self) -> dict[str, Any]:
        """The file's content as plain data in the documented key order, optional keys left out when empty."""
        # Drop only the declared optional fields that are unset: extra keys keep their nulls.
        data = self.model_dump(mode="json")
        _drop_none(data, LabelFile.model_fields)
        for key, model in (("sentences", Sentence), ("orphans", Orphan)):
            for item in data.get(key, []):
                _drop_none(item, model.model_fields, keep="label")
                if item.get("unsure") is False:
                    del item["unsure"]
        if not data.get("orphans"):
            data.pop("orphans", None)
        return data


def _drop_none(item: dict[str, Any], fields: dict[str, Any], keep: str = "") -> None:
    for name in fields:
        if name != keep and name in item and item[name] is None:
            del item[name]


# --------------------------------------------------------------------------- fast shape check


def _sentence_ok(s: Any, check_order: bool, prev_end: int) -> int:
    """The sentence's end when it has the shape the model demands, else -1 (then the model says why)."""
    if type(s) is not dict:
        return -1
    start, end = s.get("start"), s.get("end")
    if type(start) is not int or type(end) is not int or not 0 <= start < end or (check_order and start < prev_end):
        return -1
    if type(s.get("text")) is not str:
        return -1
    label, unsure, note, seconds = s.get("label"), s.get("unsure"), s.get("note"), s.get("seconds")
    if label is not None and type(label) is not str:
        return -1
    if unsure is not None and type(unsure) is not bool:
        return -1
    if note is not None and type(note) is not str:
        return -1
    if seconds is not None and (type(seconds) not in (int, float) or not seconds >= 0):
        return -1
    suggested = s.get("suggested")
    if suggested is not None and type(suggested) is not str:
        return -1
    return end


def is_plain_label_data(data: Any) -> bool:
    """True when parsed data has exactly the shape (and types) :class:`LabelFile` accepts as is.

    The fast path of reading many files: pydantic validation of thousands of files costs
    more than parsing them. It must never accept what the model refuses; anything unusual
    returns False and goes through the model, which accepts (and normalises) it or raises
    the precise file:line error.
    """
    if type(data) is not dict:
        return False
    version = data.get("version")
    if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
        return False
    for key in ("document", "source", "scheme"):
        if type(data.get(key)) is not str or not data[key]:
            return False
    sha, annotator = data.get("source_sha256"), data.get("annotator")
    if type(sha) is not str or not _SHA_RE.fullmatch(sha) or type(annotator) is not str:
        return False
    if not _annotator_re.match(annotator):
        return False
    sentences = data.get("sentences")
    if type(sentences) is not list:
        return False
    prev_end = 0
    for s in sentences:
        prev_end = _sentence_ok(s, True, prev_end)
        if prev_end < 0:
            return False
    orphans = data.get("orphans", [])
    if type(orphans) is not list:
        return False
    return all(_sentence_ok(o, False, 0) >= 0 for o in orphans)


class SuggestRules(BaseModel):
    """A label's ``suggest:`` section in a tagset: when the rules suggester (``annotate suggest``) proposes it.

    Unset keys (null) take the tagset's defaults: for ``claim-types`` the decision order
    quote, opinion, speculation, fact and the rhetorical-question rule of opinion; for
    other tagsets false and "after the labels that need quotation marks, in tagset order".
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    cues: list[str] = Field(
        default_factory=list,
        description="Words or phrases that fire the label (case-insensitive, whole words, any whitespace"
        " between the words of a phrase). A label whose list is empty (and that needs no quotation marks"
        " and fires on no question) is the fallback, suggested when nothing else fires.",
    )
    needs_quotation_marks: bool | None = Field(
        default=None,
        description="The label fires only when double quotation marks surround a substantial part of the"
        " sentence and a cue occurs outside them (in the sentence or a neighbour); with no cues, the marks"
        " alone are enough.",
    )
    questions: bool | None = Field(
        default=None, description="A sentence ending with '?' outside quotation marks fires the label."
    )
    priority: float | None = Field(
        default=None, description="Labels are tried lowest first; the first that fires wins."
    )

    @field_validator("cues")
    @classmethod
    def _real_words(cls, v: list[str]) -> list[str]:
        for i, cue in enumerate(v):
            if not cue.strip():
                raise ValueError(f"cue {i + 1} is empty: a cue is a word or phrase")
        return v

    @field_validator("needs_quotation_marks", "questions", mode="before")
    @classmethod
    def _true_or_false(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"must be true or false, not {v!r}")
        return v

    @field_validator("priority", mode="before")
    @classmethod
    def _a_number(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"must be a number (lower is tried first), not {v!r}")
        return v


class TagLabel(BaseModel):
    """One label of a tagset: its name, key, colour and guidelines."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    name: str = Field(pattern=LABEL_NAME_PATTERN, description="The label as written in label files.")
    key: str | None = Field(
        default=None, description="A one-letter key that applies the label (besides its digit)."
    )
    color: str = Field(default="white", description="A colour name or #rrggbb for the screen.")
    definition: str = Field(min_length=1, description="What the label means, in one or two sentences.")
    rules: list[str] = Field(default_factory=list, description="Decision rules for the hard cases.")
    examples: list[str] = Field(default_factory=list, description="Short example sentences.")
    suggest: SuggestRules | None = Field(
        default=None, description="When the rules suggester proposes this label; without it, never."
    )

    @field_validator("key")
    @classmethod
    def _one_letter(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if len(v) != 1 or not ("a" <= v <= "z"):
            raise ValueError(f"key {v!r} must be a single lower-case letter a-z")
        if v in RESERVED_KEYS:
            raise ValueError(
                f"key {v!r} is used by the screen itself (reserved: {', '.join(sorted(RESERVED_KEYS))})"
            )
        return v

    @field_validator("color")
    @classmethod
    def _parsable_color(cls, v: str) -> str:
        from rich.color import Color, ColorParseError

        try:
            Color.parse(v)
        except ColorParseError as exc:
            raise ValueError(f"colour {v!r} is not a colour name or #rrggbb") from exc
        return v


class Tagset(BaseModel):
    """A tagset (annotation scheme): ``schemas/<name>.yaml``."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    name: str = Field(min_length=1, description="The tagset name, as label files' `scheme`.")
    version: int | str = Field(description="The tagset's own version.")
    description: str = Field(default="", description="What the tagset is for.")
    labels: list[TagLabel] = Field(min_length=1, description="The labels, in key order (1..9).")

    @model_validator(mode="after")
    def _unique(self) -> Tagset:
        seen_names: set[str] = set()
        seen_keys: dict[str, str] = {}
        for i, lab in enumerate(self.labels):
            if lab.name in seen_names:
                raise ValueError(f"labels[{i}]: label name {lab.name!r} appears twice")
            seen_names.add(lab.name)
            if lab.key is not None:
                if lab.key in seen_keys:
                    raise ValueError(
                        f"labels[{i}]: key {lab.key!r} of {lab.name!r} clashes with label"
                        f" {seen_keys[lab.key]!r}"
                    )
                seen_keys[lab.key] = lab.name
        return self

    @classmethod
    def from_trusted(cls, data: dict[str, Any]) -> Tagset:
        """Build from ``model_dump(mode="json")`` of a tagset this tool validated (the tagset cache)."""
        fields = dict(data)
        fields["labels"] = [_trusted_label(lab) for lab in data["labels"]]
        return cls.model_construct(**fields)

    @property
    def names(self) -> list[str]:
        """The label names in order."""
        return [lab.name for lab in self.labels]

    def label(self, name: str) -> TagLabel | None:
        """The label called ``name``, or None."""
        for lab in self.labels:
            if lab.name == name:
                return lab
        return None

    def keymap(self) -> dict[str, str]:
        """Key -> label name: digits 1..9 for the first nine labels, and each label's letter."""
        keys: dict[str, str] = {}
        for i, lab in enumerate(self.labels[:9]):
            keys[str(i + 1)] = lab.name
        for lab in self.labels:
            if lab.key:
                keys[lab.key] = lab.name
        return keys


def _trusted_label(data: dict[str, Any]) -> TagLabel:
    suggest = data.get("suggest")
    return TagLabel.model_construct(**{**data, "suggest": None if suggest is None
                                       else SuggestRules.model_construct(**suggest)})


PROJECT_FORMAT_VERSION = 1
"""The project file format version this tool reads."""

AnnotatorName = Annotated[str, Field(pattern=ANNOTATOR_PATTERN, description="An annotator name.")]


class TeamMember(BaseModel):
    """An annotator of the team with a share of the documents."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: AnnotatorName
    share: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        default=1,
        description="Relative weight in the assignment draw (default 1; 2 draws about twice as often;"
        " 0 takes no new documents, while work already done still counts).",
    )


class DocumentSelection(BaseModel):
    """Which documents the team divides: shell-style patterns on document ids."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    include: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Patterns of document ids to assign (fnmatch: * matches any characters, / included).",
    )
    exclude: list[str] = Field(default_factory=list, description="Patterns of document ids left out.")


def _entry_kind(value: Any) -> str:
    return "name" if isinstance(value, str) else "member"


TeamEntry = Annotated[
    Annotated[AnnotatorName, Tag("name")] | Annotated[TeamMember, Tag("member")], Discriminator(_entry_kind)
]
"""An annotator of the project file: a bare name, or a mapping with name and share."""


class ProjectFile(BaseModel):
    """The team of a project: ``annotate.yaml`` at the project root."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: int = Field(default=PROJECT_FORMAT_VERSION, description="Project file format version (1).")
    seed: str | int = Field(
        default=0, description="Seed of the assignment draw; change it to draw a different plan."
    )
    annotators_per_document: Annotated[int, Field(ge=1)] = Field(
        default=1, description="How many annotators label each document (2 or more measures agreement)."
    )
    annotators: list[TeamEntry] = Field(
        min_length=1, description="The annotators: names, or {name, share} mappings."
    )
    reviewers: list[AnnotatorName] = Field(
        default_factory=list, description="Who adjudicates (may also be annotators)."
    )
    documents: DocumentSelection = Field(
        default_factory=DocumentSelection, description="Which documents are assigned (default: all)."
    )

    @field_validator("version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if not 1 <= v <= PROJECT_FORMAT_VERSION:
            raise ValueError(f"project file version {v} is not one this tool reads ({PROJECT_FORMAT_VERSION})")
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> ProjectFile:
        for key, names in (("annotators", [m.name for m in self.members]), ("reviewers", self.reviewers)):
            seen: set[str] = set()
            for i, name in enumerate(names):
                if name == GOLD:
                    raise ValueError(f"{key}[{i}]: {GOLD} is reserved for the adjudicated labels")
                if name in seen:
                    raise ValueError(f"{key}[{i}]: {name} is listed twice")
                seen.add(name)
        return self

    @property
    def members(self) -> list[TeamMember]:
        """The annotators as members (a bare name has share 1)."""
        return [TeamMember(name=m) if isinstance(m, str) else m for m in self.annotators]



# --------------------------------------------------------------------------- document metadata

META_FORMAT_VERSION = 1
"""The metadata file format version this tool reads and writes."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Control characters (a terminal escape among them): never in a metadata value shown on a screen."""

FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"

MetaValue = str | int | float | bool | None


def _printable(value: Any, limit: int) -> Any:
    """A metadata string: one line without control characters, at most ``limit`` characters."""
    if isinstance(value, str):
        bad = _CONTROL.search(value)
        if bad:
            raise ValueError(f"control character U+{ord(bad.group()):04X} at position {bad.start()}:"
                             " metadata values are one line of printable text")
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
    return value


class ImportOrigin(BaseModel):
    """Where an imported document came from: the file, the place in it, its format, when."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    file: str = Field(min_length=1, max_length=4096, description="The file it was read from, as given to import.")
    line: int | None = Field(default=None, ge=1, description="Line where the document starts (text formats).")
    row: int | None = Field(default=None, ge=1, description="Row number (1 = the first document of the file).")
    format: str = Field(max_length=32, description="The format it was read as: txt, md, html, jsonl, csv, ...")
    encoding: str | None = Field(default=None, max_length=128, description="How its bytes were decoded.")
    at: str | None = Field(default=None, max_length=64, description="When it was imported (ISO 8601).")

    @field_validator("file", "format", "encoding", "at")
    @classmethod
    def _one_line(cls, v: Any) -> Any:
        return _printable(v, 4096)


class DocumentMeta(BaseModel):
    """What is known about a document besides its text: ``seeds/<doc-id>.meta.yaml``.

    Written by ``annotate import``; may be written or edited by hand. Every value is
    one line of printable text; the document it belongs to comes from where the file
    lives, never from its content.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    version: int = Field(default=META_FORMAT_VERSION, description="Metadata file format version; this tool writes 1.")
    title: str | None = Field(default=None, description="The headline (also the first line of the source).")
    url: str | None = Field(default=None, description="Where the article was published.")
    date: str | None = Field(default=None, description="When it was published: ISO 8601 when known, else as given.")
    outlet: str | None = Field(default=None, description="Who published it: a news outlet, site or agency.")
    author: str | None = Field(default=None, description="The byline; several authors separated by '; '.")
    language: str | None = Field(default=None, description="The language, e.g. en or en-GB.")
    fields: dict[Annotated[str, Field(pattern=FIELD_NAME_PATTERN)], MetaValue] = Field(
        default_factory=dict, max_length=100, description="Other fields kept from the source (import --meta)."
    )
    imported: ImportOrigin | None = Field(default=None, description="Where annotate import read it.")

    @field_validator("version")
    @classmethod
    def _known_meta_version(cls, v: int) -> int:
        if not 1 <= v <= META_FORMAT_VERSION:
            raise ValueError(f"format version {v}: this tool reads version {META_FORMAT_VERSION}; upgrade annotate")
        return v

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, v: Any) -> Any:
        import datetime as dt

        return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v  # YAML reads 2024-05-01 as a date

    @field_validator("title", "url", "date", "outlet", "author", "language")
    @classmethod
    def _one_line(cls, v: Any) -> Any:
        return _printable(v, 2048)

    @field_validator("fields")
    @classmethod
    def _values_one_line(cls, v: dict[str, MetaValue]) -> dict[str, MetaValue]:
        for key, value in v.items():
            try:
                _printable(value, 10_000)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return v

    def export_fields(self) -> dict[str, MetaValue]:
        """The metadata as one flat mapping for an exported row's ``meta`` (where it came from left out)."""
        known = {k: getattr(self, k) for k in ("title", "url", "date", "outlet", "author", "language")}
        return {**{k: v for k, v in known.items() if v is not None}, **self.fields}

    def to_data(self) -> dict[str, Any]:
        """The file's content as plain data, empty values left out."""
        data = self.model_dump(mode="json", exclude_none=True)
        if not data.get("fields"):
            data.pop("fields", None)
        return data


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the label file, the tagset, the project file and document metadata, by file name."""
    out = {}
    for name, model, title in (("labels.schema.json", LabelFile, "annotate label file (format version 1)"),
                               ("tagset.schema.json", Tagset, "annotate tagset"),
                               ("project.schema.json", ProjectFile, "annotate project file (annotate.yaml)"),
                               ("metadata.schema.json", DocumentMeta,
                                "annotate document metadata (format version 1)")):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = title
        out[name] = schema
    return out
