"""The project's shape: where documents, label files and tagsets live (no pydantic, no YAML imported here).

:class:`Project` names the folders and lists what is in them; reading goes through
:mod:`annotate.safefs` (never outside the root). :mod:`annotate.store` re-exports it with the
label files' formats; a command that only lists and remembers (``annotate assign`` and
``status --by annotator`` when nothing changed) imports this alone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AnnotateError
from .safefs import RefusedPath, outside_reason, parts_under, read_file, read_if_there

if TYPE_CHECKING:
    from .models import Tagset

SOURCE_SUFFIXES = (".txt",)
"""File suffixes under ``seeds/`` that are documents."""

CACHE_DIR = ".annotate/cache"
"""Per-machine caches under the project root (git-ignored): validated tagsets."""

DEFAULT_SCHEME = "claim-types"
"""The tagset used when none is named (shipped with the package too)."""

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
        from .store import decode_source

        raw = read_file(doc.path, "source", self.display(doc.path), "source file is missing", root=self.root)
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
        from .models import GOLD

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
        from .store import is_path_ref, load_tagset

        cache = self.root / CACHE_DIR
        if is_path_ref(ref):
            path = Path(ref)
            return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root, user_path=True)
        path = self.schemas / f"{ref}.yaml"
        if ref == DEFAULT_SCHEME and not (path.is_file() or path.is_symlink()):
            path = Path(__file__).parent / "data" / f"{DEFAULT_SCHEME}.yaml"
            return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root, user_path=True)
        return load_tagset(path, display=self.display(path), cache_dir=cache, root=self.root)
