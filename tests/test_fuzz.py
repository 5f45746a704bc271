"""Bad input, tried systematically: damaged label files, tagsets and sources never crash, hang or get overwritten.

Every load of a label file (``store.parse_label_file``, ``annotate validate``,
``LabelSession.open``) or a tagset (``store.load_tagset``) either succeeds with a
valid model or raises :class:`AnnotateError` whose message is one line starting
with the file name (and ``:line`` when known); never another exception, never a
hang, never a rewrite of the damaged file. Sources (``Project.read_source``,
``annotate segment``) are either read with offsets that slice back exactly, or
refused with the same kind of one-line error.

Hypothesis mutates valid files (truncation, byte flips and insertions, wrong
types per key, duplicate keys, anchors, aliases and merge keys, tabs, BOMs,
CRLF, invalid UTF-8, unknown labels, bad spans, versions); the extreme inputs
(100,000 levels of nesting, a 10 MB scalar, an alias bomb, a 50 MB source) are
fixed cases with time and memory bounds. ``ANNOTATE_FUZZ_EXAMPLES=N`` scales the
number of examples per property (default 150); the total fuzzed is printed at
the end of the module (and written as JSON to ``$ANNOTATE_FUZZ_REPORT`` when
set). The full segmentation of a 50 MB source and of a 1 MB line are slow
(pySBD: about 1,000 sentences a second) and run only with
``ANNOTATE_SLOW_TESTS=1``; the default suite reads those sources and segments
their first chunks.

A pulled project is fuzzed too: random ``source:`` and ``document:`` values and
random symbolic links inside the project (to a secret outside it, to a folder
outside, dangling, or inside), then every command; nothing outside the project root
may be opened (``open``/``os.open`` are recorded) or written.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.models import GOLD, LabelFile, Tagset
from annotate.reading import NeedsSegmentation, cache_path, journal_path
from annotate.segment import iter_segment, segment
from annotate.session import LabelSession
from annotate.store import (
    Document,
    LabelLock,
    Project,
    check_against,
    dump_label_file,
    load_tagset,
    new_label_file,
    parse_label_file,
)

sys.path.insert(0, str(Path(__file__).parent))
from conftest import SEED_ID, make_project, start_labels  # noqa: E402
from test_security import SECRET, Opened, snapshot  # noqa: E402

EXAMPLES = int(os.environ.get("ANNOTATE_FUZZ_EXAMPLES", "150"))
SLOW = os.environ.get("ANNOTATE_SLOW_TESTS") == "1"
WHERE = f"labels/{SEED_ID}/alice.yaml"
TAGSET_WHERE = "schemas/fuzzed.yaml"
HARD_LIMIT = 20.0
"""Seconds after which one input counts as a hang (SIGALRM), whatever the machine's load."""

FUZZED: Counter[str] = Counter()
"""How many inputs each property tried (printed at the end of the module)."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,  # ms per example
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.function_scoped_fixture],
)


# --------------------------------------------------------------------------- harness


class Hang(Exception):
    """An input took longer than HARD_LIMIT seconds."""


@contextlib.contextmanager
def time_limit(seconds: float = HARD_LIMIT) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""

    def alarm(_sig: int, _frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def assert_one_line_error(exc: AnnotateError, where: str) -> None:
    """The error the user sees: one line, starting with the file (and its line number when known)."""
    text = str(exc)
    assert text.splitlines() == [text] and "\r" not in text, f"not one line: {text!r}"
    assert text.startswith(f"{where}:"), f"does not name {where}: {text!r}"
    if exc.line is not None:
        assert exc.line >= 1
        assert text.startswith(f"{where}:{exc.line}:"), text
    assert exc.message.strip(), "no message"


def assert_valid_label_model(labels: LabelFile) -> None:
    """A loaded label file is a valid model, and what the tool would write back loads back the same."""
    assert isinstance(labels, LabelFile)
    again = LabelFile.model_validate(labels.model_dump())
    written = dump_label_file(labels).encode("utf-8")
    reread = parse_label_file(written, "rewritten.yaml")
    same = json.dumps(reread.to_data(), sort_keys=True, default=repr) == json.dumps(again.to_data(), sort_keys=True,
                                                                                    default=repr)
    assert same, "what the tool writes back does not load back the same"


def load_label_bytes(raw: bytes) -> LabelFile | None:
    """parse_label_file under a time limit: the model, or None after checking the one-line error."""
    FUZZED["label file parse"] += 1
    with time_limit():
        try:
            labels = parse_label_file(raw, WHERE)
        except AnnotateError as exc:
            assert_one_line_error(exc, WHERE)
            return None
    assert_valid_label_model(labels)
    return labels


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def _report_count(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(FUZZED.values())
    if total:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(FUZZED.items()))
        line = f"test_fuzz: {total} fuzzed inputs ({parts})"
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(f"\n{line}", flush=True)
        if os.environ.get("ANNOTATE_FUZZ_REPORT"):  # for the README figures of a long run
            Path(os.environ["ANNOTATE_FUZZ_REPORT"]).write_text(json.dumps({"total": total, **FUZZED}) + "\n")


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project with alice's label file on the seed: labels, unsure, a note, time spent."""
    project = make_project(tmp_path_factory.mktemp("fuzz") / "proj")
    session = LabelSession.open(project, project.document(SEED_ID), "alice", project.tagset())
    try:
        session.change(0, label="fact", seconds=2.5)
        session.change(1, label="speculation", unsure=True, note='hedged by "was expected to": see #3')
        session.change(2, label="quote")
        session.change(3, label="opinion", note="ünïcödé ✓ 👍")
    finally:
        session.close()
    return project


@pytest.fixture(scope="module")
def valid_label_bytes(fuzz_project: Project) -> bytes:
    """The bytes of a valid label file (the seed document, some labels)."""
    return fuzz_project.label_path(SEED_ID, "alice").read_bytes()


@pytest.fixture(scope="module")
def valid_tagset_bytes(fuzz_project: Project) -> bytes:
    """The bytes of the project's valid tagset."""
    return (fuzz_project.schemas / "claim-types.yaml").read_bytes()


def test_the_starting_files_are_valid(valid_label_bytes: bytes, valid_tagset_bytes: bytes, tmp_path: Path) -> None:
    labels = load_label_bytes(valid_label_bytes)
    assert labels is not None and labels.labeled == 4
    path = tmp_path / "t.yaml"
    path.write_bytes(valid_tagset_bytes)
    assert load_tagset(path).names[:4] == ["fact", "speculation", "quote", "opinion"]


# --------------------------------------------------------------------------- mutations

WRONG_VALUES: list[Any] = [
    None, [], {}, -1, 0, 1.5, "", "x", True, False, 10**30, "2", [1, 2], {"a": 1}, float("nan"), float("inf"),
    "fact", "bogus-label", "Fact", [None], [{"start": 0}], "2001-02-03", "0" * 64, "NOT HEX" * 9, "a" * 300,
]
"""Values of the wrong type (or shape) for some key."""

TOP_KEYS = ["version", "document", "source", "source_sha256", "annotator", "scheme", "segmenter", "sentences",
            "orphans"]
SENTENCE_KEYS = ["start", "end", "text", "label", "unsure", "note", "seconds", "reviewer", "annotator_labels",
                 "suggested"]

INSERTS = [
    b"\t", b"\r", b"\r\n", b"\n", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x85", b"&a ",
    b"*a", b"*undefined ", b"<<: ", b"<<: *a\n", b"[", b"]", b"{", b"}", b"- ", b": ", b"? ", b"#", b"'", b'"',
    b"\\", b"---\n", b"...\n", b"!!binary ", b"!!python/object:os.system ", b"!!set ", b"!!timestamp ",
    b"%YAML 1.1\n", b"%TAG ! tag:x:\n", b"|\n", b">-\n", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\x1b[31m", b"~",
    b"1" * 5000, b"2001-13-45", b".nan", b"-.inf", b"0x1F", b"0o17", b"1_000", b"@", b"`", b"%", b"!",
]

BOMB = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode()
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
)
"""The billion laughs: 9 levels of 9 aliases each (9**9 strings if expanded)."""


def _lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")


def structural_variants(raw: bytes) -> dict[str, Callable[[bytes], bytes]]:
    """Named whole-file rewrites: YAML features and encodings a hand-edited or machine-made file may use."""
    first_sentence = b"- start: 0\n"

    def merge_keys(r: bytes) -> bytes:
        out = r.replace(b"sentences:\n", b"base: &base {unsure: true}\nsentences:\n", 1)
        return out.replace(first_sentence, first_sentence + b"  <<: *base\n", 1)

    def merge_override(r: bytes) -> bytes:
        return r.replace(first_sentence, b"- <<: {start: 5, end: 1, label: bogus}\n  start: 0\n", 1)

    def merge_list(r: bytes) -> bytes:
        out = r.replace(b"sentences:\n", b"x: &x {label: fact}\ny: &y {note: n}\nsentences:\n", 1)
        return out.replace(first_sentence, first_sentence + b"  <<: [*x, *y]\n", 1)

    def alias_of_list(r: bytes) -> bytes:
        return r.replace(b"sentences:\n", b"sentences: &s\n", 1) + b"orphans: *s\n"

    def alias_scalar(r: bytes) -> bytes:
        out = r.replace(b"annotator: alice", b"annotator: &who alice", 1)
        return out + b"made_by: *who\n"

    def undefined_alias(r: bytes) -> bytes:
        return r.replace(b"annotator: alice", b"annotator: *who", 1)

    def duplicate_top_key(r: bytes) -> bytes:
        return r.replace(b"annotator: alice\n", b"annotator: alice\nannotator: bob\n", 1)

    def duplicate_sentences(r: bytes) -> bytes:
        return r + b"sentences: []\n"

    def duplicate_label(r: bytes) -> bytes:
        return r.replace(b"  label: fact\n", b"  label: fact\n  label: bogus\n", 1)

    def tabs(r: bytes) -> bytes:
        return r.replace(b"\n  ", b"\n\t", 3)

    def tab_after_colon(r: bytes) -> bytes:
        return r.replace(b": ", b":\t")

    def crlf(r: bytes) -> bytes:
        return r.replace(b"\n", b"\r\n")

    def cr_only(r: bytes) -> bytes:
        return r.replace(b"\n", b"\r")

    def mixed_endings(r: bytes) -> bytes:
        lines = _lines(r)
        ends = [b"\n", b"\r\n", b"\r"]
        return b"".join(line + ends[i % 3] for i, line in enumerate(lines))

    def bom(r: bytes) -> bytes:
        return b"\xef\xbb\xbf" + r

    def double_bom(r: bytes) -> bytes:
        return b"\xef\xbb\xbf\xef\xbb\xbf" + r

    def utf16(r: bytes) -> bytes:
        return r.decode("utf-8").encode("utf-16")

    def latin1(r: bytes) -> bytes:
        return r.decode("utf-8").encode("latin-1", "replace")

    def flow_style(r: bytes) -> bytes:
        data = yaml.safe_load(r)
        return json.dumps(data, ensure_ascii=False).encode()  # JSON is YAML too

    def document_markers(r: bytes) -> bytes:
        return b"%YAML 1.1\n---\n" + r + b"...\n"

    def two_documents(r: bytes) -> bytes:
        return r + b"---\n" + r

    def comments_everywhere(r: bytes) -> bytes:
        return b"\n".join(line + b"  # [{&*!|>" if line.strip() else line for line in _lines(r))

    def bomb(r: bytes) -> bytes:
        return r + BOMB.replace(b"a:", b"lol_a:", 1)

    def bomb_only(r: bytes) -> bytes:
        return BOMB

    def deep_flow(r: bytes) -> bytes:
        return r + b"deep: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"

    def deep_flow_open(r: bytes) -> bytes:
        return r + b"deep: " + b"{a: " * 50_000

    def deep_block(r: bytes) -> bytes:
        return r + b"deep:\n" + b"- " * 20_000 + b"x\n"

    def deep_block_mapping(r: bytes) -> bytes:
        return r + b"deep:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 1500)) + b"  " * 1500 + b"v\n"

    def nested_64(r: bytes) -> bytes:
        return r + b"deep: " + b"[" * 70 + b"]" * 70 + b"\n"

    def brackets_in_strings(r: bytes) -> bytes:
        return r.replace(b'note: "', b'note: "' + b"[" * 400 + b"{" * 400, 1)

    def version_2(r: bytes) -> bytes:
        return r.replace(b"version: 1", b"version: 2", 1)

    def version_str(r: bytes) -> bytes:
        return r.replace(b"version: 1", b'version: "1"', 1)

    def version_float(r: bytes) -> bytes:
        return r.replace(b"version: 1", b"version: 1.0", 1)

    def version_zero(r: bytes) -> bytes:
        return r.replace(b"version: 1", b"version: 0", 1)

    def version_huge(r: bytes) -> bytes:
        return r.replace(b"version: 1", b"version: 1" + b"0" * 5000, 1)

    def version_missing(r: bytes) -> bytes:
        return r.replace(b"version: 1\n", b"", 1)

    def sentences_null(r: bytes) -> bytes:
        head = r.split(b"sentences:", 1)[0]
        return head + b"sentences: null\n"

    def sentences_mapping(r: bytes) -> bytes:
        head = r.split(b"sentences:", 1)[0]
        return head + b"sentences: {start: 0}\n"

    def sentences_empty(r: bytes) -> bytes:
        head = r.split(b"sentences:", 1)[0]
        return head + b"sentences: []\n"

    def sentence_binary(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b"  label: !!binary ZmFjdA==", 1)

    def sentence_timestamp(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b"  label: 2001-02-03", 1)

    def sentence_set(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b"  label: !!set {fact}", 1)

    def python_tag(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b"  label: !!python/object/apply:os.system ['true']", 1)

    def unicode_escapes(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b'  label: "\\ud800"', 1)

    def nul_escape(r: bytes) -> bytes:
        return r.replace(b"  label: fact", b'  label: "fa\\0ct"', 1)

    def empty(r: bytes) -> bytes:
        return b""

    def whitespace(r: bytes) -> bytes:
        return b" \n\t\n\r\n"

    def only_comment(r: bytes) -> bytes:
        return b"# nothing here\n"

    def scalar(r: bytes) -> bytes:
        return b"just a string\n"

    def a_list(r: bytes) -> bytes:
        return b"- 1\n- 2\n"

    def conflict_markers(r: bytes) -> bytes:
        lines = _lines(r)
        mid = len(lines) // 2
        return b"\n".join([*lines[:mid], b"<<<<<<< HEAD", *lines[mid:mid + 3], b"=======",
                           *lines[mid:mid + 3], b">>>>>>> origin/main", *lines[mid + 3:]])

    return {name: fn for name, fn in locals().items() if callable(fn) and name != "first_sentence"}


def data_mutation(raw: bytes, draw: st.DrawFn) -> bytes:
    """Load the valid file, damage its data (types, keys, spans, labels), dump it as YAML again."""
    data = yaml.safe_load(raw)
    sentences = data["sentences"]
    kind = draw(st.sampled_from(["top wrong", "top delete", "sentence wrong", "sentence delete", "reverse",
                                 "negative", "overlap", "swap", "empty span", "unknown label", "extra",
                                 "beyond end", "text mismatch", "huge offset", "orphan", "float offset"]))
    k = draw(st.integers(0, len(sentences) - 1))
    s = sentences[k]
    if kind == "top wrong":
        data[draw(st.sampled_from(TOP_KEYS))] = draw(st.sampled_from(WRONG_VALUES))
    elif kind == "top delete":
        data.pop(draw(st.sampled_from(TOP_KEYS)), None)
    elif kind == "sentence wrong":
        s[draw(st.sampled_from(SENTENCE_KEYS))] = draw(st.sampled_from(WRONG_VALUES))
    elif kind == "sentence delete":
        s.pop(draw(st.sampled_from(SENTENCE_KEYS)), None)
    elif kind == "reverse":
        s["start"], s["end"] = s["end"], s["start"]
    elif kind == "negative":
        s[draw(st.sampled_from(["start", "end"]))] = -draw(st.integers(1, 10**6))
    elif kind == "overlap" and k > 0:
        s["start"] = sentences[k - 1]["end"] - draw(st.integers(1, 5))
    elif kind == "swap" and k > 0:
        sentences[k - 1], sentences[k] = sentences[k], sentences[k - 1]
    elif kind == "empty span":
        s["end"] = s["start"]
    elif kind == "unknown label":
        s["label"] = draw(st.sampled_from(["bogus", "FACT", "fact ", "", "opinion\n", "ópinion"]))
    elif kind == "extra":
        data[draw(st.text(min_size=1, max_size=10))] = draw(st.sampled_from(WRONG_VALUES))
    elif kind == "beyond end":
        s["end"] = s["end"] + 10**6
    elif kind == "text mismatch":
        s["text"] = s["text"][::-1]
    elif kind == "huge offset":
        s["start"], s["end"] = 10**18, 10**18 + 1
    elif kind == "orphan":
        data["orphans"] = [{"start": s["start"], "end": s["end"], "text": "gone", "label": "fact",
                            "reason": draw(st.sampled_from(WRONG_VALUES))}]
    elif kind == "float offset":
        s["start"] = s["start"] + 0.5
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans())).encode("utf-8")


def byte_mutation(raw: bytes, draw: st.DrawFn) -> bytes:
    """Truncate, flip, insert or delete bytes, or duplicate or drop a line."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "dup line", "drop line", "indent"]))
    n = len(raw)
    if n == 0:
        return draw(st.binary(max_size=64))
    if kind == "truncate":
        return raw[: draw(st.integers(0, n - 1))]
    if kind == "flip":
        out = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, n - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    if kind == "insert":
        at = draw(st.integers(0, n))
        piece = draw(st.one_of(st.sampled_from(INSERTS), st.binary(min_size=1, max_size=16)))
        return raw[:at] + piece + raw[at:]
    if kind == "delete":
        at = draw(st.integers(0, n - 1))
        return raw[:at] + raw[at + draw(st.integers(1, 64)):]
    lines = _lines(raw)
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "dup line":
        lines.insert(i, lines[i])
    elif kind == "drop line":
        del lines[i]
    else:
        lines[i] = draw(st.sampled_from([b" ", b"  ", b"\t", b"- "])) + lines[i]
    return b"\n".join(lines)


@st.composite
def damaged(draw: st.DrawFn, raw: bytes, with_data: bool = True) -> bytes:
    """A damaged version of ``raw``: a data, structural or byte-level change, then 0-3 byte changes."""
    variants = structural_variants(raw)
    kinds = ["structural", "bytes"] + (["data"] if with_data else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "data":
        out = data_mutation(raw, draw)
    elif kind == "structural":
        out = variants[draw(st.sampled_from(sorted(variants)))](raw)
    else:
        out = byte_mutation(raw, draw)
    for _ in range(draw(st.integers(0, 3))):
        out = byte_mutation(out, draw)
    return out


# --------------------------------------------------------------------------- label files: parse


@FUZZ
@given(data=st.data())
def test_damaged_label_files_parse_or_fail_on_one_line(valid_label_bytes: bytes, data: st.DataObject) -> None:
    before = rss_mb()
    raw = data.draw(damaged(valid_label_bytes))
    load_label_bytes(raw)
    assert rss_mb() - before < 500, "memory grew by more than 500 MB on one input"


@pytest.mark.parametrize("name", sorted(structural_variants(b"")))
def test_every_structural_variant(valid_label_bytes: bytes, name: str) -> None:
    """Each named rewrite once, on its own, so none is left to chance."""
    raw = structural_variants(valid_label_bytes)[name](valid_label_bytes)
    labels = load_label_bytes(raw)
    if name in ("crlf", "cr_only", "mixed_endings", "bom", "comments_everywhere", "document_markers",
                "flow_style", "alias_scalar", "version_str", "brackets_in_strings", "merge_keys"):
        assert labels is not None, f"{name}: a valid file was refused"
        assert labels.labeled == 4
    if name in ("bomb", "bomb_only", "deep_flow", "deep_flow_open", "deep_block", "deep_block_mapping",
                "version_2", "version_huge", "sentences_null", "empty", "whitespace", "conflict_markers",
                "python_tag", "utf16", "two_documents", "alias_of_list", "undefined_alias", "nested_64"):
        assert labels is None, f"{name}: should be refused"


def test_brackets_in_a_note_round_trip(valid_label_bytes: bytes) -> None:
    """A note or sentence with hundreds of '[' (in quotes) is not 'nesting': the tool reads what it wrote."""
    labels = load_label_bytes(valid_label_bytes)
    assert labels is not None
    labels.sentences[0].note = "[" * 1000 + "{" * 1000
    raw = dump_label_file(labels).encode()
    again = load_label_bytes(raw)
    assert again is not None and again.sentences[0].note == "[" * 1000 + "{" * 1000


def test_a_label_file_written_by_json_dumps_loads(valid_label_bytes: bytes) -> None:
    raw = json.dumps(yaml.safe_load(valid_label_bytes)).encode()  # ensure_ascii: 👍 becomes "\ud83d\udc4d"
    assert b"\\ud83d" in raw
    labels = parse_label_file(raw, WHERE)
    assert labels.sentences[3].note == "ünïcödé ✓ 👍"
    lone = raw.replace(b"\\udc4d", b"", 1)  # half a surrogate pair: no UTF-8 file can hold it
    with pytest.raises(AnnotateError) as info:
        parse_label_file(lone, WHERE)
    assert str(info.value).startswith(WHERE) and "\n" not in str(info.value)


def test_error_messages_point_at_the_line(valid_label_bytes: bytes) -> None:
    raw = valid_label_bytes.replace(b"  label: quote", b"  label: [quote]", 1)
    with pytest.raises(AnnotateError) as info:
        parse_label_file(raw, WHERE)
    line = raw[: raw.index(b"  label: [quote]")].count(b"\n") + 1
    assert str(info.value).startswith(f"{WHERE}:{line}: sentences[2].label:")
    raw = valid_label_bytes.replace(b"version: 1", b"version: 2", 1)
    with pytest.raises(AnnotateError) as info:
        parse_label_file(raw, WHERE)
    assert str(info.value).startswith(f"{WHERE}:2: version:") and "newer" in str(info.value)
    raw = valid_label_bytes[:200] + b"\xff" + valid_label_bytes[200:]
    with pytest.raises(AnnotateError) as info:
        parse_label_file(raw, WHERE)
    assert "UTF-8" in str(info.value) and info.value.line == valid_label_bytes[:200].count(b"\n") + 1


# --------------------------------------------------------------------------- the extreme cases


def _measure(fn: Callable[[], object]) -> tuple[object, float, float]:
    """Run ``fn`` under the hard time limit; returns (result or exception, seconds, peak Python MB)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with time_limit():
            try:
                result: object = fn()
            except AnnotateError as exc:
                result = exc
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


def _big_note(raw: bytes, size: int) -> bytes:
    return raw.replace(b'note: "hedged', b'note: "' + b"x" * size + b" hedged", 1)


EXTREMES: dict[str, tuple[Callable[[bytes], bytes], bool, float, float]] = {
    # name: (make, loads?, max seconds, max peak MB of Python allocations)
    "100k levels of [": (lambda r: r + b"deep: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", False, 5, 100),
    "100k unclosed [": (lambda r: b"[" * 100_000, False, 5, 100),
    "100k levels of {a: ": (lambda r: r + b"deep: " + b"{a: " * 100_000 + b"}" * 100_000 + b"\n", False, 5, 100),
    "100k block levels - - -": (lambda r: r + b"deep:\n" + b"- " * 100_000 + b"x\n", False, 5, 100),
    "3000 block mapping levels": (
        lambda r: r + b"deep:\n" + b"".join(b" " * i + b"k:\n" for i in range(1, 3000)) + b" " * 3000 + b"v\n",
        False, 10, 200),
    "billion laughs": (lambda r: BOMB, False, 5, 50),
    "billion laughs inside a label file": (lambda r: r + BOMB.replace(b"a:", b"lol_a:", 1), False, 5, 50),
    "10 MB note": (lambda r: _big_note(r, 10_000_000), True, 15, 400),
    "10 MB plain scalar key": (lambda r: r + b"huge: " + b"y" * 10_000_000 + b"\n", True, 15, 400),
    "10 MB of one line": (lambda r: b"x" * 10_000_000, False, 15, 400),
    "1 MB number": (lambda r: r.replace(b"version: 1", b"version: 1" + b"0" * 1_000_000, 1), False, 10, 200),
    "100k aliases of one scalar": (
        lambda r: r + b"x: &x abc\nmany: [" + b"*x, " * 100_000 + b"*x]\n", True, 10, 400),
    "20k extra keys": (lambda r: r + b"".join(b"k%d: 1\n" % i for i in range(20_000)), True, 10, 300),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_extreme_label_files_are_bounded(valid_label_bytes: bytes, name: str) -> None:
    make, loads, max_seconds, max_mb = EXTREMES[name]
    raw = make(valid_label_bytes)
    FUZZED["extreme label file"] += 1
    result, elapsed, peak = _measure(lambda: parse_label_file(raw, WHERE))
    assert not isinstance(result, BaseException) or isinstance(result, AnnotateError), result
    if isinstance(result, AnnotateError):
        assert_one_line_error(result, WHERE)
        assert not loads, f"{name}: refused: {result}"
    else:
        assert loads, f"{name}: loaded but should have been refused"
        assert isinstance(result, LabelFile)
    assert elapsed < max_seconds, f"{name}: {elapsed:.1f} s"
    assert peak < max_mb, f"{name}: peak {peak:.0f} MB of Python memory"


# --------------------------------------------------------------------------- label files: validate and open


def _reset(project: Project, path: Path, raw: bytes) -> None:
    for extra in (journal_path(path), cache_path(path)):
        extra.unlink(missing_ok=True)
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        tmp.unlink()
    path.write_bytes(raw)


def _no_temp_files(path: Path) -> None:
    assert not list(path.parent.glob("*.tmp")), "a temporary file was left behind"


def _validate_and_open(project: Project, path: Path, raw: bytes, runner: CliRunner) -> None:
    """``annotate validate`` on the file, then ``LabelSession.open``: one-line errors, the file never rewritten."""
    _reset(project, path, raw)
    FUZZED["annotate validate + open"] += 1
    with time_limit():
        result = runner.invoke(main, ["--root", str(project.root), "validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    for line in result.stdout.splitlines():
        assert line.startswith(f"{WHERE}:") or line.startswith("schemas/"), line
    if result.exit_code == 1:
        assert len(result.stdout.splitlines()) == 1, result.stdout
    assert path.read_bytes() == raw, "annotate validate changed the file"
    _no_temp_files(path)

    labels_before = None
    with contextlib.suppress(AnnotateError):
        labels_before = parse_label_file(raw, WHERE)
    tagset = project.tagset()
    session = None
    with time_limit():
        try:
            session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
        except AnnotateError as exc:
            assert_one_line_error(exc, WHERE)
    try:
        if session is None or session.report is None:
            assert path.read_bytes() == raw, "opening changed (or refused and changed) the file"
        else:  # the source hash differed: re-anchored and saved; nothing may be lost
            assert labels_before is not None
            saved = parse_label_file(path.read_bytes(), WHERE)
            kept = saved.labeled + sum(1 for o in saved.orphans if o.label is not None)
            assert kept >= labels_before.labeled + sum(1 for o in labels_before.orphans if o.label is not None)
        if session is not None:
            assert result.exit_code == 0 or session.report is not None, (
                f"validate refused a file the session opened: {result.stdout}")
    finally:
        if session is not None:
            session.close()
    _no_temp_files(path)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=st.data())
def test_damaged_label_files_through_validate_and_open(fuzz_project: Project, valid_label_bytes: bytes,
                                                       data: st.DataObject) -> None:
    path = fuzz_project.label_path(SEED_ID, "alice")
    raw = data.draw(damaged(valid_label_bytes))
    try:
        _validate_and_open(fuzz_project, path, raw, CliRunner())
    finally:
        _reset(fuzz_project, path, valid_label_bytes)


@pytest.mark.parametrize("name", ["sentences_empty", "bomb", "deep_flow", "deep_block", "conflict_markers", "version_2",
                                  "sentences_null", "duplicate_label", "merge_override", "crlf", "bom",
                                  "unicode_escapes", "brackets_in_strings", "tabs", "empty"])
def test_structural_variants_through_validate_and_open(fuzz_project: Project, valid_label_bytes: bytes,
                                                       name: str) -> None:
    path = fuzz_project.label_path(SEED_ID, "alice")
    raw = structural_variants(valid_label_bytes)[name](valid_label_bytes)
    try:
        _validate_and_open(fuzz_project, path, raw, CliRunner())
    finally:
        _reset(fuzz_project, path, valid_label_bytes)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(journal=st.lists(st.one_of(
    st.fixed_dictionaries({"i": st.integers(-2, 40), "s": st.integers(-1, 400), "e": st.integers(0, 500),
                           "f": st.dictionaries(st.sampled_from(SENTENCE_KEYS), st.sampled_from(WRONG_VALUES),
                                                max_size=3)}).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=40)), max_size=5))
def test_damaged_journals_never_produce_an_invalid_file(fuzz_project: Project, valid_label_bytes: bytes,
                                                        journal: list[bytes]) -> None:
    """A journal line with wrong types (hand-made, or bytes gone bad) is skipped, never folded into the YAML."""
    path = fuzz_project.label_path(SEED_ID, "alice")
    _reset(fuzz_project, path, valid_label_bytes)
    journal_path(path).write_bytes(b"\n".join(journal))
    FUZZED["journal"] += 1
    try:
        with time_limit():
            try:
                session = LabelSession.open(fuzz_project, fuzz_project.document(SEED_ID), "alice",
                                            fuzz_project.tagset())
            except AnnotateError as exc:
                assert_one_line_error(exc, WHERE)
                assert path.read_bytes() == valid_label_bytes
            else:
                session.close()
                saved = parse_label_file(path.read_bytes(), WHERE)  # whatever was applied is valid
                assert_valid_label_model(saved)
                check_against(saved, WHERE, fuzz_project.tagset(), fuzz_project.read_source(
                    fuzz_project.document(SEED_ID)).text)
    finally:
        _reset(fuzz_project, path, valid_label_bytes)


def test_a_lone_surrogate_in_the_journal_is_skipped(fuzz_project: Project, valid_label_bytes: bytes) -> None:
    """JSON can carry "\\ud800"; YAML cannot: such a line must not be folded into a file nobody can read."""
    path = fuzz_project.label_path(SEED_ID, "alice")
    _reset(fuzz_project, path, valid_label_bytes)
    labels = parse_label_file(valid_label_bytes, WHERE)
    s = labels.sentences[5]
    journal_path(path).write_bytes(json.dumps({"i": 5, "s": s.start, "e": s.end,
                                               "f": {"note": "\ud800", "label": "fact"}}).encode() + b"\n")
    try:
        session = LabelSession.open(fuzz_project, fuzz_project.document(SEED_ID), "alice", fuzz_project.tagset())
        session.close()
        assert parse_label_file(path.read_bytes(), WHERE).sentences[5].note is None
    finally:
        _reset(fuzz_project, path, valid_label_bytes)


# --------------------------------------------------------------------------- tagsets


def load_tagset_bytes(tmp: Path, raw: bytes) -> Tagset | None:
    FUZZED["tagset"] += 1
    tmp.write_bytes(raw)
    with time_limit():
        try:
            tagset = load_tagset(tmp, display=TAGSET_WHERE)
        except AnnotateError as exc:
            assert_one_line_error(exc, TAGSET_WHERE)
            return None
    assert isinstance(tagset, Tagset)
    again = Tagset.model_validate(tagset.model_dump())
    assert again.names == tagset.names and len(set(tagset.names)) == len(tagset.names)
    keys = tagset.keymap()
    assert set(keys.values()) <= set(tagset.names)
    return tagset


def tagset_variants(raw: bytes) -> dict[str, bytes]:
    return {
        "duplicate name": raw.replace(b"- name: speculation", b"- name: fact", 1),
        "reserved key": raw.replace(b"key: f", b"key: j", 1),
        "two-letter key": raw.replace(b"key: f", b"key: ff", 1),
        "clashing key": raw.replace(b"key: s", b"key: f", 1),
        "bad colour": raw.replace(b'color: "#4e9a06"', b"color: not-a-colour", 1),
        "no labels": raw.split(b"labels:", 1)[0] + b"labels: []\n",
        "labels null": raw.split(b"labels:", 1)[0] + b"labels: null\n",
        "label is a string": raw.split(b"labels:", 1)[0] + b"labels:\n- fact\n",
        "upper-case name": raw.replace(b"- name: fact", b"- name: Fact", 1),
        "bomb": raw + BOMB.replace(b"a:", b"lol_a:", 1),
        "deep": raw + b"deep: " + b"[" * 100_000,
        "crlf": raw.replace(b"\n", b"\r\n"),
        "bom": b"\xef\xbb\xbf" + raw,
        "tabs": raw.replace(b"\n  ", b"\n\t", 2),
        "empty": b"",
        "a list": b"- fact\n",
        "aliases": raw.replace(b"- name: fact\n", b"- &f\n  name: fact\n", 1) + b"more: *f\n",
        "merge": raw.replace(b"- name: fact\n", b"- <<: {name: fact, definition: merged}\n", 1),
        "twelve labels": raw + b"".join(
            b"- name: extra%d\n  definition: more\n" % i for i in range(8)),
    }


@FUZZ
@given(data=st.data())
def test_damaged_tagsets_load_or_fail_on_one_line(valid_tagset_bytes: bytes, tmp_path_factory: pytest.TempPathFactory,
                                                  data: st.DataObject) -> None:
    tmp = tmp_path_factory.getbasetemp() / "fuzzed-tagset.yaml"
    load_tagset_bytes(tmp, data.draw(damaged(valid_tagset_bytes, with_data=False)))


@pytest.mark.parametrize("name", sorted(tagset_variants(b"")))
def test_every_tagset_variant(valid_tagset_bytes: bytes, tmp_path: Path, name: str) -> None:
    raw = tagset_variants(valid_tagset_bytes)[name]
    tagset = load_tagset_bytes(tmp_path / "t.yaml", raw)
    if name in ("crlf", "bom", "twelve labels", "merge"):
        assert tagset is not None, name
    if name in ("duplicate name", "reserved key", "two-letter key", "clashing key", "bad colour", "no labels",
                "labels null", "label is a string", "upper-case name", "bomb", "deep", "empty", "a list",
                "aliases"):
        assert tagset is None, name


def test_a_broken_tagset_through_validate_is_one_line(fuzz_project: Project, valid_tagset_bytes: bytes) -> None:
    tagset_file = fuzz_project.schemas / "claim-types.yaml"
    label_file = fuzz_project.label_path(SEED_ID, "alice")
    labels_before = label_file.read_bytes()
    try:
        for name, raw in tagset_variants(valid_tagset_bytes).items():
            tagset_file.write_bytes(raw)
            FUZZED["tagset via validate"] += 1
            result = CliRunner().invoke(main, ["--root", str(fuzz_project.root), "validate"])
            assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
            assert result.exit_code in (0, 1), (name, result.output)
            for line in result.stdout.splitlines():
                assert line.startswith(("schemas/claim-types.yaml", "labels/")), (name, line)
            assert label_file.read_bytes() == labels_before
    finally:
        tagset_file.write_bytes(valid_tagset_bytes)


# --------------------------------------------------------------------------- sources

SOURCE_PIECES = [
    "Hello world. ", "Dr. Smith said so. ", "\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\u2028", "\u2029", "\u0085",
    "\x0b", "\x0c", "\t", "  ", "e\u0301", "n\u0303\u0323", "👩\u200d👩\u200d👧", "🇺🇳", "👍🏽", "שלום עולם. ",
    "مرحبا بالعالم. ", "\u200f", "\u200e", "\u202e", "漢字。", "\ufeff", "\u00a0", "\u3000", '"Quote." ', "? ", "! ",
    "...", "U.S. ", "3.14 ", "e.g. ",
]


def _check_segmentation(text: str) -> list[tuple[int, int]]:
    spans = segment(text)
    prev = 0
    covered = 0
    for s, e in spans:
        assert prev <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        covered += sum(1 for ch in text[s:e] if not ch.isspace())
        prev = e
    assert covered == sum(1 for ch in text if not ch.isspace()), "a character was dropped or doubled"
    return spans


def _read(project: Project, doc_id: str, raw: bytes) -> tuple[Document, str | None]:
    path = project.seeds / f"{doc_id}.txt"
    path.write_bytes(raw)
    doc = Document(doc_id, path)
    FUZZED["source"] += 1
    with time_limit():
        try:
            source = project.read_source(doc)
        except AnnotateError as exc:
            assert_one_line_error(exc, f"seeds/{doc_id}.txt")
            return doc, None
    text = raw.decode("utf-8")
    assert source.text == text.removeprefix("\ufeff")
    return doc, source.text


@FUZZ
@given(parts=st.lists(st.one_of(st.sampled_from(SOURCE_PIECES), st.text(max_size=12)), max_size=30),
       bom=st.booleans())
def test_any_text_source_segments_and_round_trips(fuzz_project: Project, parts: list[str], bom: bool) -> None:
    """Any UTF-8 text: offsets slice back exactly, and the label file made from it validates against it."""
    raw = ("\ufeff" if bom else "").encode() + "".join(parts).encode("utf-8")
    doc, text = _read(fuzz_project, "fuzzed-source", raw)
    if text is None:  # refused: only whitespace (Unicode's too) or NUL bytes
        assert not raw.decode("utf-8").removeprefix("\ufeff").strip() or b"\x00" in raw
        return
    with time_limit():
        spans = _check_segmentation(text)
    source = fuzz_project.read_source(doc)
    labels = new_label_file(doc, source, "alice", "claim-types", spans, fuzz_project)
    for s in labels.sentences[::2]:
        s.label = "fact"
    reread = parse_label_file(dump_label_file(labels).encode("utf-8"), "labels/fuzzed-source/alice.yaml")
    check_against(reread, "labels/fuzzed-source/alice.yaml", fuzz_project.tagset(), text)
    assert [(s.start, s.end, s.text, s.label) for s in reread.sentences] == [
        (s.start, s.end, s.text, s.label) for s in labels.sentences]


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.sampled_from([
    b"", b" ", b"\n\n\n", b" \t\r\n\x0b\x0c", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n", b"\x00", b"abc\x00def",
    b"\xff\xfe", b"\xfe\xff", b"caf\xe9", b"\xc3", b"\xed\xa0\x80", b"\x89PNG\r\n\x1a\n\x00\x00",
    "h\u00e9llo".encode("utf-16"), b"\xf4\x90\x80\x80"])))
def test_any_bytes_source_reads_or_fails_on_one_line(fuzz_project: Project, raw: bytes) -> None:
    _doc, text = _read(fuzz_project, "fuzzed-bytes", raw)
    if text is not None:
        with time_limit():
            _check_segmentation(text)


SPECIAL_SOURCES = {
    "empty": b"",
    "whitespace only": b"  \n\t\r\n \n",
    "unicode whitespace only": " \u2028\u2029\u3000\u00a0\u0085\n".encode(),
    "bom only": b"\xef\xbb\xbf",
    "binary": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
    "latin-1": "Café au lait. Très bien.".encode("latin-1"),
    "utf-16": "Hello. World.".encode("utf-16"),
    "mixed line endings": b"One line.\r\nTwo line.\rThree line.\nFour.\r\n\r\nNew paragraph.\n\rOdd.",
    "line and paragraph separators": "First.\u2028Second line.\u2029Third paragraph. Fourth.\u2029\u2029Fifth."
    .encode(),
    "combining characters": "Cafe\u0301 is open. Zal\u0327\u0300go\u0361 te\u0336xt. Done.".encode(),
    "emoji": "We 👩\u200d👩\u200d👧 love it 👍🏽. Flags 🇺🇳🇫🇷 too! Really? 🤔 Yes.".encode(),
    "right to left": "שלום עולם. זה משפט שני. مرحبا بالعالم. هذه جملة ثانية. Mixed עברית and English.".encode(),
    "bidi controls": "Abc \u202edef\u202c. Next \u200fsentence\u200e here.".encode(),
    "bom": "\ufeffHeadline\n\nBody sentence one. Body sentence two.".encode(),
    "nul later": b"word " * 14000 + b"\x00 end.",
}


@pytest.mark.parametrize("name", sorted(SPECIAL_SOURCES))
def test_special_sources_read_segment_and_validate(fuzz_project: Project, name: str) -> None:
    raw = SPECIAL_SOURCES[name]
    doc_id = "special-" + name.replace(" ", "-")
    doc, text = _read(fuzz_project, doc_id, raw)
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(fuzz_project.root), "segment", doc_id, "--json"])
    if text is None:
        assert name in ("empty", "whitespace only", "unicode whitespace only", "bom only", "binary", "latin-1",
                        "utf-16")
        assert result.exit_code == 2
        assert result.stderr.startswith(f"annotate: seeds/{doc_id}.txt:") and result.stderr.count("\n") == 1
        return
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    _check_segmentation(text)
    # a label session on it, labeled and saved, validates against the source
    session = LabelSession.open(fuzz_project, doc, "alice", fuzz_project.tagset())
    try:
        for i in range(0, len(session.sentences), 2):
            session.change(i, label="quote")
    finally:
        session.close()
    label_path = fuzz_project.label_path(doc_id, "alice")
    result = runner.invoke(main, ["--root", str(fuzz_project.root), "validate", str(label_path)])
    assert result.exit_code == 0, result.output
    saved = parse_label_file(label_path.read_bytes(), "x")
    assert all(text[s.start:s.end] == s.text for s in saved.sentences)


def _big_text(size: int, sep: str = " ") -> str:
    unit = "The minister said the talks would resume on Monday." + sep
    return unit * (size // len(unit) + 1)


@pytest.fixture(scope="module")
def big_source(fuzz_project: Project) -> Document:
    """A 50 MB source: many paragraphs of ordinary sentences."""
    path = fuzz_project.seeds / "big-50mb.txt"
    para = _big_text(2000) + "\n\n"
    path.write_text(para * (50_000_000 // len(para) + 1), encoding="utf-8")
    return Document("big-50mb", path)


def test_a_50_mb_source_reads_and_starts_segmenting_in_bounded_time(fuzz_project: Project,
                                                                    big_source: Document) -> None:
    """read_source and the first sentences are quick; opening without segmenting says it must segment first."""
    assert big_source.path.stat().st_size >= 50_000_000
    FUZZED["source"] += 1
    start = time.perf_counter()
    with time_limit():
        source = fuzz_project.read_source(big_source)
        first = list(itertools.islice(iter_segment(source.text), 100))
    assert time.perf_counter() - start < 15
    assert len(first) == 100 and all(source.text[s:e].startswith("The minister") for s, e in first)
    with pytest.raises(NeedsSegmentation):
        LabelSession.open(fuzz_project, big_source, "alice", fuzz_project.tagset(), progress=False)
    LabelLock(fuzz_project.label_path(big_source.id, "alice")).acquire_and_release()  # the lock was released
    assert not fuzz_project.label_path(big_source.id, "alice").exists()


def test_a_1_mb_single_line_reads_and_starts_segmenting(fuzz_project: Project) -> None:
    for name, text in {"sentences": _big_text(1_000_000).strip(), "one word": "x" * 1_000_000,
                       "no spaces": "a.b" * 333_334}.items():
        doc, read = _read(fuzz_project, f"line-{name.replace(' ', '-')}", text.encode())
        assert read == text and "\n" not in read
        start = time.perf_counter()
        with time_limit():
            first = list(itertools.islice(iter_segment(read), 20))
        assert time.perf_counter() - start < 15, name
        assert first and all(not read[s].isspace() and not read[e - 1].isspace() for s, e in first)
        assert first[0][0] == 0


@pytest.mark.skipif(not SLOW, reason="full segmentation of 50 MB takes many minutes; set ANNOTATE_SLOW_TESTS=1")
@pytest.mark.slow
def test_segmenting_a_50_mb_source_finishes(fuzz_project: Project, big_source: Document) -> None:
    import subprocess

    limit = float(os.environ.get("ANNOTATE_SLOW_TIMEOUT", "3600"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "annotate", "--root", str(fuzz_project.root), "segment",
                           big_source.id], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=limit)
    assert proc.returncode == 0, proc.stderr
    assert "sentences in big-50mb" in proc.stderr
    print(f"segmented 50 MB in {time.perf_counter() - start:.0f} s")


@pytest.mark.skipif(not SLOW, reason="full segmentation of a 1 MB line takes about 10-30 s; set ANNOTATE_SLOW_TESTS=1")
@pytest.mark.slow
def test_segmenting_a_1_mb_line_finishes_and_covers_everything() -> None:
    text = _big_text(1_000_000).strip()
    with time_limit(300):
        _check_segmentation(text)


def test_gold_name_is_not_special_for_parsing(valid_label_bytes: bytes) -> None:
    """A gold file parses like any other (its extra fields are optional)."""
    raw = valid_label_bytes.replace(b"annotator: alice", f"annotator: {GOLD}".encode(), 1)
    raw = raw.replace(b"  label: fact\n", b"  label: fact\n  reviewer: bob\n  annotator_labels: {alice: fact}\n", 1)
    labels = load_label_bytes(raw)
    assert labels is not None and labels.sentences[0].reviewer == "bob"


# --------------------------------------------------------------------------- a pulled project: paths and links


PULLED_LINKS = [
    "seeds/pulled.txt", f"seeds/{SEED_ID}.txt", "seeds/deep/pulled.txt", "labels/pulled", f"labels/{SEED_ID}",
    f"labels/{SEED_ID}/alice.yaml", f"labels/{SEED_ID}/bob.yaml", f"labels/{SEED_ID}/gold.yaml",
    f"labels/{SEED_ID}/.alice.journal", f"labels/{SEED_ID}/.alice.yaml.lock", f"labels/{SEED_ID}/.alice.cache.json",
    f"labels/{SEED_ID}/_suggestions.yaml", ".annotate", ".annotate/cache", "schemas/claim-types.yaml",
    "schemas/labels.schema.json", "schemas",
]
"""Where a pulled project may hold a symbolic link."""

LINK_TARGETS = ["outside/secret.txt", "outside/folder", "outside/missing", "outside", "outside/home/.ssh/id_rsa",
                f"proj/seeds/{SEED_ID}.txt", f"proj/labels/{SEED_ID}/bob.yaml", "proj/labels", "/"]
"""What it may point at (relative to the area holding the project and the folder outside it)."""

PATH_VALUES = st.one_of(st.sampled_from([
    "{secret}", "../../../outside/secret.txt", "seeds/../../outside/secret.txt", "~/.ssh/id_rsa", "/etc/passwd",
    f"seeds/{SEED_ID}.txt", "seeds/pulled.txt", "pulled", "../outside/folder", "labels/pulled/alice.yaml",
    f"./seeds/{SEED_ID}.txt", f"seeds//{SEED_ID}.txt", "outside/secret", "..", "", "\\..\\..\\secret.txt",
]), st.text(max_size=20))


@pytest.fixture(scope="module")
def pulled_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with alice's and bob's label files and a second document, copied for every example."""
    project = make_project(tmp_path_factory.mktemp("pulled") / "proj")
    (project.seeds / "pulled.txt").write_text("A second document. It has two sentences.\n", encoding="utf-8")
    start_labels(project, annotator="bob", label="fact")
    start_labels(project, label="quote")
    return project.root


def _pulled_area(base: Path, tmp: Path) -> tuple[Project, Path]:
    shutil.copytree(base, tmp / "proj", symlinks=True)
    outside = tmp / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "folder" / "alice.yaml").write_text(SECRET + "\n")
    (outside / "home" / ".ssh").mkdir(parents=True)
    (outside / "home" / ".ssh" / "id_rsa").write_text(SECRET + "\n")
    return Project(tmp / "proj"), outside


def _set_value(path: Path, key: str, value: str) -> None:
    from annotate.yamlio import quote

    with contextlib.suppress(OSError):  # the file may itself have become a link or a folder
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [f"{key}: {quote(value)}" if line.startswith(f"{key}:") else line for line in lines]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _make_link(project: Project, tmp: Path, place: str, target: str, relative: bool) -> None:
    link = project.root / place
    goal = Path(target) if target.startswith("/") else tmp / target
    with contextlib.suppress(OSError):
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(goal, link.parent) if relative and not target.startswith("/") else goal, link)


def _every_command(project: Project, exports: Path) -> None:
    root = ["--root", str(project.root)]
    runner = CliRunner()
    for args in (["validate"], ["validate", "--fix"], ["status", "--json"], ["agreement", "--json"],
                 ["export", "--out", str(exports)], ["suggest", "--no-print"], ["segment", SEED_ID, "--json"],
                 ["segment", "pulled"], ["schemas"], ["suggest", "--with", "model", SEED_ID]):
        result = runner.invoke(main, root + args)
        assert result.exit_code in (0, 1, 2), (args, result.output, result.exception)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
    for name in ("alice", "carol"):  # as the labeling screen opens a file (it shows these errors)
        with contextlib.suppress(AnnotateError, OSError):
            session = LabelSession.open(project, project.document(SEED_ID), name, project.tagset())
            try:
                session.change(1, label="fact")
            finally:
                session.close()


@settings(FUZZ, max_examples=max(10, EXAMPLES // 5), deadline=None)
@given(source=PATH_VALUES, document=PATH_VALUES,
       links=st.lists(st.tuples(st.sampled_from(PULLED_LINKS), st.sampled_from(LINK_TARGETS), st.booleans()),
                      max_size=3, unique_by=lambda t: t[0]))
def test_a_pulled_project_never_reaches_outside_its_root(pulled_base: Path, tmp_path_factory: pytest.TempPathFactory,
                                                         source: str, document: str,
                                                         links: list[tuple[str, str, bool]]) -> None:
    FUZZED["pulled project"] += 1
    tmp = tmp_path_factory.mktemp("area")
    project, outside = _pulled_area(pulled_base, tmp)
    alice = project.label_path(SEED_ID, "alice")
    _set_value(alice, "source", source.replace("{secret}", str(outside / "secret.txt")))
    _set_value(alice, "document", document)
    for place, target, relative in links:
        _make_link(project, tmp, place, target, relative)
    before, sources = snapshot(outside), snapshot(project.seeds) if project.seeds.is_dir() else {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(outside / "home"))
        opened = Opened(mp)
        with time_limit(60):
            _every_command(project, tmp / "exports")
    allowed = set(opened.under(project.root)) | set(opened.under(tmp / "exports"))
    strays = [p for p in opened.under(tmp) if p not in allowed]
    assert strays == [], f"opened outside the project: {strays} (links {links})"
    assert snapshot(outside) == before, f"written outside the project (links {links})"
    assert (snapshot(project.seeds) if project.seeds.is_dir() else {}) == sources, "a source was written"

