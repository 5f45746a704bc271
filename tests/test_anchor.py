"""Re-anchoring labels onto a changed source: kept, moved, matched, orphaned, never lost."""

from __future__ import annotations

from difflib import SequenceMatcher

from conftest import SEED_ID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.anchor import SIMILARITY, reanchor
from annotate.models import LabelFile, Orphan, Sentence
from annotate.store import Project, read_label_file

SENTENCES = [
    "Kim Jong Un arrived in Beijing on Tuesday.",
    "He was expected to meet President Xi Jinping.",
    "Officials said the talks would cover trade.",
    '"We are ready," a spokesman said.',
    "The visit may signal a new summit with Washington.",
    "Critics called the trip a publicity stunt.",
]
LABELS = ["fact", "speculation", "fact", "quote", "speculation", "opinion"]


def build(sentences: list[str], sep: str = " ") -> tuple[str, list[tuple[int, int]]]:
    """A source text and its sentence spans."""
    spans, pos = [], 0
    for s in sentences:
        spans.append((pos, pos + len(s)))
        pos += len(s) + len(sep)
    return sep.join(sentences), spans


def labelled(sentences: list[str], labels: list[str | None], sep: str = " ") -> LabelFile:
    text, spans = build(sentences, sep)
    return LabelFile(
        version=1, document="doc", source="seeds/doc.txt", source_sha256="a" * 64,
        annotator="alice", scheme="claim-types",
        sentences=[
            Sentence(start=s, end=e, text=text[s:e], label=lab, note=f"n{i}" if lab else None)
            for i, ((s, e), lab) in enumerate(zip(spans, labels, strict=True))
        ],
    )


def redo(old: LabelFile, sentences: list[str], sep: str = " "):
    text, spans = build(sentences, sep)
    return reanchor(old, text, spans, "b" * 64)


def test_unchanged_source_keeps_everything_in_place() -> None:
    old = labelled(SENTENCES, LABELS)
    new, report = redo(old, SENTENCES)
    assert [s.label for s in new.sentences] == LABELS
    assert [s.span for s in new.sentences] == [s.span for s in old.sentences]
    assert report.kept == 6 and not report.changed
    assert new.source_sha256 == "b" * 64


def test_insertion_moves_labels_with_their_text() -> None:
    old = labelled(SENTENCES, LABELS)
    changed = SENTENCES[:2] + ["A brand new sentence was inserted here."] + SENTENCES[2:]
    new, report = redo(old, changed)
    assert [s.label for s in new.sentences] == LABELS[:2] + [None] + LABELS[2:]
    assert all(n.text == o.text for n, o in zip(new.sentences[3:], old.sentences[2:], strict=True))
    assert report.kept == 2 and len(report.moved) == 4 and not report.orphaned
    assert report.moved[0] == (old.sentences[2].span, new.sentences[3].span)
    assert "4 moved" in report.summary()


def test_edited_sentence_is_matched_when_close_enough() -> None:
    old = labelled(SENTENCES, LABELS)
    edited = list(SENTENCES)
    edited[1] = "He was expected to meet president Xi Jinping!"  # two characters changed
    assert SequenceMatcher(None, SENTENCES[1], edited[1]).ratio() >= SIMILARITY
    new, report = redo(old, edited)
    assert new.sentences[1].text == edited[1]
    assert (new.sentences[1].label, new.sentences[1].note) == ("speculation", "n1")
    assert len(report.fuzzy) == 1 and report.fuzzy[0][2] >= SIMILARITY
    assert not report.orphaned


def test_rewritten_sentence_becomes_an_orphan() -> None:
    old = labelled(SENTENCES, LABELS)
    edited = list(SENTENCES)
    edited[5] = "Some observers thought the trip was not worth much."
    new, report = redo(old, edited)
    assert new.sentences[5].label is None
    assert [o.text for o in new.orphans] == [SENTENCES[5]]
    assert len(report.orphaned) == 1


def test_deleted_sentence_is_kept_as_an_orphan_with_its_old_data() -> None:
    old = labelled(SENTENCES, LABELS)
    new, report = redo(old, SENTENCES[:3] + SENTENCES[4:])
    assert [s.label for s in new.sentences] == LABELS[:3] + LABELS[4:]
    (orphan,) = new.orphans
    assert orphan.span == old.sentences[3].span
    assert (orphan.text, orphan.label, orphan.note) == (SENTENCES[3], "quote", "n3")
    assert orphan.reason
    assert report.orphaned == [orphan]
    assert "1 orphaned" in report.summary()


def test_orphan_whose_text_reappears_is_reattached() -> None:
    old = labelled(SENTENCES, LABELS)
    gone, _ = redo(old, SENTENCES[:3] + SENTENCES[4:])
    assert len(gone.orphans) == 1
    back, report = redo(gone, SENTENCES)
    assert back.orphans == []
    assert (back.sentences[3].label, back.sentences[3].note) == ("quote", "n3")
    assert report.reattached == 1 and not report.orphaned


def test_unlabeled_sentences_do_not_become_orphans() -> None:
    old = labelled(SENTENCES, [None] * 6)
    new, report = redo(old, SENTENCES[:2])
    assert new.orphans == [] and not report.orphaned


def test_repeated_sentence_goes_to_the_nearest_copy() -> None:
    repeated = ["Prices rose.", "A long middle sentence about other things.", "Prices rose."]
    old = labelled(repeated, ["fact", None, "opinion"])
    new, _ = redo(old, ["An extra sentence in front."] + repeated)
    assert [s.label for s in new.sentences] == [None, "fact", None, "opinion"]


# --------------------------------------------------------------------------- property

WORDS = ["alpha", "beta", "gamma", "delta", "north", "korea", "talks", "trade", "summit", "xi"]
sentence_st = st.lists(st.sampled_from(WORDS), min_size=3, max_size=9).map(
    lambda ws: " ".join(ws).capitalize() + "."
)


@st.composite
def edits(draw: st.DrawFn, sentences: list[str]) -> list[str]:
    """Up to five edits of every kind a source sees: insert, delete, a few characters, rewrite, duplicate, move."""
    out = list(sentences)
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["insert", "delete", "chars", "rewrite", "duplicate", "move"]))
        if kind == "insert" or not out:
            out.insert(draw(st.integers(0, len(out))), draw(sentence_st))
            continue
        i = draw(st.integers(0, len(out) - 1))
        if kind == "delete":
            del out[i]
        elif kind == "rewrite":
            out[i] = draw(sentence_st)
        elif kind == "duplicate":
            out.insert(draw(st.integers(0, len(out))), out[i])
        elif kind == "move":
            out.insert(draw(st.integers(0, len(out) - 1)), out.pop(i))
        else:
            s = out[i]
            for _ in range(draw(st.integers(1, 3))):
                p = draw(st.integers(0, len(s) - 1))
                s = s[:p] + draw(st.sampled_from(["x", "", "q", ","])) + s[p + 1:]
            out[i] = s.strip() or "Z."
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_label_is_ever_lost_or_duplicated(data: st.DataObject) -> None:
    sentences = data.draw(st.lists(sentence_st, min_size=1, max_size=8), label="old")
    labels = data.draw(st.lists(st.sampled_from([None, "fact", "opinion"]), min_size=len(sentences),
                                max_size=len(sentences)), label="labels")
    sep = data.draw(st.sampled_from([" ", "\n", "\n\n"]), label="sep")
    old = labelled(sentences, labels, sep)
    changed = data.draw(edits(sentences), label="new")
    text, spans = build(changed, sep)
    new, report = reanchor(old, text, spans, "b" * 64)

    before = {s.note: s for s in old.sentences if s.label is not None}
    placed = [s for s in new.sentences if s.label is not None]
    after = [s.note for s in placed] + [o.note for o in new.orphans]
    assert sorted(after) == sorted(before)  # each label exactly once, none invented
    for s in placed:
        o = before[s.note]
        assert s.label == o.label
        assert text[s.start:s.end] == s.text
        assert s.text == o.text or SequenceMatcher(None, o.text, s.text).ratio() >= SIMILARITY
    for orphan in new.orphans:
        o = before[orphan.note]
        assert (orphan.span, orphan.text, orphan.label) == (o.span, o.text, o.label)
    assert [o.note for o in report.orphaned] == [o.note for o in new.orphans]
    assert report.kept + len(report.moved) + len(report.fuzzy) == len(placed)
    # the result is a valid label file: in order, and saves
    LabelFile.model_validate(new.model_dump())

    # and re-anchoring to the original source again loses nothing either
    text0, spans0 = build(sentences, sep)
    back, _ = reanchor(new, text0, spans0, "a" * 64)
    assert sorted([s.note for s in back.sentences if s.label] + [o.note for o in back.orphans]) \
        == sorted(before)


# --------------------------------------------------------------------------- through a session


def test_session_reports_orphans_and_keeps_them_in_the_file(open_session,
                                                             project: Project) -> None:
    session = open_session()
    for i in range(len(session.sentences)):
        session.change(i, label="fact" if i % 2 else "opinion")
    victim = session.sentences[3]
    session.close()
    src = project.seeds / f"{SEED_ID}.txt"
    text = src.read_text(encoding="utf-8")
    assert text.count(victim.text) == 1
    src.write_text(text.replace(victim.text, "", 1), encoding="utf-8")

    again = open_session()
    assert again.report is not None
    assert [o.text for o in again.report.orphaned] == [victim.text]
    again.close()
    labels = read_label_file(again.path)[0]
    assert [(o.start, o.end, o.text, o.label) for o in labels.orphans] == [
        (victim.start, victim.end, victim.text, victim.label)
    ]
    assert all(isinstance(o, Orphan) for o in labels.orphans)
    assert labels.labeled + len(labels.orphans) == len(session.sentences)
