"""The home screen's rows remembered while nothing changed (:mod:`annotate.homeview`), and the walk on another core.

The rows read back must be the rows computed: every document with the user's progress, its
section, its team state (who is assigned, where each stands, gold), its metadata, the queue
and the review list. A change to any file they come from is seen; what is read back is
checked (it is project content) and, when not of the expected shape, computed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import run_async
from team_project import TRUTH, label
from test_team_screens import home_of, rows, team_fixture

from annotate import homeview, summaries
from annotate.homeview import (
    HomeRows,
    compute_rows,
    read_ahead,
    read_rows,
    remembered_name,
    rows_from_json,
    rows_if_ready,
    rows_to_json,
)
from annotate.listing import cancel_prefetch, list_project, listing_digest, prefetch_walk, take_walk
from annotate.project import CACHE_DIR
from annotate.reading import FileProgress
from annotate.store import Project


@pytest.fixture
def team(tmp_path: Path) -> Project:
    return team_fixture(tmp_path / "team")


def _p(p: FileProgress | None) -> Any:
    return None if p is None else (p.labeled, p.total, p.unsure, p.orphans, p.stale, p.error)


def flat(found: HomeRows) -> Any:
    """Everything the home screen reads of ``found``, as plain values."""
    out: dict[str, Any] = {"error": found.error, "team": found.view is not None, "rows": [
        (r.doc.id, str(r.doc.path), r.section, _p(r.progress), r.unreadable, r.about,
         None if r.team is None else (r.team.doc.id, r.team.needed, r.team.assigned, r.team.working, r.team.done,
                                      r.team.unassigned, r.team.ready_for_review,
                                      {n: _p(fw) for n, fw in r.team.files.items()}))
        for r in found.rows]}
    if found.view is not None:
        q = found.view.queue
        out["queue"] = [q.annotator, q.in_team, *([(i.doc.id, i.status, _p(i.progress)) for i in part]
                                                    for part in (q.in_progress, q.not_started, q.done, q.others))]
        out["todo"] = [d.id for d in q.todo]
        out["review"] = [(i.doc.id, i.status, _p(i.progress)) for i in found.view.review]
        out["reviewer"] = found.view.reviewer
    return out


def cache_of(project: Project, annotator: str, role: str | None = None) -> Path:
    return project.root / CACHE_DIR / f"{remembered_name(annotator, role)}.json"


def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def no(*_: Any, **__: Any) -> None:
        raise AssertionError("the rows were computed although nothing changed")

    monkeypatch.setattr(homeview, "compute_rows", no)


USERS = [("alice", None), ("bob", None), ("rita", None), ("rita", "annotator"), ("alice", "reviewer"), ("zed", None),
         ("nobody", None)]


@pytest.mark.parametrize(("annotator", "role"), USERS)
def test_rows_read_back_are_the_rows_computed(team: Project, annotator: str, role: str | None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Through JSON and back, for annotators, a reviewer, someone outside the team: every figure the screen shows."""
    computed = compute_rows(team, annotator, role)
    data = json.loads(json.dumps(rows_to_json(computed, team)))
    again = rows_from_json(data, team)
    assert again is not None
    assert not any("team" in vars(r) for r in again.rows)  # who is assigned: made when first asked for
    assert flat(again) == flat(computed)
    first = read_rows(team, annotator, role)  # computes and remembers
    assert cache_of(team, annotator, role).is_file()
    no_reading(monkeypatch)
    assert flat(read_rows(team, annotator, role)) == flat(first) == flat(computed)


def test_without_a_project_file_and_with_a_broken_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = team_fixture(tmp_path / "plain", team=None)
    broken = team_fixture(tmp_path / "broken", team="annotators: [alice\n")
    (broken.seeds / "d03.meta.yaml").write_text("title: Bridges\noutlet: The Daily\n", encoding="utf-8")
    (broken.seeds / "d04.meta.yaml").write_text("title: [\n", encoding="utf-8")
    (broken.seeds / "d05.txt").write_bytes(b"\xff\xfe\x00binary")
    expected = {p: flat(compute_rows(p, "alice", None)) for p in (plain, broken)}
    assert expected[broken]["error"].startswith("annotate.yaml:")
    assert {r[0]: r[4] for r in expected[broken]["rows"]}["d05"]  # unreadable, with the reason
    for p in (plain, broken):
        assert flat(read_rows(p, "alice", None)) == expected[p]
    no_reading(monkeypatch)
    for p in (plain, broken):
        assert flat(read_rows(p, "alice", None)) == expected[p]


CHANGES = {
    "a label": lambda p: label(p, "d06", "alice", TRUTH[:1]),
    "a label file removed": lambda p: (p.labels / "d03" / "alice.yaml").unlink(),
    "a new document": lambda p: (p.seeds / "d99.txt").write_text("A new one. It came late.\n", encoding="utf-8"),
    "a source edited": lambda p: (p.seeds / "d04.txt").write_text("Other text now.\n", encoding="utf-8"),
    "metadata": lambda p: (p.seeds / "d02.meta.yaml").write_text("title: New\n", encoding="utf-8"),
    "the project file": lambda p: (p.root / "annotate.yaml").write_text(
        (p.root / "annotate.yaml").read_text(encoding="utf-8").replace("annotators_per_document: 2",
                                                                       "annotators_per_document: 3"),
        encoding="utf-8"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_is_seen_with_one_walk(team: Project, change: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = flat(read_rows(team, "alice", None))
    change(team)
    walks = []
    real = homeview.list_project

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(homeview, "list_project", counted)
    monkeypatch.setattr(summaries, "list_project", counted)
    after = flat(read_rows(team, "alice", None))
    assert len(walks) == 1  # the walk that found the change is the one the rows are computed from
    assert after == flat(compute_rows(team, "alice", None)) != before


def test_each_user_and_role_has_their_own_rows(team: Project) -> None:
    names = {remembered_name(a, r) for a, r in USERS}
    assert len(names) == len(USERS)
    alice, rita = flat(read_rows(team, "alice", None)), flat(read_rows(team, "rita", None))
    assert flat(read_rows(team, "alice", None)) == alice != rita and rita["review"]


DAMAGED = {
    "not json": b"{",
    "a list": b"[]",
    "another key": lambda d: d.update(key=[0]),
    "no rows": lambda d: d.pop("rows"),
    "a row too short": lambda d: d["rows"]["rows"].__setitem__(0, ["d00"]),
    "a row of the other kind": lambda d: d["rows"]["rows"].__setitem__(0, d["rows"]["rows"][0][:5]),
    "an escape in a document name": lambda d: d["rows"]["rows"][0].__setitem__(0, "\x1b]0;pwned\x07"),
    "a source outside seeds": lambda d: d["rows"]["rows"][0].__setitem__(1, "../../etc/passwd"),
    "a source up and back": lambda d: d["rows"]["rows"][0].__setitem__(1, "seeds/../../x.txt"),
    "a source that is a folder up": lambda d: d["rows"]["rows"][0].__setitem__(1, "seeds/.."),
    "a section unknown": lambda d: d["rows"]["rows"][0].__setitem__(2, "mine"),
    "a negative count": lambda d: d["rows"]["rows"][0][7]["alice"].__setitem__(0, -1),
    "a count that is text": lambda d: d["rows"]["rows"][0][7]["alice"].__setitem__(1, "4"),
    "a flag that is a number": lambda d: d["rows"]["rows"][0][7]["alice"].__setitem__(4, 0),
    "an escape in an error": lambda d: d["rows"]["rows"][0].__setitem__(3, "x\x1b[2J"),
    "an escape in a title": lambda d: d["rows"]["rows"][0].__setitem__(4, ["\x1b[2J", None, None, None, None]),
    "metadata too short": lambda d: d["rows"]["rows"][0].__setitem__(4, ["a title"]),
    "an empty annotator": lambda d: d["rows"]["rows"][0].__setitem__(6, [""]),
    "a file of nobody": lambda d: d["rows"]["rows"][0][7].update({"": [1, 4, 0, 0, False, None]}),
    "a queue pointing nowhere": lambda d: d["rows"]["queue"][0].append(999),
    "a queue that is text": lambda d: d["rows"].update(queue="all"),
    "a duplicate document": lambda d: d["rows"]["rows"].append(d["rows"]["rows"][0]),
    "a reviewer flag that is text": lambda d: d["rows"].update(reviewer="yes"),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_remembered_rows_of_the_wrong_shape_are_computed_again(team: Project, damage: Any) -> None:
    expected = flat(read_rows(team, "alice", None))
    cache = cache_of(team, "alice")
    if isinstance(damage, bytes):
        cache.write_bytes(damage)
    else:
        data = json.loads(cache.read_text(encoding="utf-8"))
        damage(data)
        assert data.get("key") != json.loads(cache.read_text(encoding="utf-8"))["key"] \
            or rows_from_json(data.get("rows"), team) is None  # refused, not shown
        cache.write_text(json.dumps(data), encoding="utf-8")
    assert flat(read_rows(team, "alice", None)) == expected
    assert rows_from_json(json.loads(cache.read_text(encoding="utf-8"))["rows"], team) is not None  # made again


PLAIN_DAMAGED = {
    "a row of the other kind": lambda d: d["rows"]["rows"][0].extend([0, [], {}]),
    "a progress too short": lambda d: d["rows"]["rows"][0].__setitem__(2, [1, 4]),
    "an escape in the project file's error": lambda d: d["rows"].update(error="\x1b[2J"),
    "a section without a project file": lambda d: d["rows"].update(team=True),
}


@pytest.mark.parametrize("damage", PLAIN_DAMAGED.values(), ids=PLAIN_DAMAGED.keys())
def test_remembered_rows_without_a_project_file_are_checked_too(tmp_path: Path, damage: Any) -> None:
    plain = team_fixture(tmp_path / "plain", team=None)
    expected = flat(read_rows(plain, "alice", None))
    cache = cache_of(plain, "alice")
    data = json.loads(cache.read_text(encoding="utf-8"))
    damage(data)
    assert rows_from_json(data["rows"], plain) is None
    cache.write_text(json.dumps(data), encoding="utf-8")
    assert flat(read_rows(plain, "alice", None)) == expected


def test_remembered_rows_linked_outside_are_not_read(team: Project, tmp_path: Path) -> None:
    """A crafted file outside the project, linked in as the remembered rows, is never shown nor written to."""
    real = read_rows(team, "alice", None)
    cache = cache_of(team, "alice")
    crafted = json.loads(cache.read_text(encoding="utf-8"))
    crafted["rows"]["rows"][0][0] = "crafted"
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(crafted), encoding="utf-8")
    cache.unlink()
    cache.symlink_to(outside)
    assert flat(read_rows(team, "alice", None)) == flat(real)
    assert json.loads(outside.read_text(encoding="utf-8")) == crafted
    assert not cache.is_symlink()


def test_source_paths_read_back_are_the_paths_of_the_sources(team: Project) -> None:
    """Sources directly under seeds/ are made without parsing; both ways give the same path."""
    (team.seeds / "sub").mkdir()
    (team.seeds / "sub" / "deep.txt").write_text("Deeper. Still.\n", encoding="utf-8")
    computed = compute_rows(team, "alice", None)
    again = rows_from_json(json.loads(json.dumps(rows_to_json(computed, team))), team)
    assert again is not None
    for a, b in zip(computed.rows, again.rows, strict=True):
        assert a.doc == b.doc and a.doc.path.parts == b.doc.path.parts and a.doc.path.name == b.doc.path.name
        assert a.doc.path.parent == b.doc.path.parent and b.doc.path.exists()
    assert "sub/deep" in {r.doc.id for r in again.rows}


def test_the_prefetched_walk_gives_the_listings_digest_and_links(team: Project, tmp_path: Path) -> None:
    (team.seeds / "out.txt").symlink_to(tmp_path / "elsewhere.txt")
    listing = list_project(team, stat=True)
    assert listing.links
    assert prefetch_walk(team)
    assert not prefetch_walk(team)  # one at a time
    walked = take_walk(team)
    assert walked is not None and walked.digest == listing_digest(listing) and walked.links == listing.links
    assert take_walk(team) is None  # taken once
    assert prefetch_walk(team)
    cancel_prefetch()  # not taken: the child is stopped and reaped
    assert take_walk(team) is None


def test_a_prefetched_walk_that_fails_is_walked_again(team: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = flat(read_rows(team, "alice", None))

    def broken(*_: Any, **__: Any) -> Any:
        raise OSError("the walk failed")

    with monkeypatch.context() as m:
        m.setattr("annotate.listing.list_project", broken)
        assert prefetch_walk(team)  # the child's walk fails: it writes nothing and exits 1
    assert take_walk(team) is None
    assert prefetch_walk(team)
    assert flat(read_rows(team, "alice", None)) == expected  # the digest came from the child
    label(team, "d06", "alice", TRUTH[:1])
    assert prefetch_walk(team)
    assert flat(read_rows(team, "alice", None)) == flat(compute_rows(team, "alice", None)) != expected


def test_rows_ready_before_the_first_frame_are_the_rows(team: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the home screen asks on mount: the rows read ahead, when the walk found nothing changed."""
    expected = flat(read_rows(team, "alice", None))
    assert rows_if_ready(team, "alice", None) is None  # nothing read ahead, nothing walked
    assert prefetch_walk(team)
    read_ahead(team, "alice", None)
    ready = rows_if_ready(team, "alice", None, wait=10)
    assert ready is not None and flat(ready) == expected

    label(team, "d06", "alice", TRUTH[:1])  # a change: not ready; the read then computes without walking again
    assert prefetch_walk(team)
    read_ahead(team, "alice", None)
    assert rows_if_ready(team, "alice", None, wait=10) is None
    monkeypatch.setattr(homeview, "list_project", lambda *_a, **_k: pytest.fail("walked again"))
    assert flat(read_rows(team, "alice", None)) == flat(compute_rows(team, "alice", None)) != expected


@run_async
async def test_the_home_screen_shows_the_same_rows_from_memory(team: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    async with home_of(team) as (_app, _pilot, home):
        first = rows(home)
    assert cache_of(team, "alice").is_file()
    monkeypatch.setattr(summaries, "summarise", lambda *_a, **_k: pytest.fail("a label file was read"))
    no_reading(monkeypatch)
    async with home_of(team) as (_app, _pilot, home):
        assert rows(home) == first and home.view is not None and home.view.queue.todo
    assert os.path.exists(cache_of(team, "alice"))


def test_annotate_on_a_terminal_shows_the_rows_remembered_and_quits_cleanly(team: Project) -> None:
    """The command as a user runs it (the walk forked before Textual is imported, the rows read on a thread): the
    first run remembers the rows, the second shows them from memory; q quits with status 0 both times."""
    from test_kill import Terminal

    cache = cache_of(team, "alice")
    for run in range(2):
        term = Terminal(["--root", str(team.root), "--annotator", "alice"], team.root)
        try:
            term.wait_for(b"sorted by", timeout=30)
            term.wait_for(b"in progress", timeout=10)
            assert cache.is_file(), run
            term.type(b"q")
            deadline = time.monotonic() + 10
            while (done := os.waitpid(term.pid, os.WNOHANG))[0] == 0:
                assert time.monotonic() < deadline, "q did not quit"
                time.sleep(0.05)
            assert os.waitstatus_to_exitcode(done[1]) == 0
        finally:
            with contextlib.suppress(OSError):
                term.kill()
    assert flat(rows_from_json(json.loads(cache.read_text(encoding="utf-8"))["rows"], team)) \
        == flat(compute_rows(team, "alice", None))
