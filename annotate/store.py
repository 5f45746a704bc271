"""The project on disk: documents, sources, tagsets, label files; durable saves and locks."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import __version__
from .errors import AnnotateError, LockedError
from .models import (
    ANNOTATOR_PATTERN,
    FORMAT_VERSION,
    LabelFile,
    Sentence,
    Tagset,
    is_valid_annotator,
)
from .project import Document, Project, Source
from .safefs import (  # every module opens project files through these (re-exported here)
    _CLOEXEC,
    atomic_write,
    open_inside,
    outside_reason,
    read_cache,
    read_file,
    write_cache,
)
from .yamlio import decode, dump_document, format_loc, line_of, load_yaml

ModelT = TypeVar("ModelT", bound=BaseModel)

SCHEMA_HEADER = "# yaml-language-server: $schema=../../schemas/labels.schema.json"


def is_path_ref(ref: str) -> bool:
    """True when a tagset reference is a file path (``x.yaml``, ``dir/x``), not a name under ``schemas/``."""
    return ref.endswith((".yaml", ".yml")) or os.sep in ref or "/" in ref or "\\" in ref or "\0" in ref


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


def load_tagset(path: Path, display: str | None = None, cache_dir: Path | None = None, root: Path | None = None,
                user_path: bool = False) -> Tagset:
    """Load and validate a tagset file; errors name the file, line and field.

    With ``cache_dir``, a tagset validated before (same bytes, same annotate
    version) is read from ``<cache_dir>/tagset-<hash of its path>.json`` without
    validating it again: validation builds pydantic's validators, ~35 ms of every start of
    the labeling screen. The cache is best effort: unreadable means validate.
    With ``root`` the tagset file (unless ``user_path``: a file the user named) and the
    cache are project files, never read or written outside the project.
    """
    where = display or str(path)
    raw = read_file(path, "tagset", where, missing="tagset file not found", root=None if user_path else root)
    digest = hashlib.sha256(raw).hexdigest()
    cached = _tagset_cache_path(cache_dir, path) if cache_dir else None
    if cached is not None:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            entry = json.loads(read_cache(cached, root) or b"null")
            if entry["sha256"] == digest and entry["annotate"] == __version__:
                return Tagset.from_trusted(entry["data"])
    tagset, _ = parse_yaml_model(raw, where, Tagset, "a tagset must be a YAML mapping with name, version and labels")
    if cached is not None:
        entry = {"sha256": digest, "annotate": __version__, "data": tagset.model_dump(mode="json")}
        with contextlib.suppress(ValueError, TypeError):
            write_cache(cached, json.dumps(entry, ensure_ascii=False).encode(), root)
    return tagset


def _tagset_cache_path(cache_dir: Path, path: Path) -> Path:
    """One cache file per tagset file (an edited tagset replaces its entry)."""
    key = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:24]
    return cache_dir / f"tagset-{key}.json"


def parse_yaml_model(raw: bytes, where: str, model: type[ModelT], not_a_mapping: str) -> tuple[ModelT, str]:
    """A project file's bytes as a validated pydantic model, and its text (for line lookups).

    Every error is one line naming the file and the line: bad UTF-8, bad YAML, not a mapping
    (``not_a_mapping`` says what it should be), a field the model refuses.
    """
    text = decode(raw, Path(where))
    data = load_yaml(text, Path(where))
    if not isinstance(data, dict):
        raise AnnotateError(not_a_mapping, where, 1)
    try:
        return model.model_validate(data), text
    except ValidationError as exc:
        raise validation_error(exc, text, where) from None


def validation_error(exc: ValidationError, text: str, where: str) -> AnnotateError:
    """Pydantic's first error as one line naming the file, the line and the field (with how many more there are)."""
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
        raise validation_error(exc, text, where) from None


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


def read_label_file(path: Path, where: str | None = None, root: Path | None = None) -> tuple[LabelFile, str]:
    """Read and parse a label file (structure only); also returns its raw text for line lookups."""
    where = where or str(path)
    raw = read_file(path, "label file", where, root=root)
    return parse_label_file(raw, where), raw.decode("utf-8", "replace")


def save_label_file(path: Path, labels: LabelFile, root: Path | None = None) -> None:
    """Save a label file durably (see :func:`atomic_write`; ``root``: never outside that project)."""
    atomic_write(path, dump_label_file(labels).encode("utf-8"), root=root)


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
    With ``root`` (the project root) the lock file is never one outside the project
    (a lock file linked out would otherwise be truncated): :class:`RefusedPath`.
    """

    def __init__(self, path: Path, purpose: str = "annotate", root: Path | None = None) -> None:
        self.path = path.with_name(f".{path.name}.lock")
        self.purpose = purpose
        self.root = root
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockedError` naming the holder."""
        import fcntl

        if self.root is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _CLOEXEC, 0o644)
        else:
            fd = open_inside(self.root, self.path, os.O_RDWR | os.O_CREAT, 0o644, make_folders=True)
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
            info: dict[str, Any] = json.loads(read_file(self.path, "lock", str(self.path), root=self.root))
            what, pid, host = info.get("what", "annotate"), info.get("pid"), info.get("host")
            return f"{what} pid {pid} on {host} since {info.get('since')}"
        except (AnnotateError, ValueError, AttributeError):
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
    """The label files named (folders expanded), or every one in the project.

    A relative path is taken from the current folder, else from the project root.

    A named folder that leads outside the project is not listed: it is given back as it
    is, and reading it is refused with the reason. Links out inside a named folder are
    given back too, for the same message.
    """
    if not paths:
        yield from project.label_files()
        return
    for p in paths:
        if not p.is_absolute() and not p.exists() and (project.root / p).exists():
            p = project.root / p  # like documents: relative to where the user stands, else to the project
        p = Path(os.path.abspath(p))
        if p.is_dir() and not outside_reason(project.root, p):
            yield from sorted(q for q in p.rglob("*.yaml") if not q.name.startswith((".", "_")))
        else:
            yield p
