"""Merging and splitting units: stored once per document, followed by every annotator, never losing a label."""

from __future__ import annotations

import re

import pytest
from conftest import SEED_ID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.boundaries import (
    MERGED_FROM,
    apply_changes,
    load_changes,
    make_change,
    merge_at,
    remap,
    split_at,
    units_files,
)
from annotate.errors import AnnotateError
from annotate.models import LabelFile, Sentence
from annotate.reading import current_labels, document_labels, document_spans, load_current
from annotate.session import LabelSession
from annotate.store import Project

LABELS = ["fact", "speculation", "quote", "opinion"]
SHA = "0" * 64


def spans_of(text: str) -> list[tuple[int, int]]:
    """Word-ish units: runs of non-space characters ending in '.', else single words."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def file_of(text: str, spans: list[tuple[int, int]], labels: list[str | None]) -> LabelFile:
    return LabelFile(version=1, document="d", source="seeds/d.txt", source_sha256=SHA, annotator="alice",
                     scheme="claim-types",
                     sentences=[Sentence(start=s, end=e, text=text[s:e], label=lab)
                                for (s, e), lab in zip(spans, labels, strict=True)])


def carried(labels: LabelFile) -> list[tuple[str, str]]:
    """Every (text, label) a file holds, on units or as orphans, merged parts included."""
    out = []
    for s in [*labels.sentences, *labels.orphans]:
        parts = getattr(s, MERGED_FROM, None)
        if parts:
            out.extend((labels_text(labels, p["start"], p["end"]), p["label"]) for p in parts)
        elif s.label is not None:
            out.append((s.text, s.label))
    return sorted(out)


def labels_text(labels: LabelFile, start: int, end: int) -> str:
    for s in [*labels.sentences, *labels.orphans]:
        if s.start <= start and end <= s.end:
            return s.text[start - s.start:end - s.start]
    raise AssertionError("text not found")


texts = st.lists(st.sampled_from(["Aa.", "Bb", "cc,", "\"Dd.\"", "e", "Ff?"]), min_size=2, max_size=14).map(
    lambda words: " ".join(words))


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], list[tuple[str, int]]]:
    text = draw(texts)
    spans = spans_of(text)
    cuts = sorted({s for s, _ in spans[1:]} | {i for i, ch in enumerate(text) if ch.isalpha() and i})
    ops = draw(st.lists(st.tuples(st.sampled_from(["merge", "split"]), st.sampled_from(cuts)), max_size=8))
    return text, spans, ops


def run_ops(text: str, spans: list[tuple[int, int]], ops: list[tuple[str, int]]) -> list[tuple[int, int]]:
    for kind, at in ops:
        spans, _ = (merge_at if kind == "merge" else split_at)(spans, text, at)
    return spans


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_changes_keep_every_character_in_exactly_one_unit_and_are_idempotent(case) -> None:
    text, spans, ops = case
    after = run_ops(text, spans, ops)
    covered = [0] * len(text)
    prev = 0
    for s, e in after:
        assert prev <= s < e and text[s:e] == text[s:e].strip()
        prev = e
        for i in range(s, e):
            covered[i] += 1
    assert all(covered[i] == 1 for i, ch in enumerate(text) if not ch.isspace())
    # applying the recorded changes to any intermediate state gives the same units (idempotent, ordered)
    changes = [("alice", make_change(kind, at, text, SHA).model_copy(update={"time": f"t{n:03d}"}))
               for n, (kind, at) in enumerate(ops)]
    for k in range(len(ops) + 1):
        middle = run_ops(text, spans, ops[:k])
        assert apply_changes(middle, text, SHA, changes).spans == after


def notes_of(labels: LabelFile) -> str:
    """Every note a file holds (on units, orphans and remembered parts), joined."""
    notes = [s.note or "" for s in [*labels.sentences, *labels.orphans]]
    for s in labels.sentences:
        notes.extend(str(p.get("note") or "") for p in getattr(s, MERGED_FROM, None) or [])
    return " | ".join(notes)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(edits(), st.data())
def test_labels_follow_new_units_and_none_is_ever_dropped(case, data) -> None:
    text, spans, ops = case
    labels = file_of(text, spans, data.draw(st.lists(st.sampled_from([*LABELS, None]), min_size=len(spans),
                                                     max_size=len(spans))))
    noted = data.draw(st.sets(st.integers(0, len(spans) - 1), max_size=3))
    for i in noted:  # notes and time on some units, labeled or not
        labels.sentences[i].note, labels.sentences[i].seconds = f"note-{i}", 1.5
    before = carried(labels)
    after_spans = run_ops(text, spans, ops)
    moved, _report = remap(labels, text, after_spans)
    assert [s.span for s in moved.sentences] == after_spans
    assert carried(moved) == before
    assert all(f"note-{i}" in notes_of(moved) for i in noted)
    back, _ = remap(moved, text, spans)  # and back to the first units: every label where it was
    assert [(s.span, s.label) for s in back.sentences] == [(s.span, s.label) for s in labels.sentences]


def test_a_merge_keeps_an_agreed_label_and_parks_differing_ones() -> None:
    text = "Kim arrived. He smiled. Talks began."
    spans = spans_of_sentences(text)
    agreed = remap(file_of(text, spans, ["fact", "fact", None]), text, [(0, 23), spans[2]])[0]
    assert agreed.sentences[0].label == "fact" and not agreed.orphans
    differ = remap(file_of(text, spans, ["fact", "opinion", None]), text, [(0, 23), spans[2]])[0]
    assert differ.sentences[0].label is None
    assert sorted((o.text, o.label) for o in differ.orphans) == [("He smiled.", "opinion"), ("Kim arrived.", "fact")]
    split = remap(file_of(text, [(0, 23), spans[2]], ["quote", None]), text, spans)[0]
    assert [s.label for s in split.sentences] == [None, None, None]  # nobody labeled the parts
    assert [(o.text, o.label, o.reason) for o in split.orphans] == [("Kim arrived. He smiled.", "quote",
                                                                    "split into smaller units")]


def spans_of_sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^.\s][^.]*\.", text)]


# --------------------------------------------------------------------------- through sessions, two annotators


def open_doc(project: Project, name: str) -> LabelSession:
    return LabelSession.open(project, project.document(SEED_ID), name, project.tagset())


def test_a_merge_is_stored_once_for_the_document_and_every_annotator_follows_it(project: Project) -> None:
    doc = project.document(SEED_ID)
    alice, bob = open_doc(project, "alice"), open_doc(project, "bob")
    try:
        # units 8 and 9 of the sample are one paragraph: they can be merged
        for i, lab in enumerate(["fact", "speculation", "fact", "quote"], start=6):
            alice.change(i, label=lab)
        for i, lab in enumerate(["fact", "speculation", "fact", "opinion"], start=6):
            bob.change(i, label=lab)
        n = len(alice.sentences)
        second, third = alice.sentences[7], alice.sentences[8]
        alice.merge_with_next(7, "alice")
        assert len(alice.sentences) == n - 1
        assert alice.sentences[7].span == (second.start, third.end)
        assert alice.sentences[7].label is None and len(alice.labels.orphans) == 2  # speculation vs fact
        assert [p.name for p in units_files(project.root, project.labels / SEED_ID)] == ["_units-alice.yaml"]
        assert bob.source_changed()  # bob's screen notices on its next look
        bob.follow_source()
        assert [s.span for s in bob.sentences] == [s.span for s in alice.sentences]
        assert bob.sentences[8].label == "opinion" and len(bob.labels.orphans) == 2
        alice.undo()  # the merge undone: recorded as a split at the same place, the labels back
        assert [s.span for s in alice.sentences[7:9]] == [second.span, third.span]
        assert [s.label for s in alice.sentences[6:10]] == ["fact", "speculation", "fact", "quote"]
        assert not alice.labels.orphans
        bob.follow_source()
        assert [s.label for s in bob.sentences[6:10]] == ["fact", "speculation", "fact", "opinion"]
        assert not bob.labels.orphans
        alice.redo()
        assert len(alice.sentences) == n - 1
        changes = load_changes(project, SEED_ID)
        assert [(e, c.kind) for e, c in changes] == [("alice", "merge"), ("alice", "split"), ("alice", "merge")]
    finally:
        alice.close()
        bob.close()
    # readers (status, agreement, export) see bob's file on alice's units even before bob reopens
    now = current_labels(project, doc, "bob")
    assert [s.span for s in now.labels.sentences] == document_spans(project, doc)
    assert set(document_labels(project, doc).annotators) == {"alice", "bob"}


def test_two_annotators_changing_boundaries_at_once_lose_nothing(project: Project) -> None:
    alice, bob = open_doc(project, "alice"), open_doc(project, "bob")
    try:
        n = len(alice.sentences)
        a_at = alice.sentences[8].start
        b_unit = bob.sentences[10]
        cut = b_unit.start + b_unit.text.index(" ", len(b_unit.text) // 2) + 1
        alice.merge_with_next(7, "alice")  # neither has seen the other's change yet
        bob.split(10, cut, "bob")
        alice.follow_source()
        bob.follow_source()
        assert [s.span for s in alice.sentences] == [s.span for s in bob.sentences]
        assert len(alice.sentences) == n  # one fewer, one more
        assert all(s.start != a_at for s in alice.sentences) and any(s.start == cut for s in alice.sentences)
    finally:
        alice.close()
        bob.close()
    names = sorted(p.name for p in units_files(project.root, project.labels / SEED_ID))
    assert names == ["_units-alice.yaml", "_units-bob.yaml"]


def test_a_change_follows_an_edited_source_by_its_text(project: Project) -> None:
    doc = project.document(SEED_ID)
    alice = open_doc(project, "alice")
    try:
        alice.change(0, label="fact")
        alice.merge_with_next(7, "alice")
        merged = alice.sentences[7].text
    finally:
        alice.close()
    doc.path.write_text("A brand new first paragraph.\n\n" + doc.path.read_text(encoding="utf-8"), encoding="utf-8")
    texts = [project.read_source(doc).text[s:e] for s, e in document_spans(project, doc)]
    assert merged in texts  # the merge found its place again in the edited text
    labels = load_current(project.label_path(SEED_ID, "alice"))
    assert labels.sentences[0].label == "fact"


def test_refused_changes_say_why_and_write_nothing(project: Project) -> None:
    alice = open_doc(project, "alice")
    try:
        with pytest.raises(AnnotateError, match="paragraph break"):
            alice.merge_with_next(0, "alice")  # the headline stands above a blank line
        with pytest.raises(AnnotateError, match="last unit"):
            alice.merge_with_next(len(alice.sentences) - 1, "alice")
        unit = alice.sentences[3]
        with pytest.raises(AnnotateError, match="whitespace|already starts"):
            alice.split(3, unit.start, "alice")
    finally:
        alice.close()
    assert units_files(project.root, project.labels / SEED_ID) == []


def test_a_broken_change_file_is_one_line_with_file_and_line(project: Project) -> None:
    folder = project.labels / SEED_ID
    folder.mkdir(parents=True)
    (folder / "_units-mallory.yaml").write_text(
        "version: 1\ndocument: kim-visits-beijing\neditor: mallory\nchanges:\n- kind: explode\n  at: 5\n",
        encoding="utf-8")
    with pytest.raises(AnnotateError) as info:
        document_spans(project, project.document(SEED_ID))
    assert str(info.value).startswith(f"labels/{SEED_ID}/_units-mallory.yaml:5:")
    (folder / "_units-mallory.yaml").write_text(
        "version: 1\ndocument: elsewhere\neditor: mallory\nchanges: []\n", encoding="utf-8")
    with pytest.raises(AnnotateError, match="document: 'elsewhere' but the file is under"):
        document_spans(project, project.document(SEED_ID))
