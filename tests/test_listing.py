"""The walk of a project (:mod:`annotate.listing`): shared with a child process, it finds what one process finds.

Every remembered answer (status, assign, the home screen) is checked against the walk's
digest: a walk that missed a folder would let a changed file go unnoticed. So the shared
walk must find exactly the files, sizes, times and links the plain walk finds, on projects
with nested documents, journals, boundary files, links and odd names; and any change to
any of them must change the digest.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.listing import (
    Listing,
    cancel_prefetch,
    list_project,
    listing_digest,
    take_shared,
    walk_shared,
)
from annotate.store import Project


def fields(listing: Listing) -> dict[str, Any]:
    return {k: getattr(listing, k) for k in ("sources", "meta", "labels", "units", "links", "stats", "files")}


def make(root: Path, docs: list[str], tmp: Path) -> Project:
    """A project with a source, a label file or two, a journal and a boundary file per document, and links."""
    for n, doc in enumerate(docs):
        src = root / "seeds" / f"{doc}.txt"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(f"Sentence {n}. Another one.\n", encoding="utf-8")
        folder = root / "labels" / doc
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "alice.yaml").write_text(f"n: {n}\n", encoding="utf-8")
        if n % 2:
            (folder / "bob.yaml").write_text("x: 1\n", encoding="utf-8")
            (folder / ".bob.journal").write_text("{}\n" * n, encoding="utf-8")
        if n % 3 == 0:
            (folder / "_units-alice.yaml").write_text("units: []\n", encoding="utf-8")
    (root / "labels" / ".gitignore").write_text(".*\n", encoding="utf-8")
    (root / "schemas").mkdir(exist_ok=True)
    return Project(root)


NAMES = ["d00", "d01", "sub/d02", "sub/deeper/d03", "é-accent", "with space", "z" * 60, "a.b", "x-9", "Ω"]


@pytest.fixture
def proj(tmp_path: Path) -> Project:
    project = make(tmp_path / "p", NAMES + [f"doc-{k:03d}" for k in range(60)], tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    (project.labels / "linked-out").symlink_to(outside)
    (project.labels / "d00" / "carol.yaml").symlink_to(outside / "x.yaml")
    (project.seeds / "link.txt").symlink_to(outside / "x.yaml")
    return project


def shared(project: Project) -> Listing:
    assert walk_shared(project)
    return take_shared(project)


def test_a_shared_walk_finds_what_one_walk_finds(proj: Project) -> None:
    alone = list_project(proj, stat=True)
    assert len(alone.labels) == len(NAMES) + 60 and alone.units and alone.links
    assert "sub/deeper/d03" in alone.labels and any(".bob.journal" not in str(f) for f in alone.files.values())
    both = shared(proj)
    assert fields(both) == fields(alone)
    assert listing_digest(both) == listing_digest(alone)


def test_a_shared_walk_whose_child_failed_walks_the_share_itself(proj: Project,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alone = list_project(proj, stat=True)
    with monkeypatch.context() as m:
        m.setattr("annotate.listing.list_project", lambda *_a, **_k: 1 / 0)
        assert walk_shared(proj)  # the child fails: it writes nothing and exits 1
    assert fields(take_shared(proj)) == fields(alone)
    assert fields(take_shared(proj)) == fields(alone)  # nothing started: one walk, here


def test_without_fork_the_walk_is_made_here(proj: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """With another thread running (fork is not safe then), no child: the whole walk is made in this process."""
    alone = list_project(proj, stat=True)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not walk_shared(proj)
        assert fields(take_shared(proj)) == fields(alone)
    finally:
        stop.set()
        other.join()


def test_a_walk_not_taken_is_stopped(proj: Project) -> None:
    assert walk_shared(proj)
    cancel_prefetch()
    assert fields(take_shared(proj)) == fields(list_project(proj, stat=True))


CHANGES = {
    "a label file's bytes": lambda p: (p.labels / "doc-017" / "alice.yaml").write_text("n: 999\n", encoding="utf-8"),
    "a label file's time": lambda p: os.utime(p.labels / "sub" / "deeper" / "d03" / "alice.yaml", (1, 1)),
    "a journal": lambda p: (p.labels / "doc-031" / ".bob.journal").write_text("{}\n", encoding="utf-8"),
    "a new journal": lambda p: (p.labels / "doc-040" / ".alice.journal").write_text("{}\n", encoding="utf-8"),
    "a boundary file": lambda p: (p.labels / "doc-030" / "_units-alice.yaml").write_text("u: 1\n", encoding="utf-8"),
    "a new label file": lambda p: (p.labels / "Ω" / "dan.yaml").write_text("n: 1\n", encoding="utf-8"),
    "a label file removed": lambda p: (p.labels / "doc-059" / "alice.yaml").unlink(),
    "a source": lambda p: (p.seeds / "doc-005.txt").write_text("Changed.\n", encoding="utf-8"),
    "metadata": lambda p: (p.seeds / "doc-006.meta.yaml").write_text("title: T\n", encoding="utf-8"),
    "a new link": lambda p: (p.labels / "doc-007" / "eve.yaml").symlink_to(p.root.parent / "outside" / "x.yaml"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_changes_the_digest_of_both_walks(proj: Project, change: Any) -> None:
    before = listing_digest(list_project(proj, stat=True))
    change(proj)
    after = listing_digest(list_project(proj, stat=True))
    assert after != before and listing_digest(shared(proj)) == after


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_ é"),
                        min_size=1, max_size=12).map(str.strip).filter(lambda s: s and not s.startswith(("_", "."))),
                min_size=1, max_size=25, unique=True))
def test_any_set_of_documents_is_shared_out_and_back_whole(tmp_path_factory: pytest.TempPathFactory,
                                                          docs: list[str]) -> None:
    root = tmp_path_factory.mktemp("h")
    project = make(root / "p", docs, root)
    alone = list_project(project, stat=True)
    assert set(alone.labels) == set(docs)
    assert fields(shared(project)) == fields(alone)
