"""The project on disk: documents, sources, tagsets, label files; durable saves and locks."""

from __future__ import annotations

import contextlib
import errno
import getpass
import glob
import hashlib
import json
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

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

ModelT = TypeVar("ModelT", bound=BaseModel)

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


# --------------------------------------------------------------------------- inside the project


class RefusedPath(AnnotateError):
    """A path the project's content leads to that is refused, never opened: one outside the project root,
    or a write that would go through a symbolic link."""


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


class _SymlinkOnTheWay(Exception):
    """A component of a path is a symbolic link (the walk that met it does not follow links)."""


def parts_under(root: Path, path: str | Path) -> list[str] | None:
    """The components of ``path`` below ``root``, ``..`` folded lexically (no link followed); None if not below."""
    full = os.path.normpath(os.path.join(root, os.fspath(path)))
    rel = os.path.relpath(full, root)
    if rel == os.curdir:
        return []
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel.split(os.sep)


def outside_reason(root: Path, path: str | Path) -> str | None:
    """Why ``path`` leads outside ``root`` (a symbolic link on the way out, or not below it at all), else None.

    ``root`` must be resolved (no links in it). The answer is for this moment; the opening
    functions below do not rely on it: they refuse a link out at the moment they open.
    """
    parts = parts_under(root, path)
    if parts is None:
        return f"is outside the project ({root})"
    real = os.path.realpath(os.path.join(root, *parts))
    if parts_under(root, real) is None:
        return f"leads outside the project through a symbolic link (to {real}); refused"
    return None


def _step(dfd: int, name: str, create: bool) -> int:
    """Open the folder ``name`` in the folder ``dfd`` without following a link (made when ``create``)."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dfd)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=dfd)
        return _step(dfd, name, False)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(dfd, name):
            raise _SymlinkOnTheWay(name) from None
        raise


def _is_link(dfd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _walk(root: Path, parts: list[str], create: bool) -> int:
    """An open descriptor of the folder ``root/parts...``, reached without following any link."""
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        for name in parts:
            nxt = _step(dfd, name, create)
            os.close(dfd)
            dfd = nxt
    except BaseException:
        os.close(dfd)
        raise
    return dfd


def _open_at(dfd: int, name: str, flags: int, mode: int) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW | _CLOEXEC, mode, dir_fd=dfd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EEXIST, errno.ENOTDIR) and _is_link(dfd, name):
            raise _SymlinkOnTheWay(name) from None
        raise


def _inside(root: Path, path: str | Path, attempt: Callable[[list[str]], int], writing: bool) -> int:
    """Run ``attempt`` on ``path``'s components below ``root``. Where a link is met: for reading, on the
    link's target when that stays inside ``root``; else (outside, or ``writing``) refuse.

    Every attempt walks from ``root`` without following links, so what is opened is inside the
    project at the moment it is opened: a link made between the check and the opening (a race) is
    met by the walk and refused, never followed. Writes never go through a link at all: a link
    inside the project could otherwise make a lock or a journal overwrite a source.
    """
    parts = parts_under(root, path)
    if parts is None:
        raise RefusedPath(f"is outside the project ({root}); refused", path)
    shown = "/".join(parts)
    try:
        return attempt(parts)
    except _SymlinkOnTheWay:
        pass
    except OSError as exc:
        raise _named(exc, path) from None
    real = os.path.realpath(os.path.join(root, *parts))
    target = parts_under(root, real)
    if target is None:
        raise RefusedPath(f"leads outside the project through a symbolic link (to {real}); refused:"
                          " annotate reads and writes nothing outside the project", shown)
    if writing:
        raise RefusedPath(f"is reached through a symbolic link (to {real}); refused: annotate writes nothing"
                          " through a link", shown)
    try:
        return attempt(target)
    except _SymlinkOnTheWay:
        raise RefusedPath("a symbolic link appeared on the way while it was being opened; refused", shown) from None
    except OSError as exc:
        raise _named(exc, path) from None


def _named(exc: OSError, path: str | Path) -> OSError:
    """The same error, naming the whole path rather than the one component it met."""
    return type(exc)(exc.errno, exc.strerror, os.fspath(path))


_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def open_inside(root: Path, path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644,
                make_folders: bool = False) -> int:
    """``os.open`` of a file of the project, refusing any way out of ``root`` (:class:`RefusedPath`).

    For reading, a symbolic link on the way is followed only when its target is inside the
    project too; for writing (any of ``O_WRONLY``, ``O_RDWR``, ``O_CREAT``...) never.
    ``make_folders`` creates the folders on the way (inside the project only).
    """

    def attempt(parts: list[str]) -> int:
        if not parts:
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        dfd = _walk(root, parts[:-1], make_folders)
        try:
            return _open_at(dfd, parts[-1], flags, mode)
        finally:
            os.close(dfd)

    return _inside(root, path, attempt, writing=bool(flags & _WRITING))


def open_folder_inside(root: Path, path: str | Path, make: bool = False, writing: bool = True) -> int:
    """An open descriptor of a folder of the project (made with its parents when ``make``), never outside ``root``.

    ``writing`` (the default: a folder is opened to change what it holds): reached through no link at all.
    """
    return _inside(root, path, lambda parts: _walk(root, parts, make), writing)


def _open_folder(path: Path, root: Path | None, make: bool) -> int:
    if root is not None:
        return open_folder_inside(root, path, make, writing=True)
    if make:
        path.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)


def unlink_inside(root: Path | None, path: Path) -> None:
    """Delete a file of the project (never one outside it; a link is removed, not its target)."""
    if root is None:
        path.unlink()
        return
    dfd = open_folder_inside(root, path.parent)
    try:
        os.unlink(path.name, dir_fd=dfd)
    finally:
        os.close(dfd)


class Project:
    """An annotation project rooted at a folder holding ``seeds/``, ``labels/`` and ``schemas/``."""

    def __init__(self, root: str | Path = ".") -> None:
        self.root = Path(root).resolve()
        self.seeds = self.root / "seeds"
        self.labels = self.root / "labels"
        self.schemas = self.root / "schemas"

    # documents ----------------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document under ``seeds/``, sorted by id; a source that leads outside the project is left out.

        (:meth:`refused` lists what was left out, and why.)
        """
        if not self.seeds.is_dir() or outside_reason(self.root, self.seeds):
            return []
        docs = []
        for path in self.seeds.rglob("*"):  # does not descend into linked folders
            if path.suffix in SOURCE_SUFFIXES and path.is_file() and not path.name.startswith("."):
                if path.is_symlink() and outside_reason(self.root, path):
                    continue
                doc_id = path.relative_to(self.seeds).with_suffix("").as_posix()
                docs.append(Document(doc_id, path))
        return sorted(docs, key=lambda d: d.id)

    def document(self, ref: str) -> Document:
        """The document named by a doc id or a path to its source (relative to cwd or root).

        A source that leads outside the project (a symbolic link out) is refused
        (:class:`RefusedPath`), whether named by id or by path.
        """
        p = Path(ref)
        for base in (Path.cwd(), self.root):
            full = Path(os.path.abspath(base / p))  # lexical: the place named, not where a link points
            rel = parts_under(self.seeds, full)
            if rel and (full.is_file() or full.is_symlink()):
                return self._inside(Document(Path(*rel).with_suffix("").as_posix(), full))
        for suffix in SOURCE_SUFFIXES:
            path = self.seeds / f"{ref}{suffix}"
            rel = parts_under(self.seeds, path)  # an id: never one that climbs out of seeds/
            if rel and (path.is_file() or path.is_symlink()):
                return self._inside(Document(Path(*rel).with_suffix("").as_posix(), path))
        for base in (Path.cwd(), self.root):
            full = (base / p).resolve()
            if full.is_file():
                try:
                    rel_path = full.relative_to(self.seeds)  # a path through a link to the project itself
                except ValueError:
                    raise AnnotateError(f"not under {self.seeds}: documents live in seeds/", ref) from None
                return self._inside(Document(rel_path.with_suffix("").as_posix(), full))
        known = ", ".join(d.id for d in self.documents()[:5]) or "none"
        raise AnnotateError(f"no such document under {self.seeds} (known: {known})", ref)

    def _inside(self, doc: Document) -> Document:
        reason = outside_reason(self.root, doc.path)
        if reason:
            raise RefusedPath(reason, self.display(doc.path))
        return doc

    def read_source(self, doc: Document) -> Source:
        """The document's text; missing, empty, binary or non-UTF-8 sources are clear errors."""
        raw = self.read_bytes(doc.path, "source", missing="source file is missing")
        return Source(decode_source(raw, self.display(doc.path)), hashlib.sha256(raw).hexdigest())

    def display(self, path: Path) -> str:
        """A path as the user should read it: relative to the project root when inside it.

        Where the file lives, not where a link points: ``seeds/a.txt`` stays ``seeds/a.txt``.
        """
        parts = parts_under(self.root, os.path.abspath(path))
        if parts is not None:
            return "/".join(parts) or "."
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # reading and writing inside the project -----------------------------------------

    def read_bytes(self, path: Path, what: str, missing: str | None = None) -> bytes:
        """The bytes of a file of the project (see :func:`read_file`); never a file outside it."""
        return read_file(path, what, self.display(path), missing, root=self.root)

    def read_optional(self, path: Path, what: str) -> bytes | None:
        """The bytes of a file of the project, or None when there is none; unreadable or refused: an AnnotateError."""
        try:
            return read_if_there(path, self.root)
        except OSError as exc:
            raise AnnotateError(f"cannot read {what}: {exc.strerror}", self.display(path)) from None

    def refused(self, links: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """What the project holds that leads outside it (symbolic links out), and why: never read, never written.

        ``(path as displayed, reason)`` for every link under ``seeds/``, ``labels/``,
        ``schemas/`` and ``.annotate/`` (or one of those folders itself) whose target is
        outside the project root, sorted. Links inside the project are fine. ``links``: every
        symbolic link under ``seeds/`` and ``labels/`` (those folders included), when the caller
        has just walked them (:func:`annotate.summaries.list_project`): they are not walked again.
        """
        out: list[tuple[str, str]] = []
        walked = (self.seeds, self.labels) if links is not None else ()
        for top in (self.seeds, self.labels, self.schemas, self.root / ".annotate"):
            if top in walked:
                continue
            if top.is_symlink() and outside_reason(self.root, top):
                out.append((self.display(top), outside_reason(self.root, top) or ""))
                continue
            if top.is_dir():
                out.extend(self._links_out(top))
        for link in links or ():
            reason = outside_reason(self.root, link)
            if reason:
                out.append((self.display(Path(link)), reason))
        return sorted(out)

    def _links_out(self, folder: Path) -> Iterator[tuple[str, str]]:
        stack = [folder]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.is_symlink():
                    reason = outside_reason(self.root, entry.path)
                    if reason:
                        yield self.display(Path(entry.path)), reason
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))

    # label files --------------------------------------------------------------

    def label_path(self, doc_id: str, annotator: str) -> Path:
        """``labels/<doc-id>/<annotator>.yaml``."""
        return self.labels / doc_id / f"{annotator}.yaml"

    def label_files(self, doc_id: str | None = None) -> list[Path]:
        """Every label file (of one document, or all), sorted; the tool's own files (``_*``, ``.*``) excluded.

        Annotator names start with a letter or digit, so ``_suggestions.yaml`` and the boundary
        change files ``_units-<name>.yaml`` are never mistaken for an annotator's labels. Files
        and folders that lead outside the project (links out) are left out: they are not read
        (:meth:`refused` lists them).
        """
        base = self.labels / doc_id if doc_id else self.labels
        if not base.is_dir() or outside_reason(self.root, base):
            return []
        pattern = "*.yaml" if doc_id else "**/*.yaml"  # ** does not descend into linked folders
        return sorted(
            p for p in base.glob(pattern)
            if p.is_file() and not p.name.startswith((".", "_"))
            and not (p.is_symlink() and outside_reason(self.root, p))
        )

    def annotators(self, doc_id: str) -> list[str]:
        """Annotators with a label file for the document (gold excluded)."""
        return [p.stem for p in self.label_files(doc_id) if p.stem != GOLD]

    def doc_id_of(self, label_path: Path) -> str:
        """The document id a label file belongs to (from its place under ``labels/``; ValueError if not there)."""
        parts = parts_under(self.labels, os.path.abspath(label_path))
        if not parts or len(parts) < 2:
            raise ValueError(f"{label_path} is not under {self.labels}/<document>/")
        return "/".join(parts[:-1])

    # tagsets ------------------------------------------------------------------

    def tagset(self, ref: str = DEFAULT_SCHEME) -> Tagset:
        """The tagset named ``ref`` (``schemas/<ref>.yaml``) or at the path ``ref``.

        A path is one the user typed (``--scheme FILE``): read where it is. A name (what
        label files carry) is read from ``schemas/`` only, and never through a link out of the project.
        """
        cache = self.root / CACHE_DIR
        if is_path_ref(ref):
            path = Path(ref)
            return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root, user_path=True)
        path = self.schemas / f"{ref}.yaml"
        if ref == DEFAULT_SCHEME and not (path.is_file() or path.is_symlink()):
            path = Path(__file__).parent / "data" / f"{DEFAULT_SCHEME}.yaml"
            return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root, user_path=True)
        return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root)


def is_path_ref(ref: str) -> bool:
    """True when a tagset reference is a file path (``x.yaml``, ``dir/x``), not a name under ``schemas/``."""
    return ref.endswith((".yaml", ".yml")) or os.sep in ref or "/" in ref or "\\" in ref or "\0" in ref


def read_file(path: Path, what: str, where: str, missing: str | None = None, root: Path | None = None) -> bytes:
    """The bytes of a file; missing or unreadable is an error naming it (``what``: "source", "label file"...).

    With ``root`` (the project root) the file is project content: one that leads outside
    the project is refused (:class:`RefusedPath`) and never opened.
    """
    try:
        if root is None:
            return path.read_bytes()
        with open(open_inside(root, path), "rb") as fh:
            return fh.read()
    except RefusedPath as exc:
        raise RefusedPath(exc.message, where) from None
    except FileNotFoundError:
        raise AnnotateError(missing or f"{what} not found", where) from None
    except IsADirectoryError:
        raise AnnotateError(f"{what} is a folder, not a file", where) from None
    except OSError as exc:
        raise AnnotateError(f"cannot read {what}: {exc.strerror}", where) from None


def read_if_there(path: Path, root: Path | None) -> bytes | None:
    """The bytes of a file, or None when there is none; with ``root`` never one outside the project.

    Other errors propagate: OSError, and :class:`RefusedPath` for a link out.
    """
    try:
        if root is None:
            return path.read_bytes()
        with open(open_inside(root, path), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def read_cache(path: Path, root: Path | None) -> bytes | None:
    """The bytes of a cache file of the project, or None when it cannot be had (missing, unreadable, a link out)."""
    try:
        return read_file(path, "cache", str(path), root=root)
    except AnnotateError:
        return None


def write_cache(path: Path, data: bytes, root: Path | None) -> None:
    """Write a cache file of the project, best effort: a read-only project or a link out means no cache."""
    with contextlib.suppress(OSError, AnnotateError):
        atomic_write(path, data, root=root)


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


def atomic_write(path: Path, data: bytes, root: Path | None = None, sync_folder: bool = True,
                 mode: int | None = None) -> None:
    """Write ``data`` to ``path`` durably: temp file beside it, flush, fsync, rename, fsync the folder.

    ``sync_folder=False`` leaves the folder's fsync to the caller (who writes many files
    into a few folders and fsyncs each folder once at the end: ``annotate import``).
    ``mode``: the new file's permissions (default: the old file's, else the umask's); the temp
    file is created 0600 and only then given them, so a private file is never readable by others.

    On any error the old file is untouched and the temp file removed; the OSError propagates.
    With ``root`` (the project root) the folder is reached without leaving the project
    (:class:`RefusedPath` otherwise) and the temp file, the rename and the fsync all
    happen in that very folder (by descriptor): a link swapped in meanwhile is never followed.
    A link at ``path`` itself is replaced by the new file, never written through.
    """
    dfd = _open_folder(path.parent, root, make=True)
    try:
        tmp, fd = _new_temp(dfd, path.name)
        try:
            os.fchmod(fd, _mode_of(dfd, path.name) if mode is None else mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        if sync_folder:
            with contextlib.suppress(OSError):  # pragma: no cover - folders that cannot be fsynced
                os.fsync(dfd)
    except OSError as exc:
        raise _named(exc, path) from None
    finally:
        os.close(dfd)


def _new_temp(dfd: int, name: str) -> tuple[str, int]:
    """A new temp file ``.<name>.<random>.tmp`` in the folder ``dfd``: its name and a descriptor open for writing."""
    while True:
        tmp = f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600,
                                dir_fd=dfd)
        except FileExistsError:  # pragma: no cover - 32 random bits taken
            continue


def _mode_of(dfd: int, name: str) -> int:
    """The permission bits of the file being replaced (a regular file, not a link), else the umask's default."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return st.st_mode & 0o777
    return 0o666 & ~_UMASK


def remove_stale_temps(path: Path, root: Path | None = None) -> int:
    """Delete temp files :func:`atomic_write` left beside ``path`` when its process was killed mid-write.

    Call only while holding the file's lock (no live writer then); returns how many were removed.
    With ``root``, only in a folder inside the project.
    """
    try:
        dfd = _open_folder(path.parent, root, make=False)
    except (OSError, RefusedPath):
        return 0
    removed = 0
    pattern = f".{glob.escape(path.name)}.*.tmp"
    try:
        for name in os.listdir(dfd):
            if fnmatch(name, pattern):
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=dfd)
                    removed += 1
    finally:
        os.close(dfd)
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
