"""Dataset file formats: one registry entry per format (its writer and its suffix), each writing rows as they come.

Adding a format is one :class:`Format` in :data:`REGISTRY`. A writer gets rows a
document at a time and never holds the whole split: JSONL, CSV and Prodigy lines go
straight to the file, Parquet is written in row groups of :data:`ROW_GROUP_ROWS` rows
(pyarrow's ``ParquetWriter``), so Polars, DuckDB or Spark can read it lazily.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from ..errors import AnnotateError
from ..models import GOLD
from .rows import COLUMNS, Row

PARQUET_MISSING = "parquet needs pyarrow: pip install 'annotate[parquet]'"

ROW_GROUP_ROWS = 16_384
"""Rows per Parquet row group: small enough to keep memory flat, large enough for fast column scans."""

JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(", ", ": "))
"""The one encoder of every JSON value the export writes: NaN and Infinity are refused, never written."""


def _make_dumps() -> Callable[[Any], str]:
    """:data:`JSON`'s ``encode``, calling its C encoder directly (``encode`` builds a new one on every call)."""
    from json import encoder

    if encoder.c_make_encoder is None:  # pragma: no cover - a Python without the C accelerator
        return JSON.encode
    c_encode = encoder.c_make_encoder(None, JSON.default, encoder.encode_basestring, None, JSON.key_separator,
                                      JSON.item_separator, True, False, False)

    def dumps(value: Any) -> str:
        return "".join(c_encode(value, 0))

    return dumps


dumps = _make_dumps()
"""``JSON.encode`` (sorted keys, NaN refused), faster: the same C encoder, made once."""


class SplitWriter(Protocol):
    """Writes the rows of one split into one file."""

    def write(self, rows: Sequence[Row]) -> None:
        """Append rows (one document's, in order)."""

    def close(self) -> None:
        """Finish the file."""


@dataclass(frozen=True)
class Schema:
    """What a writer needs to know before the first row: the export's annotators and the tagset's labels."""

    annotators: Sequence[str]
    labels: Sequence[str]
    meta: Sequence[str] = ()
    """The keys of every row's ``meta``."""


class _Lines:
    """A file of lines, UTF-8."""

    def __init__(self, path: Path) -> None:
        self.file: IO[bytes] = path.open("wb")

    def close(self) -> None:
        self.file.close()


class JsonlWriter(_Lines):
    """One JSON object per line, keys sorted."""

    def __init__(self, path: Path, schema: Schema) -> None:
        super().__init__(path)

    def write(self, rows: Sequence[Row]) -> None:
        self.file.write("".join(dumps(r) + "\n" for r in rows).encode("utf-8"))


class ProdigyWriter(_Lines):
    """Prodigy task lines: text, label, accept, answer, meta (and ``_annotator_id`` for one annotator's label)."""

    def __init__(self, path: Path, schema: Schema) -> None:
        super().__init__(path)

    def write(self, rows: Sequence[Row]) -> None:
        self.file.write("".join(dumps(prodigy_task(r)) + "\n" for r in rows).encode("utf-8"))


def prodigy_task(row: Row) -> dict[str, Any]:
    """A row as a Prodigy task."""
    task: dict[str, Any] = {
        "text": row["text"], "label": row["label"], "accept": [row["label"]], "answer": "accept",
        "meta": {"id": row["id"], "document": row["document"], "start": row["start"], "end": row["end"]},
    }
    if row["label_source"] not in (GOLD, "majority"):
        task["_annotator_id"] = row["label_source"]
    return task


NESTED = frozenset(("labels", "soft_label", "context_before", "context_after", "notes", "seconds", "unsure",
                    "suggested", "meta"))
"""Fields whose values are mappings or lists: JSON strings in CSV."""


class CsvWriter:
    """RFC 4180 CSV with a header; nested fields as JSON; null as an empty cell."""

    def __init__(self, path: Path, schema: Schema) -> None:
        self.file = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self.writer.writerow(COLUMNS)
        self.columns = tuple((c, c in NESTED) for c in COLUMNS)

    def write(self, rows: Sequence[Row]) -> None:
        # The csv module writes None as an empty cell and numbers with str() (repr for floats).
        columns = self.columns
        self.writer.writerows([dumps(v) if nested and v is not None else v for c, nested in columns
                               for v in (r[c],)] for r in rows)

    def close(self) -> None:
        self.file.close()


def require_pyarrow() -> Any:
    """``pyarrow.parquet``, or the one-line error saying how to install it."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        raise AnnotateError(PARQUET_MISSING) from None
    return pq


def arrow_schema(annotators: Sequence[str], labels: Sequence[str], meta: Sequence[str] = ()) -> Any:
    """The Arrow schema of the rows: annotator and label mappings as structs with fixed fields."""
    import pyarrow as pa

    def struct(keys: Sequence[str], kind: Any) -> Any:
        # A struct needs at least one field to be written; a gold-only export has no annotators.
        return pa.struct([pa.field(k, kind) for k in keys]) if keys else pa.struct([pa.field("_", kind)])

    strings = pa.list_(pa.string())
    return pa.schema([
        ("id", pa.string()), ("document", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
        ("text", pa.string()), ("label", pa.string()), ("label_source", pa.string()), ("gold", pa.string()),
        ("labels", struct(annotators, pa.string())), ("soft_label", struct(labels, pa.float64())),
        ("agreement", pa.float64()), ("split", pa.string()), ("context_before", strings),
        ("context_after", strings), ("notes", struct(annotators, pa.string())),
        ("seconds", struct(annotators, pa.float64())), ("unsure", strings),
        ("suggested", struct(annotators, pa.string())), ("meta", struct(meta, pa.string())),
    ])


class ParquetWriter:
    """Parquet (zstd) in row groups of :data:`ROW_GROUP_ROWS` rows; structs for the mappings."""

    def __init__(self, path: Path, schema: Schema) -> None:
        pq = require_pyarrow()
        self.schema = arrow_schema(schema.annotators, schema.labels, schema.meta)
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.batches: list[Any] = []
        self.buffered = 0

    def write(self, rows: Sequence[Row]) -> None:
        import pyarrow as pa

        if not rows:
            return
        self.batches.append(pa.RecordBatch.from_pylist(list(rows), schema=self.schema))
        self.buffered += len(rows)
        if self.buffered >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.batches:
            table = pa.Table.from_batches(self.batches, schema=self.schema).combine_chunks()
            self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.batches, self.buffered = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()


@dataclass(frozen=True)
class Format:
    """One output format: its name on the command line, the suffix of its files, and its writer."""

    name: str
    suffix: str
    writer: Callable[[Path, Schema], SplitWriter]
    description: str


REGISTRY: tuple[Format, ...] = (
    Format("jsonl", ".jsonl", JsonlWriter, "one JSON object per line, keys sorted"),
    Format("csv", ".csv", CsvWriter, "RFC 4180, nested fields as JSON strings, null as an empty cell"),
    Format("parquet", ".parquet", ParquetWriter, "Parquet (pyarrow, zstd), row groups of 16,384 rows"),
    Format("prodigy", ".prodigy.jsonl", ProdigyWriter, "Prodigy tasks: text, label, accept, answer, meta"),
)
"""Every output format, in the order they are written."""

BY_NAME = {f.name: f for f in REGISTRY}
FORMATS = tuple(BY_NAME)
SUFFIX = {f.name: f.suffix for f in REGISTRY}
FORMAT_ALIASES = {"spacy": "prodigy"}
"""Old names still accepted on the command line (with a warning)."""
