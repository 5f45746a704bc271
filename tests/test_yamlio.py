"""Label files on disk: exact round trips of any content, and load errors that say where."""

from __future__ import annotations

import re
import string
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import minimal_label_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.errors import AnnotateError
from annotate.models import LabelFile, Orphan, Sentence
from annotate.store import (
    SCHEMA_HEADER,
    check_against,
    load_tagset,
    read_label_file,
    save_label_file,
)
from annotate.yamlio import MAX_DEPTH

TRICKY = [
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "null", "Null", "~", "true", "True", "false",
    "1e3", "1E3", "1.0e3", "1e-3", "0x10", "012", "0o17", "1_000", "1:20", ".inf", "-.inf", ".nan",
    "2024-01-01", "2024-01-01T10:00:00Z", '"true"', "'quoted'", "123", "-1", "+1", "0.5", "",
    " ", "  leading", "trailing  ", "a: b", "a:b", "key: value # comment", "# not a comment",
    "x #y", "- item", "-", "--", "---", "...", "? key", "?", "& anchor", "&a", "*alias", "*",
    "!tag", "!!str", "%YAML", "@at", "`tick`", "|", ">", "{a: 1}", "[1, 2]", "[", "}", ",",
    "\\", "\\n", '"', "'", "\t", "\n", "\r\n", "\r", "a\n\nb", "\x00", "\x07", "\x1b[31m",
    "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufeffBOM", "\ufffe", "\uffff", "\xa0",
    "😀", "👩‍👩‍👧", "🇰🇵", "مرحبا بالعالم", "שלום", "\u202eevil", "e\u0301", "a\u0308\u0301",
    "\U0010fffd", "\ue000", "日本語の文", "<<", "=", "North Korea's Kim", "He said: \"no\".",
]

text_st = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=30),
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=4).map("".join),
    st.text(alphabet=string.printable, max_size=30),
)
nonempty_text = text_st.filter(bool)
label_st = st.none() | st.sampled_from(["fact", "speculation", "quote", "opinion"]) | text_st
finite = st.floats(allow_nan=False, allow_infinity=False)

DECLARED = {
    "start", "end", "text", "label", "unsure", "note", "seconds", "reviewer",
    "annotator_labels", "suggested", "reason", "version", "document", "source",
    "source_sha256", "annotator", "scheme", "segmenter", "sentences", "orphans",
}
key_st = text_st.filter(lambda k: k not in DECLARED)
scalar_st = st.none() | st.booleans() | st.integers() | finite | text_st
json_like = st.recursive(
    scalar_st,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key_st, inner, max_size=3),
    max_leaves=4,
)
extras_st = st.dictionaries(key_st, json_like, max_size=2)


@st.composite
def sentence_fields(draw: st.DrawFn, start: int, orphan: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "start": start,
        "end": start + draw(st.integers(1, 50)),
        "text": draw(text_st),
        "label": draw(label_st),
        "unsure": draw(st.sampled_from([None, True])),
        "note": draw(st.none() | text_st),
        "seconds": draw(st.none() | st.floats(0, 1e6)),
    }
    if orphan:
        fields["reason"] = draw(st.none() | text_st)
    else:
        fields["reviewer"] = draw(st.none() | st.just("bob"))
        fields["annotator_labels"] = draw(
            st.none() | st.dictionaries(st.sampled_from(["al", "bob"]), st.none() | label_st)
        )
        fields["suggested"] = draw(st.none() | label_st)
    fields.update(draw(extras_st))
    return fields


@st.composite
def label_files(draw: st.DrawFn) -> LabelFile:
    sentences = []
    pos = 0
    for _ in range(draw(st.integers(0, 4))):
        pos += draw(st.integers(0, 3))
        fields = draw(sentence_fields(pos))
        sentences.append(Sentence(**fields))
        pos = fields["end"]
    orphans = [
        Orphan(**draw(sentence_fields(draw(st.integers(0, 100)), orphan=True)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    return LabelFile(
        version=1,
        document=draw(nonempty_text),
        source=draw(nonempty_text),
        source_sha256=draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        annotator=draw(st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,10}\Z")),
        scheme=draw(nonempty_text),
        segmenter=draw(st.none() | text_st),
        sentences=sentences,
        orphans=orphans,
        **draw(extras_st),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(labels=label_files())
def test_any_label_file_round_trips_exactly(tmp_path: Path, labels: LabelFile) -> None:
    path = tmp_path / "labels" / "doc" / "alice.yaml"
    save_label_file(path, labels)
    back, _ = read_label_file(path)
    assert back == labels
    assert back.to_data() == labels.to_data()
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_HEADER
    # Readers without libyaml (pure-Python SafeLoader) see exactly the same data.
    assert yaml.load(text, Loader=yaml.SafeLoader) == labels.to_data()


def test_yaml_looking_strings_stay_strings(tmp_path: Path) -> None:
    extras = {s: s for s in TRICKY if s not in DECLARED}
    sentences = [Sentence(start=i, end=i + 1, text=s, note=s, **{"x": s})
                 for i, s in enumerate(TRICKY)]
    labels = minimal_label_file(sentences=sentences, **extras)
    path = tmp_path / "alice.yaml"
    save_label_file(path, labels)
    back, _ = read_label_file(path)
    assert back == labels
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == labels.to_data()
    # Readers that follow YAML 1.2 (not PyYAML's 1.1) must not see numbers either: every plain
    # (unquoted) value that looks like a YAML 1.2 number is one we wrote as a number.
    number = re.compile(
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
    )
    for line in text.splitlines():
        m = re.match(r"\s*(?:- )?(?:text|note|x): (.*)$", line)
        if m:
            assert not number.fullmatch(m.group(1)), line


def test_saved_file_is_readable_yaml_in_the_documented_order(tmp_path: Path) -> None:
    path = tmp_path / "alice.yaml"
    save_label_file(path, minimal_label_file())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == SCHEMA_HEADER
    keys = [line.split(":")[0] for line in lines[1:] if not line.startswith((" ", "-"))]
    assert keys == ["version", "document", "source", "source_sha256", "annotator", "scheme",
                    "sentences"]
    assert "- start: 4" in lines
    assert "  text: Bb." in lines
    assert "  label: fact" in lines
    assert "  note: hm" in lines


# --------------------------------------------------------------------------- load errors

GOOD = (
    "version: 1\ndocument: doc\nsource: seeds/doc.txt\nsource_sha256: " + "ab" * 32 + "\n"
    "annotator: alice\nscheme: claim-types\nsentences:\n"
    "- start: 0\n  end: 3\n  text: Aa.\n  label: null\n"
    "- start: 4\n  end: 7\n  text: Bb.\n  label: fact\n"
    "- start: 8\n  end: 11\n  text: Cc.\n  label: opinion\n"
    "- start: 12\n  end: 15\n  text: Dd.\n  label: quote\n"
)
SOURCE = "Aa. Bb. Cc. Dd."


def load_error(tmp_path: Path, content: bytes | str) -> AnnotateError:
    path = tmp_path / "alice.yaml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(AnnotateError) as info:
        read_label_file(path, "labels/doc/alice.yaml")
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith("labels/doc/alice.yaml")
    return err


def line_no(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "alice.yaml"
    path.write_text(GOOD)
    labels, _ = read_label_file(path)
    assert [s.label for s in labels.sentences] == [None, "fact", "opinion", "quote"]


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    text = GOOD.replace("  label: opinion", "  label: opinion: really")
    err = load_error(tmp_path, text)
    assert "YAML syntax error" in err.message
    assert err.line == line_no(text, "opinion: really")
    assert err.column == len("  label: opinion") + 1
    assert re.match(r"labels/doc/alice\.yaml:\d+:\d+: ", str(err))

    text = GOOD.replace("scheme: claim-types", "scheme: [claim-types")
    err = load_error(tmp_path, text)
    assert err.line is not None and err.column is not None


def test_schema_error_names_the_path_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("  label: quote", "  label: {name: quote}")
    err = load_error(tmp_path, text)
    assert err.message.startswith("sentences[3].label:")
    assert err.line == line_no(text, "label: {name: quote}")
    assert str(err).startswith(f"labels/doc/alice.yaml:{err.line}: sentences[3].label:")


def test_missing_key_error_names_the_key(tmp_path: Path) -> None:
    err = load_error(tmp_path, GOOD.replace("- start: 8\n  end: 11\n", "- start: 8\n"))
    assert err.message.startswith("sentences[2].end:")
    assert "missing" in err.message


def test_unknown_label_is_reported_against_the_tagset(tmp_path: Path, project) -> None:
    text = GOOD.replace("  label: opinion", "  label: fakt")
    path = tmp_path / "alice.yaml"
    path.write_text(text)
    labels, raw = read_label_file(path, "labels/doc/alice.yaml")  # structure is fine
    tagset = load_tagset(project.schemas / "claim-types.yaml")
    with pytest.raises(AnnotateError) as info:
        check_against(labels, "labels/doc/alice.yaml", tagset, SOURCE, raw)
    err = info.value
    assert "'fakt' is not a label of tagset claim-types" in err.message
    assert err.message.startswith("sentences[2].label")
    assert err.line == line_no(text, "label: fakt")


def test_span_beyond_source_and_text_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "alice.yaml"
    path.write_text(GOOD)
    labels, raw = read_label_file(path)
    with pytest.raises(AnnotateError) as info:
        check_against(labels, "f.yaml", None, "Aa. Bb. Cc.", raw)
    assert "beyond the end of the source" in info.value.message
    assert info.value.message.startswith("sentences[3]")
    assert info.value.line == line_no(GOOD, "start: 12")

    with pytest.raises(AnnotateError) as info:
        check_against(labels, "f.yaml", None, "Aa. Bx. Cc. Dd.", raw)
    assert info.value.message.startswith("sentences[1].text")
    assert "does not match the source" in info.value.message
    assert "Bx." in info.value.message
    assert info.value.line == line_no(GOOD, "text: Bb.")

    check_against(labels, "f.yaml", None, SOURCE, raw)  # and the right source is fine


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# only a comment\n"])
def test_empty_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    err = load_error(tmp_path, content)
    assert "empty" in err.message or "mapping" in err.message


@pytest.mark.parametrize(
    ("content", "kind"),
    [("- a\n- b\n", "list"), ("just a string\n", "str"), ("42\n", "int")],
)
def test_not_a_mapping_is_an_error(tmp_path: Path, content: str, kind: str) -> None:
    err = load_error(tmp_path, content)
    assert "mapping" in err.message and kind in err.message


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    raw = GOOD.replace("text: Cc.", "text: C\udcffc.").encode("utf-8", "surrogateescape")
    err = load_error(tmp_path, raw)
    assert "UTF-8" in err.message and "0xff" in err.message
    assert err.line == line_no(GOOD, "text: Cc.")
    assert err.column == len("  text: C") + 1


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghijklmnopqrstuvwxyz":
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    t0 = time.perf_counter()
    err = load_error(tmp_path, GOOD + "extra:\n" + "".join("  " + line + "\n"
                                                          for line in bomb.splitlines()))
    assert time.perf_counter() - t0 < 2
    assert "alias" in err.message


def test_scalar_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "alice.yaml"
    path.write_text(GOOD.replace("label: fact", "label: &l fact").replace("label: quote",
                                                                        "label: *l"))
    labels, _ = read_label_file(path)
    assert labels.sentences[3].label == "fact"


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deep_nesting_is_refused(tmp_path: Path, style: str) -> None:
    if style == "flow":
        extra = "deep: " + "[" * 5000 + "]" * 5000 + "\n"
    else:
        extra = "deep:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH * 2))
    t0 = time.perf_counter()
    err = load_error(tmp_path, GOOD + extra)
    assert time.perf_counter() - t0 < 2
    assert "nesting" in err.message


def test_python_tags_are_refused(tmp_path: Path) -> None:
    err = load_error(tmp_path, GOOD + "x: !!python/object/apply:os.system [echo hi]\n")
    assert err.line == line_no(GOOD, "label: quote") + 1


def test_nested_lists_in_extra_keys_are_written_on_one_line(tmp_path: Path) -> None:
    long = ["word " * 20, "other " * 20]
    labels = minimal_label_file(matrix=[long, [long]])
    path = tmp_path / "alice.yaml"
    save_label_file(path, labels)
    text = path.read_text(encoding="utf-8")
    after = text.split("matrix:\n", 1)[1].splitlines()
    assert len(after) == 2 and all(line.startswith("- [") for line in after)
    assert read_label_file(path)[0] == labels
