"""The project on disk: documents, sources, tagsets, label files; durable saves and locks."""

from __future__ import annotations

import contextlib
import getpass
import glob
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import __version__
from .errors import AnnotateError, LockedError
from .models import (
    ANNOTATOR_PATTERN,
    FORMAT_VERSION,
    GOLD,
    LabelFile,
    Sentence,
    Tagset,
    is_valid_annotator,
)
from .yamlio import decode, dump_document, format_loc, line_of, load_yaml

SOURCE_SUFFIXES = (".txt",)
"""File suffixes under ``seeds/`` that are documents."""

CACHE_DIR = ".annotate/cache"
"""Per-machine caches under the project root (git-ignored): validated tagsets."""

DEFAULT_SCHEME = "claim-types"
"""The tagset used when none is named (shipped with the package too)."""

SCHEMA_HEADER = "# yaml-language-server: $schema=../../schemas/labels.schema.json"


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Document:
    """A source document: its id (path under seeds/ minus suffix) and file."""

    id: str
    path: Path


@dataclass(frozen=True)
class Source:
    """A document's decoded text and the sha256 of its bytes."""

    text: str
    sha256: str


class Project:
    """An annotation project rooted at a folder holding ``seeds/``, ``labels/`` and ``schemas/``."""

    def __init__(self, root: str | Path = ".") -> None:
        self.root = Path(root).resolve()
        self.seeds = self.root / "seeds"
        self.labels = self.root / "labels"
        self.schemas = self.root / "schemas"

    # documents ----------------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document under ``seeds/``, sorted by id."""
        if not self.seeds.is_dir():
            return []
        docs = []
        for path in self.seeds.rglob("*"):
            if path.suffix in SOURCE_SUFFIXES and path.is_file() and not path.name.startswith("."):
                doc_id = path.relative_to(self.seeds).with_suffix("").as_posix()
                docs.append(Document(doc_id, path))
        return sorted(docs, key=lambda d: d.id)

    def document(self, ref: str) -> Document:
        """The document named by a doc id or a path to its source (relative to cwd or root)."""
        candidates = []
        p = Path(ref)
        for base in (Path.cwd(), self.root):
            full = (base / p).resolve() if not p.is_absolute() else p.resolve()
            candidates.append(full)
        for full in candidates:
            if full.is_file():
                try:
                    rel = full.relative_to(self.seeds)
                except ValueError:
                    continue
                return Document(rel.with_suffix("").as_posix(), full)
        for suffix in SOURCE_SUFFIXES:
            path = self.seeds / f"{ref}{suffix}"
            if path.is_file():
                return Document(ref, path)
        for full in candidates:
            if full.is_file():
                raise AnnotateError(f"not under {self.seeds}: documents live in seeds/", ref)
        known = ", ".join(d.id for d in self.documents()[:5]) or "none"
        raise AnnotateError(f"no such document under {self.seeds} (known: {known})", ref)

    def read_source(self, doc: Document) -> Source:
        """The document's text; missing, empty, binary or non-UTF-8 sources are clear errors."""
        raw = read_file(doc.path, "source", self.display(doc.path), missing="source file is missing")
        return Source(decode_source(raw, self.display(doc.path)), hashlib.sha256(raw).hexdigest())

    def display(self, path: Path) -> str:
        """A path as the user should read it: relative to the project root when inside it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # label files --------------------------------------------------------------

    def label_path(self, doc_id: str, annotator: str) -> Path:
        """``labels/<doc-id>/<annotator>.yaml``."""
        return self.labels / doc_id / f"{annotator}.yaml"

    def label_files(self, doc_id: str | None = None) -> list[Path]:
        """Every label file (of one document, or all), sorted; the tool's own files (``_*``, ``.*``) excluded.

        Annotator names start with a letter or digit, so ``_suggestions.yaml`` and the boundary
        change files ``_units-<name>.yaml`` are never mistaken for an annotator's labels.
        """
        base = self.labels / doc_id if doc_id else self.labels
        if not base.is_dir():
            return []
        pattern = "*.yaml" if doc_id else "**/*.yaml"
        return sorted(
            p for p in base.glob(pattern) if p.is_file() and not p.name.startswith((".", "_"))
        )

    def annotators(self, doc_id: str) -> list[str]:
        """Annotators with a label file for the document (gold excluded)."""
        return [p.stem for p in self.label_files(doc_id) if p.stem != GOLD]

    def doc_id_of(self, label_path: Path) -> str:
        """The document id a label file belongs to (from its place under ``labels/``)."""
        return label_path.resolve().parent.relative_to(self.labels).as_posix()

    # tagsets ------------------------------------------------------------------

    def tagset(self, ref: str = DEFAULT_SCHEME) -> Tagset:
        """The tagset named ``ref`` (``schemas/<ref>.yaml``) or at the path ``ref``."""
        path = Path(ref)
        if not (ref.endswith((".yaml", ".yml")) or os.sep in ref or "/" in ref):
            path = self.schemas / f"{ref}.yaml"
            if not path.is_file() and ref == DEFAULT_SCHEME:
                path = Path(__file__).parent / "data" / f"{DEFAULT_SCHEME}.yaml"
        return load_tagset(path, display=self.display(path), cache_dir=self.root / CACHE_DIR)


def read_file(path: Path, what: str, where: str, missing: str | None = None) -> bytes:
    """The bytes of a file; missing or unreadable is an error naming it (``what``: "source", "label file"...)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise AnnotateError(missing or f"{what} not found", where) from None
    except OSError as exc:
        raise AnnotateError(f"cannot read {what}: {exc.strerror}", where) from None


def decode_source(raw: bytes, where: str) -> str:
    """Source bytes as text: UTF-8 (a BOM is dropped), not empty, not binary.

    Bytes in another encoding (UTF-16/32, cp1252, latin-1) are an error that says which
    encoding they look like and how to convert the file.
    """
    from .encodings import guess

    if not raw.strip():
        raise AnnotateError("source file is empty: nothing to label", where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        found = guess(raw)
        if found is None:
            raise AnnotateError("source looks binary (contains NUL bytes), not text", where) from None
        if found.wide:
            raise AnnotateError(f"source {found.advice(where)}", where) from None
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise AnnotateError(f"source {found.advice(where)} (first non-UTF-8 byte: 0x{raw[exc.start]:02x})",
                            where, line, col) from None
    if "\x00" in text[:65536]:
        found = guess(raw)
        if found is None:
            raise AnnotateError("source looks binary (contains NUL bytes), not text", where)
        raise AnnotateError(f"source {found.advice(where)}", where)
    text = text.removeprefix("\ufeff")
    if not text.strip():  # only Unicode whitespace (U+2028, U+3000, NBSP...) or a BOM: no sentence at all
        raise AnnotateError("source file has no text, only whitespace: nothing to label", where)
    return text


# --------------------------------------------------------------------------- annotators


def annotator_name(cli_value: str | None = None) -> str:
    """The annotator: ``--annotator``, else ``ANNOTATE_ANNOTATOR``, else the login name."""
    name = cli_value or os.environ.get("ANNOTATE_ANNOTATOR")
    origin = "--annotator" if cli_value else "ANNOTATE_ANNOTATOR"
    if not name:
        origin = "login name"
        try:
            name = getpass.getuser().lower()
        except Exception:  # noqa: BLE001 - no login name at all
            name = ""
    if not is_valid_annotator(name):
        raise AnnotateError(
            f"annotator name {name!r} (from {origin}) must match {ANNOTATOR_PATTERN}:"
            " lower case letters, digits, '.', '_' or '-'"
        )
    return name


# --------------------------------------------------------------------------- tagsets


def load_tagset(path: Path, display: str | None = None, cache_dir: Path | None = None) -> Tagset:
    """Load and validate a tagset file; errors name the file, line and field.

    With ``cache_dir``, a tagset validated before (same bytes, same annotate
    version) is read from ``<cache_dir>/tagset-<hash of its path>.json`` without
    validating it again: validation builds pydantic's validators, ~35 ms of every start of
    the labeling screen. The cache is best effort: unreadable means validate.
    """
    where = display or str(path)
    raw = read_file(path, "tagset", where, missing="tagset file not found")
    digest = hashlib.sha256(raw).hexdigest()
    cached = _tagset_cache_path(cache_dir, path) if cache_dir else None
    if cached is not None:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            entry = json.loads(cached.read_bytes())
            if entry["sha256"] == digest and entry["annotate"] == __version__:
                return Tagset.from_trusted(entry["data"])
    text = decode(raw, Path(where))
    data = load_yaml(text, Path(where))
    if not isinstance(data, dict):
        raise AnnotateError("a tagset must be a YAML mapping with name, version and labels", where, 1)
    try:
        tagset = Tagset.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, text, where) from None
    if cached is not None:
        entry = {"sha256": digest, "annotate": __version__, "data": tagset.model_dump(mode="json")}
        with contextlib.suppress(OSError, ValueError, TypeError):  # a read-only project: no cache
            atomic_write(cached, json.dumps(entry, ensure_ascii=False).encode())
    return tagset


def _tagset_cache_path(cache_dir: Path, path: Path) -> Path:
    """One cache file per tagset file (an edited tagset replaces its entry)."""
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:24]
    return cache_dir / f"tagset-{key}.json"


def _validation_error(exc: ValidationError, text: str, where: str) -> AnnotateError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "required key is missing"
    m = re.match(r"(\w+)\[(\d+)\]: ", msg) if not loc else None
    if m:  # a whole-file check that names the item it is about: point at that item's line
        loc = (m.group(1), int(m.group(2)))
        msg = msg[m.end() :]
    more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
    return AnnotateError(f"{format_loc(loc)}: {msg}{more}", where, line_of(text, loc))


# --------------------------------------------------------------------------- label files


def dump_label_file(labels: LabelFile) -> str:
    """The YAML text of a label file, starting with the schema comment."""
    return dump_document(labels.to_data(), header=SCHEMA_HEADER)


def parse_label_file(raw: bytes, where: str) -> LabelFile:
    """Parse and validate label file bytes (structure only: no source or tagset checks)."""
    text = decode(raw, Path(where))
    if not text.strip():
        raise AnnotateError("label file is empty", where)
    data = load_yaml(text, Path(where))
    if not isinstance(data, dict):
        raise AnnotateError(f"a label file must be a YAML mapping, not {type(data).__name__}", where, 1)
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise AnnotateError(
            f"version: format version {version} is newer than this tool reads ({FORMAT_VERSION});"
            " upgrade annotate",
            where,
            line_of(text, ("version",)),
        )
    try:
        return LabelFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, text, where) from None


def check_against(labels: LabelFile, where: str, tagset: Tagset | None, text: str | None, raw: str = "") -> None:
    """Check labels against the tagset and spans against the source text (when given)."""
    names = set(tagset.names) if tagset else None
    if text is not None and not labels.sentences and text.strip():
        raise AnnotateError("sentences: empty, but the source has text (every sentence must be listed)", where,
                            line_of(raw, ("sentences",)) if raw else None)
    for key in ("sentences", "orphans"):
        for i, s in enumerate(getattr(labels, key)):
            loc: tuple[str | int, ...] = (key, i)
            if names is not None and s.label is not None and s.label not in names:
                raise AnnotateError(
                    f"{format_loc((*loc, 'label'))}: {s.label!r} is not a label of tagset {tagset.name}"
                    f" ({', '.join(tagset.names)})",
                    where,
                    line_of(raw, (*loc, "label")) if raw else None,
                )
            if key == "orphans" or text is None:
                continue
            if s.end > len(text):
                raise AnnotateError(
                    f"{format_loc(loc)}: span {s.start}-{s.end} is beyond the end of the source"
                    f" ({len(text)} characters)",
                    where,
                    line_of(raw, loc) if raw else None,
                )
            if text[s.start : s.end] != s.text:
                raise AnnotateError(
                    f"{format_loc((*loc, 'text'))}: does not match the source at {s.start}-{s.end}"
                    f" (source has {text[s.start:s.end][:40]!r})",
                    where,
                    line_of(raw, (*loc, "text")) if raw else None,
                )


def read_label_file(path: Path, where: str | None = None) -> tuple[LabelFile, str]:
    """Read and parse a label file (structure only); also returns its raw text for line lookups."""
    where = where or str(path)
    raw = read_file(path, "label file", where)
    return parse_label_file(raw, where), raw.decode("utf-8", "replace")


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` durably: temp file beside it, flush, fsync, rename, fsync the folder.

    ``mode``: the new file's permissions (default: the old file's, else the umask's); the temp
    file is created 0600 and only then given them, so a private file is never readable by others.
    On any error the old file is untouched and the temp file removed; the OSError propagates.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is None:
            try:
                mode = path.stat().st_mode & 0o777
            except OSError:
                mode = 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_stale_temps(path: Path) -> int:
    """Delete temp files :func:`atomic_write` left beside ``path`` when its process was killed mid-write.

    Call only while holding the file's lock (no live writer then); returns how many were removed.
    """
    removed = 0
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def fsync_dir(path: Path) -> None:
    """fsync a folder so a rename in it is durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def save_label_file(path: Path, labels: LabelFile) -> None:
    """Save a label file durably (see :func:`atomic_write`)."""
    atomic_write(path, dump_label_file(labels).encode("utf-8"))


def new_label_file(
    doc: Document, source: Source, annotator: str, scheme: str, spans: list[tuple[int, int]], project: Project,
    segmenter: str | None = None,
) -> LabelFile:
    """A fresh, unlabeled label file for a document."""
    return LabelFile(
        version=FORMAT_VERSION,
        document=doc.id,
        source=project.display(doc.path),
        source_sha256=source.sha256,
        annotator=annotator,
        scheme=scheme,
        segmenter=segmenter,
        sentences=[Sentence(start=s, end=e, text=source.text[s:e]) for s, e in spans],
    )


# --------------------------------------------------------------------------- locks


class LabelLock:
    """An exclusive lock on one label file, held by one process (``<file>.lock`` beside it).

    Uses ``fcntl.flock``: the kernel drops the lock when the holder dies, so a lock
    left by a killed process never blocks anyone (its file is simply taken over).
    The lock file names the holder (pid, host, user, command) for the refusal message.
    """

    def __init__(self, path: Path, purpose: str = "annotate") -> None:
        self.path = path.with_name(f".{path.name}.lock")
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockedError` naming the holder."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self.holder()
            os.close(fd)
            raise LockedError(
                f"is being edited by another process ({holder}); close it there first",
                str(self.path.with_name(self.path.name[1:-5])),
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "user": getpass.getuser() if hasattr(os, "getuid") else "",
            "what": self.purpose,
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def acquire_and_release(self) -> None:
        """Check that nobody holds the lock now (raises LockedError naming the holder)."""
        self.acquire()
        self.release()

    def holder(self) -> str:
        """A description of the process holding the lock, from the lock file."""
        try:
            info: dict[str, Any] = json.loads(self.path.read_text())
            what, pid, host = info.get("what", "annotate"), info.get("pid"), info.get("host")
            return f"{what} pid {pid} on {host} since {info.get('since')}"
        except (OSError, ValueError):
            return "another annotate process"

    def release(self) -> None:
        """Release the lock (the lock file stays; it is harmless)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> LabelLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def iter_label_files(project: Project, paths: list[Path] | None = None) -> Iterator[Path]:
    """The label files named (folders expanded), or every one in the project."""
    if not paths:
        yield from project.label_files()
        return
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.yaml") if not q.name.startswith((".", "_")))
        else:
            yield p
