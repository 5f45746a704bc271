"""Document metadata (title, url, date, outlet...): ``seeds/<doc-id>.meta.yaml``, read safely and written durably.

A metadata file is project content that may come from someone else through git: it is
found only from the document id, never followed outside ``seeds/``, size-limited, parsed
with the safe YAML loader and validated by :class:`~annotate.models.DocumentMeta`.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from pydantic import ValidationError

from .errors import AnnotateError
from .models import DocumentMeta
from .store import Document, Project, atomic_write, read_file, validation_error
from .yamlio import decode, dump_document, fast_load, load_yaml

META_SUFFIX = ".meta.yaml"
"""A document's metadata file is its source's path under ``seeds/`` with this suffix instead of ``.txt``."""

MAX_META_BYTES = 64 * 1024
"""A bigger metadata file is refused unread (no document needs more; a hostile one could be huge)."""


def metadata_path(project: Project, doc_id: str) -> Path:
    """``seeds/<doc-id>.meta.yaml``; an id that would lead outside ``seeds/`` is an error."""
    if (not doc_id or "\\" in doc_id or "\x00" in doc_id or doc_id.startswith("/")
            or posixpath.normpath(doc_id) != doc_id or doc_id.split("/")[0] == ".."):
        raise AnnotateError(f"not a document id: {doc_id!r}")
    return project.seeds / f"{doc_id}{META_SUFFIX}"


def read_metadata(project: Project, doc: Document | str) -> DocumentMeta | None:
    """The metadata of a document, or None when it has none.

    A file that cannot be used (broken YAML, unknown keys, wrong types, control
    characters, over 64 kB, a link leading outside ``seeds/``, not a file) is an
    :class:`AnnotateError` whose ``str()`` is one line naming the file and place.
    """
    doc_id = doc.id if isinstance(doc, Document) else doc
    path = metadata_path(project, doc_id)
    where = project.display(path)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        inside = path.resolve().is_relative_to(project.seeds.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise AnnotateError("metadata file leads outside seeds/ (a symbolic link?): not read", where)
    if not path.is_file():
        raise AnnotateError("metadata is not a regular file: not read", where)
    if path.stat().st_size > MAX_META_BYTES:
        raise AnnotateError(f"metadata file is over {MAX_META_BYTES // 1024} kB: not read", where)
    return parse_metadata(read_file(path, "metadata file", where, root=project.root), where)


def parse_metadata(raw: bytes, where: str) -> DocumentMeta:
    """Metadata file bytes as a validated :class:`DocumentMeta`; errors name the file and line."""
    data = fast_load(raw)
    text = ""
    if data is None:
        text = decode(raw, Path(where))
        data = load_yaml(text, Path(where))
    if not isinstance(data, dict):
        raise AnnotateError(f"a metadata file must be a YAML mapping, not {type(data).__name__}", where, 1)
    try:
        return DocumentMeta.model_validate(data)
    except ValidationError as exc:
        text = text or raw.decode("utf-8", "replace")
        raise validation_error(exc, text, where) from None


def metadata_bytes(doc_id: str, meta: DocumentMeta) -> bytes:
    """The YAML of a metadata file, with a schema comment whose path fits the file's depth under ``seeds/``."""
    up = "../" * (doc_id.count("/") + 1)
    header = f"# yaml-language-server: $schema={up}schemas/metadata.schema.json"
    return dump_document(meta.to_data(), header=header).encode("utf-8")


def write_metadata(project: Project, doc_id: str, meta: DocumentMeta) -> Path:
    """Write ``seeds/<doc-id>.meta.yaml`` durably (temp file, fsync, rename); returns its path."""
    path = metadata_path(project, doc_id)
    atomic_write(path, metadata_bytes(doc_id, meta), root=project.root)
    return path
