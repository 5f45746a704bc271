"""Leak-free splits: documents that share a sentence form one group, and a seeded hash sends each group to a split.

Memory stays small however many documents there are: a document's sentences are kept
as 64-bit hashes of their normalised texts, on disk in buckets (12 bytes a sentence), and
the groups come from one union-find over document numbers once every document is in.
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
})

BUCKETS = 64
"""Sentence keys are kept in this many buckets (by their low bits), each small enough to group in a dict."""
BUFFER = 512
"""Keys a bucket holds in memory before they go to its file (a chunk of that file is read back as many)."""


def normalise(text: str) -> str:
    """The text used to find duplicates: NFKC, curly quotes straight, case folded, whitespace collapsed."""
    if text.isascii():  # NFKC, the quotes and casefold change nothing else in ASCII
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def key_of(normalised: str) -> int:
    """A 64-bit hash of a normalised text (0 for the empty text, which joins nothing)."""
    if not normalised:
        return 0
    return int.from_bytes(hashlib.blake2b(normalised.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "big") or 1


def split_of(doc_id: str, seed: int, split: Sequence[tuple[str, int]]) -> str:
    """The split a group whose smallest doc id is ``doc_id`` goes to: its seeded hash mapped to percentages."""
    digest = hashlib.sha256(f"{seed}\0{doc_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") * 100 >> 64  # uniform in 0..99, exact integer arithmetic
    cum = 0
    for name, pct in split:
        cum += pct
        if bucket < cum:
            return name
    return split[-1][0]  # pragma: no cover - the percentages sum to 100


class _UnionFind:
    """Union-find over document numbers; the root of a group is its smallest number (its smallest doc id)."""

    def __init__(self, n: int) -> None:
        self.parent = array("l", range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


@dataclass
class Splits:
    """Each document's split and group (the group's smallest doc id), and the sentences that join documents."""

    split: dict[str, str]
    group: dict[str, str]
    shared: dict[int, int]
    """Sentence key -> number of documents that have it, for keys in two or more documents."""
    repeated: set[int]
    """Sentence keys found in more than one unit (two documents, or twice in one): what --dedupe looks at."""

    def group_sizes(self) -> dict[str, int]:
        """Group (smallest doc id) -> number of documents."""
        sizes: dict[str, int] = {}
        for g in self.group.values():
            sizes[g] = sizes.get(g, 0) + 1
        return sizes


class Grouping:
    """Collects each document's sentence keys (in doc id order), then makes the groups and splits.

    The keys wait on disk, in :data:`BUCKETS` files by their low bits (12 bytes a key: the
    key and its document's number), buffered :data:`BUFFER` keys a bucket at a time; the
    groups are then made one bucket at a time. Memory stays flat as documents are added.
    """

    def __init__(self, folder: str | None = None) -> None:
        self.docs: list[str] = []
        self.folder = folder
        self.keys = [array("Q") for _ in range(BUCKETS)]
        self.owners = [array("I") for _ in range(BUCKETS)]
        self.files: list[Any] = [None] * BUCKETS
        self.repeated: set[int] = set()

    def add(self, doc_id: str, keys: Iterable[int]) -> None:
        """One document's sentence keys (:func:`key_of`); documents must come in doc id order."""
        if self.docs and doc_id <= self.docs[-1]:
            raise ValueError(f"documents must be added in id order: {doc_id!r} after {self.docs[-1]!r}")
        index = len(self.docs)
        self.docs.append(doc_id)
        seen: set[int] = set()
        for key in keys:
            if not key:
                continue
            if key in seen:
                self.repeated.add(key)
                continue
            seen.add(key)
            b = key % BUCKETS
            self.keys[b].append(key)
            self.owners[b].append(index)
            if len(self.keys[b]) >= BUFFER:
                self._flush(b)

    def _flush(self, b: int) -> None:
        if self.files[b] is None:
            self.files[b] = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115 - closed in _bucket
        self.keys[b].tofile(self.files[b])
        self.owners[b].tofile(self.files[b])
        self.keys[b], self.owners[b] = array("Q"), array("I")

    def _bucket(self, b: int) -> Iterator[tuple[int, int]]:
        """Every (key, document number) of bucket ``b``, in the order they came; the bucket is emptied."""
        f, self.files[b] = self.files[b], None
        if f is not None:
            f.seek(0)
            with f:
                while chunk := f.read(BUFFER * 8):
                    keys = array("Q", chunk)
                    owners = array("I", f.read(BUFFER * 4))
                    yield from zip(keys, owners, strict=True)
        keys, owners = self.keys[b], self.owners[b]
        self.keys[b], self.owners[b] = array("Q"), array("I")
        yield from zip(keys, owners, strict=True)

    def splits(self, seed: int, split: Sequence[tuple[str, int]]) -> Splits:
        """Group documents that share a key; each group goes where :func:`split_of` sends its smallest doc id."""
        uf = _UnionFind(len(self.docs))
        shared: dict[int, int] = {}
        for b in range(BUCKETS):
            first: dict[int, int] = {}
            for key, owner in self._bucket(b):
                other = first.setdefault(key, owner)
                if other != owner:
                    uf.union(other, owner)
                    shared[key] = shared.get(key, 1) + 1
        self.repeated.update(shared)
        docs = self.docs
        group = {d: docs[uf.find(i)] for i, d in enumerate(docs)}
        by_root = {g: split_of(g, seed, split) for g in set(group.values())}
        return Splits({d: by_root[g] for d, g in group.items()}, group, shared, self.repeated)

    def close(self) -> None:
        """Let the bucket files go (when :meth:`splits` was never reached)."""
        for f in self.files:
            if f is not None:
                f.close()
        self.files = [None] * BUCKETS


def assign_splits(keys: dict[str, Iterable[str]], seed: int, split: Sequence[tuple[str, int]]) -> Splits:
    """Each document's split, from the documents' sentence texts, already :func:`normalise`-d.

    Documents sharing a normalised sentence text are one group; a group goes where
    :func:`split_of` sends its smallest doc id.
    """
    grouping = Grouping()
    for doc_id in sorted(keys):
        grouping.add(doc_id, (key_of(k) for k in keys[doc_id]))
    return grouping.splits(seed, split)


def most_shared(shared: dict[int, int], texts: dict[int, str], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` normalised texts found in the most documents (what makes big groups)."""
    top = sorted(((-count, texts[key]) for key, count in shared.items() if key in texts))[:n]
    return [{"text": text, "documents": -count} for count, text in top]
