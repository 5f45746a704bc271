"""Documents read from import sources, one at a time: text and Markdown files, HTML pages, and rows of
JSONL, JSON, CSV, TSV, Parquet and Arrow files (streamed: a big file is never held in memory whole)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..encodings import UTF8_BOM, Decoded, decode_document, detect, mostly_utf8, normalize_newlines, python_codec
from ..errors import AnnotateError
from .fields import FieldChoice, choose_fields, meta_of, normalize_date, one_line

HEAD_BYTES = 1 << 20
"""A row file's encoding is decided from its first mebibyte."""

TITLE_LINE_CHARS = 200
"""A text file's first line is its title when it is at most this long and a blank line follows."""


# --------------------------------------------------------------------------- what is read


@dataclass
class Origin:
    """Where a document was read: the file (as shown to the user), its format, line or row, encoding."""

    file: str
    format: str
    line: int | None = None
    row: int | None = None
    encoding: str | None = None

    @property
    def where(self) -> str:
        """``file:line``, ``file: row N`` or ``file``, for messages."""
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.row is not None:
            return f"{self.file}: row {self.row}"
        return self.file


@dataclass
class Record:
    """One document as read from a source, before it gets an id and is written; ``error`` when refused."""

    origin: Origin
    body: str = ""
    title: str | None = None
    id_hint: str | None = None
    id_explicit: bool = False
    """The id is the document's identity (an id field, a file's path); else a name made up from its title."""
    id_parts: list[str] = field(default_factory=list)
    """For files: the path under the folder given, without suffix (the id keeps the folders)."""
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ReadOptions:
    """How to read sources: the format (``auto``: by suffix), field names, metadata fields, encoding."""

    format: str = "auto"
    text: str | None = None
    id: str | None = None
    title: str | None = None
    meta: tuple[str, ...] = ()
    encoding: str | None = None


@dataclass
class InputFile:
    """A file to read: its path, how to show it, its format, and its path under the folder it was found in."""

    path: Path
    display: str
    format: str
    parts: list[str]


@dataclass
class FileInfo:
    """What reading one file found out: its encoding and the fields chosen (for the summary)."""

    encoding: str | None = None
    fields: FieldChoice | None = None
    bytes_read: int = 0
    """How far into the file reading has come (for progress; row files read line by line)."""


Reader = Callable[[InputFile, ReadOptions, FileInfo], Iterator[Record]]


@dataclass(frozen=True)
class Format:
    """An input format: its name, its suffixes and its reader."""

    name: str
    suffixes: tuple[str, ...]
    reader: Reader


# --------------------------------------------------------------------------- one document per file


@dataclass
class OneDocument:
    """What a one-document file holds once read: its decoded text, the document's text, title and metadata."""

    decoded: Decoded
    body: str
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def one_document_reader(parse: Callable[[InputFile, ReadOptions], OneDocument]) -> Reader:
    """A reader of files that hold one document each, from the function that parses one.

    A file that cannot be read or parsed gives a refused record naming the place; an error
    without a file (a library missing) stops the import: nothing of that kind can be read.
    """

    def read(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
        try:
            parsed = parse(f, options)
        except AnnotateError as exc:
            if exc.path is None:
                raise
            yield Record(Origin(f.display, f.format, line=exc.line), error=exc.message)
            return
        info.encoding = parsed.decoded.encoding
        yield Record(Origin(f.display, f.format, encoding=parsed.decoded.encoding), body=parsed.body,
                     title=parsed.title, id_hint=f.parts[-1] if f.parts else None, id_explicit=True,
                     id_parts=list(f.parts), meta=parsed.meta)

    return read


def _read_bytes(f: InputFile) -> bytes:
    try:
        return f.path.read_bytes()
    except OSError as exc:
        raise AnnotateError(f"cannot read: {exc.strerror}", f.display) from None


def _title_line(text: str) -> str | None:
    """The first line of a text when it stands alone as a headline: short, not ending like a sentence
    (a full stop), a blank line after it and text below."""
    stripped = text.lstrip("\n")
    first, _, rest = stripped.partition("\n")
    first = first.strip()
    ends = first.rstrip("\"'\u2019\u201d)")[-1:]
    if first and len(first) <= TITLE_LINE_CHARS and ends not in ".;:," and rest.startswith("\n") and rest.strip():
        return first
    return None


def parse_text_file(f: InputFile, options: ReadOptions) -> OneDocument:
    """A ``.txt`` file: one document; its first line is the title when a blank line follows it."""
    decoded = decode_document(_read_bytes(f), f.display, options.encoding)
    return OneDocument(decoded, decoded.text, _title_line(decoded.text))


def parse_markdown_file(f: InputFile, options: ReadOptions) -> OneDocument:
    """A Markdown file: one document, markup parsed away; front matter is metadata, a top ``#`` heading the title."""
    from .markdown import markdown_text

    decoded = decode_document(_read_bytes(f), f.display, options.encoding)
    parsed = markdown_text(decoded.text, f.display)
    front = {str(k).lower(): v for k, v in parsed.front_matter.items()}
    choice = choose_fields(["text", *front], f.display, meta=options.meta, strict=False)
    title = one_line(str(front["title"])) if front.get("title") else parsed.title
    return OneDocument(decoded, parsed.text, title, meta_of(front, choice))


def parse_html_file(f: InputFile, options: ReadOptions) -> OneDocument:
    """A saved web page: the article's text, title, url, date, outlet and author (trafilatura)."""
    from .html import decode_html, extract_article

    decoded = decode_html(_read_bytes(f), f.display, options.encoding)
    article = extract_article(decoded.text, f.display)
    meta = dict(article.meta)
    if "date" in meta:
        meta["date"] = normalize_date(meta["date"])
    title = one_line(article.title) if article.title else None
    return OneDocument(decoded, article.text, title, {k: one_line(str(v)) for k, v in meta.items() if v})


# --------------------------------------------------------------------------- rows: encodings


@dataclass(frozen=True)
class StreamEncoding:
    """How a row file's bytes are decoded: the codec, in words, and whether lines can be split as bytes."""

    codec: str
    label: str
    wide: bool = False


def stream_encoding(head: bytes, where: str, given: str | None) -> StreamEncoding:
    """A row file's encoding from its first bytes: given, a byte-order mark, UTF-8, or detected."""
    if given is not None:
        codec = python_codec(given)
        wide = codec.startswith(("utf-16", "utf-32"))
        return StreamEncoding(codec, f"{given} (given)", wide)
    if head.startswith(UTF8_BOM):
        return StreamEncoding("utf-8-sig", "UTF-8 with a byte-order mark")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        if b"\x00" not in head:
            return StreamEncoding("utf-8", "UTF-8")
    except UnicodeDecodeError:
        pass
    found = detect(head)
    if found is None:
        raise AnnotateError("looks binary (contains NUL bytes), not text", where)
    codec = python_codec(found.iconv)
    if found.wide:
        return StreamEncoding("utf-16" if "16" in codec else "utf-32", found.name, True) if found.bom \
            else StreamEncoding(codec, found.name, True)
    if mostly_utf8(head):  # damaged UTF-8: the rows with bad bytes are refused one by one
        return StreamEncoding("utf-8", "UTF-8")
    return StreamEncoding(codec, f"{found.name}, detected")


def _lines(fh: io.BufferedReader, enc: StreamEncoding, info: FileInfo) -> Iterator[str]:
    """The file's lines as text; bytes that cannot be decoded become lone surrogates (found later, per row)."""
    if enc.wide:
        yield from io.TextIOWrapper(fh, encoding=enc.codec, newline="")
        return
    codec = enc.codec
    first = True
    for raw in fh:
        info.bytes_read += len(raw)
        line = raw.decode(codec, "surrogateescape")
        if first:
            line, first = line.removeprefix("\ufeff"), False
        yield line


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""A byte that could not be decoded, as ``surrogateescape`` keeps it."""


def undecodable(value: str) -> str | None:
    """Why a value read with surrogate escapes cannot be used (the first bad byte), or None."""
    found = _ESCAPED_BYTE.search(value)
    if found is None:
        return None
    byte = ord(found.group()) - 0xDC00
    hint = " (Windows-1252? pass --encoding cp1252)" if 0x80 <= byte <= 0x9F else " (pass --encoding)"
    return f"not valid in the file's encoding: byte 0x{byte:02x}{hint}"


# --------------------------------------------------------------------------- rows: records


def row_record(row: Any, choice: FieldChoice, origin: Origin) -> Record:
    """One row as a document: its text, id, title and metadata; refused when it has no usable text."""
    if not isinstance(row, dict):
        return Record(origin, error=f"a row must be an object with fields, not {type(row).__name__}")
    text = row.get(choice.text)
    if text is None or text == "":
        return Record(origin, error=f"no text (field {choice.text!r} is missing or empty)")
    if not isinstance(text, str):
        return Record(origin, error=f"field {choice.text!r} is not text but {type(text).__name__}")
    title = row.get(choice.title) if choice.title else None
    title = one_line(title) if isinstance(title, str) else None
    bad = undecodable(text) or (undecodable(title) if title else None)
    if bad:
        return Record(origin, error=bad)
    doc_id = row.get(choice.id) if choice.id else None
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
        doc_id = None
    record = Record(origin, body=normalize_newlines(text), title=title or None, meta=meta_of(row, choice))
    if doc_id is not None:
        record.id_hint, record.id_explicit = str(doc_id), True
    elif title:
        record.id_hint = title
    for key, value in list(record.meta.get("fields", {}).items()):
        if isinstance(value, str) and undecodable(value):
            del record.meta["fields"][key]
    return record


def _choose(columns: list[str], f: InputFile, options: ReadOptions, strict: bool) -> FieldChoice:
    return choose_fields(columns, f.display, options.text, options.id, options.title, options.meta, strict)


def read_jsonl(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """JSON Lines (``.jsonl``; also ``.json`` as ``datasets`` writes it): one object per line, streamed."""
    with open(f.path, "rb") as fh:
        enc = stream_encoding(fh.read(HEAD_BYTES), f.display, options.encoding)
        fh.seek(0)
        info.encoding = enc.label
        yield from _json_lines(f, options, info, enumerate(_lines(fh, enc, info), 1), enc.label)


def _json_lines(f: InputFile, options: ReadOptions, info: FileInfo, lines: Iterable[tuple[int, str]],
                encoding: str) -> Iterator[Record]:
    choice: FieldChoice | None = None
    row = 0
    for n, line in lines:
        if not line.strip():
            continue
        row += 1
        origin = Origin(f.display, f.format, line=n, row=row, encoding=encoding)
        try:
            data = json.loads(line)
        except ValueError as exc:
            yield Record(origin, error=f"not JSON: {exc.msg if hasattr(exc, 'msg') else exc}")
            continue
        if choice is None and isinstance(data, dict):
            choice = info.fields = _choose(list(data), f, options, strict=False)
        if choice is None:
            yield Record(origin, error=f"a row must be an object with fields, not {type(data).__name__}")
            continue
        yield row_record(data, choice, origin)


def read_json(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """A ``.json`` file: JSON Lines, an array of objects, or one object (one document)."""
    with open(f.path, "rb") as fh:
        enc = stream_encoding(fh.read(HEAD_BYTES), f.display, options.encoding)
        fh.seek(0)
        lines = enumerate(_lines(fh, enc, info), 1)
        n, first = next(((n, line) for n, line in lines if line.strip()), (0, ""))
        info.encoding = enc.label
        if first.lstrip().startswith("{"):
            try:
                one = json.loads(first)
            except ValueError:
                one = None
            if isinstance(one, dict):  # JSON Lines, as datasets' to_json writes it
                yield from _json_lines(f, options, info, _chain_first((n, first), lines), enc.label)
                return
        data = _load_whole("\n" * (n - 1) + first + "".join(line for _, line in lines), f)
    items = data if isinstance(data, list) else [data]
    choice = None
    for n, item in enumerate(items, 1):
        origin = Origin(f.display, f.format, row=n, encoding=enc.label)
        if choice is None and isinstance(item, dict):
            choice = info.fields = _choose(list(item), f, options, strict=False)
        yield row_record(item, choice, origin) if choice else Record(origin, error="a row must be an object")


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    """``first`` (already taken from ``rest`` to look at it), then the rest."""
    yield first
    yield from rest


def _load_whole(text: str, f: InputFile) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise AnnotateError(f"not JSON: {getattr(exc, 'msg', exc)}", f.display, line) from None


def _delimiter(header: str, f: InputFile) -> str:
    if f.format == "tsv":
        return "\t"
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """CSV or TSV with a header row: one document per row (rows may span lines), streamed."""
    csv.field_size_limit(2**31 - 1)  # articles are longer than csv's 128 kB default
    with open(f.path, "rb") as fh:
        enc = stream_encoding(fh.read(HEAD_BYTES), f.display, options.encoding)
        fh.seek(0)
        info.encoding = enc.label
        lines = _lines(fh, enc, info)
        header_line = next(lines, "")
        delimiter = _delimiter(header_line, f)
        counter = _LineCounter(_chain_first(header_line, lines))
        reader = csv.reader(counter, delimiter=delimiter)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            raise AnnotateError("no header row", f.display, 1) from None
        columns = [h.strip() for h in header]
        if len(set(columns)) != len(columns):
            raise AnnotateError(f"the header names a column twice: {', '.join(columns)}", f.display, 1)
        choice = info.fields = _choose(columns, f, options, strict=True)
        yield from _csv_rows(reader, counter, columns, choice, f, enc.label)


class _LineCounter:
    """Lines fed to csv.reader, counting them so a row's first line is known."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.count = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.count += 1
        return line


def _csv_rows(reader: Any, counter: _LineCounter, columns: list[str], choice: FieldChoice, f: InputFile,
              encoding: str) -> Iterator[Record]:
    row = 0
    while True:
        start = counter.count + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            yield Record(Origin(f.display, f.format, line=start, row=row, encoding=encoding), error=f"CSV: {exc}")
            continue
        if not values or values == [""]:
            continue
        row += 1
        origin = Origin(f.display, f.format, line=start, row=row, encoding=encoding)
        if len(values) != len(columns):
            yield Record(origin, error=f"has {len(values)} fields, the header has {len(columns)}")
            continue
        yield row_record(dict(zip(columns, values, strict=True)), choice, origin)


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise AnnotateError(f"importing {what} needs pyarrow: pip install 'annotate[parquet]'") from None
    return pyarrow


def _table_rows(f: InputFile, options: ReadOptions, info: FileInfo, columns: list[str],
                batches: Callable[[list[str]], Iterable[Any]]) -> Iterator[Record]:
    choice = info.fields = _choose(columns, f, options, strict=True)
    wanted = [c for c in (choice.text, choice.id, choice.title, *choice.meta.values(), *choice.extra) if c]
    row = 0
    for batch in batches(list(dict.fromkeys(wanted))):
        for item in batch.to_pylist():
            row += 1
            yield row_record(item, choice, Origin(f.display, f.format, row=row))


def read_parquet(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """Parquet (as ``datasets``, pandas or Spark write it): one document per row, read in batches."""
    pq = _pyarrow("Parquet").parquet
    try:
        handle = pq.ParquetFile(f.path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors are many kinds
        raise AnnotateError(f"not a Parquet file ({exc})", f.display) from None
    info.encoding = "UTF-8 (Parquet)"
    yield from _table_rows(f, options, info, list(handle.schema_arrow.names),
                           lambda cols: handle.iter_batches(batch_size=64, columns=cols))


def read_arrow(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """An Arrow file or stream (``datasets``' ``save_to_disk`` writes ``data-*.arrow``), batch by batch."""
    pa = _pyarrow("Arrow")
    source = pa.memory_map(str(f.path))
    try:
        reader = pa.ipc.open_stream(source)
        batches: Any = reader
    except pa.ArrowInvalid:
        try:
            source = pa.memory_map(str(f.path))
            file_reader = pa.ipc.open_file(source)
        except pa.ArrowInvalid as exc:
            raise AnnotateError(f"not an Arrow file ({exc})", f.display) from None
        batches = (file_reader.get_batch(i) for i in range(file_reader.num_record_batches))
        reader = file_reader
    info.encoding = "UTF-8 (Arrow)"
    yield from _table_rows(f, options, info, list(reader.schema.names),
                           lambda cols: (b.select(cols) for b in batches))


FORMATS: dict[str, Format] = {fmt.name: fmt for fmt in (
    Format("txt", (".txt", ".text"), one_document_reader(parse_text_file)),
    Format("md", (".md", ".markdown"), one_document_reader(parse_markdown_file)),
    Format("html", (".html", ".htm", ".xhtml"), one_document_reader(parse_html_file)),
    Format("jsonl", (".jsonl", ".ndjson"), read_jsonl),
    Format("json", (".json",), read_json),
    Format("csv", (".csv",), read_csv),
    Format("tsv", (".tsv", ".tab"), read_csv),
    Format("parquet", (".parquet", ".pq"), read_parquet),
    Format("arrow", (".arrow", ".feather"), read_arrow),
)}
"""Every input format by name: adding one is one entry (its suffixes and its reader)."""

FORMAT_NAMES = ("auto", *FORMATS)


def format_of(path: Path) -> str | None:
    """The format a file's suffix says, or None."""
    suffix = path.suffix.lower()
    return next((fmt.name for fmt in FORMATS.values() if suffix in fmt.suffixes), None)


def read_records(f: InputFile, options: ReadOptions, info: FileInfo) -> Iterator[Record]:
    """Every document of one input file, in order."""
    yield from FORMATS[f.format].reader(f, options, info)
