"""The label file and tagset formats: what loads, what is refused and how, and the JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import MINIMAL_TAGSET, REPO, minimal_label_file

from annotate.cli import main
from annotate.errors import AnnotateError
from annotate.models import Tagset, json_schemas
from annotate.store import load_tagset, parse_label_file

SHA = "5b1e" + "0" * 60

# Only the keys DESIGN.md documents; the second sentence has no label key at all.
HAND_WRITTEN = f"""\
# yaml-language-server: $schema=../../schemas/labels.schema.json
version: 1
document: kim-visits-beijing          # doc id
source: seeds/kim-visits-beijing.txt  # relative to the project root
source_sha256: {SHA}
annotator: alice
scheme: claim-types                   # tagset name
sentences:
- start: 0
  end: 58
  text: North Korea's Kim Visits Beijing Amid US-China Trade Talks
  label: fact
- start: 61
  end: 70
  text: North Kor
- start: 71
  end: 80
  text: ean leade
  label: null
- start: 81
  end: 90
  text: r Kim Jon
  label: speculation
  unsure: true                        # optional
  note: hedged by "was expected to"   # optional
  seconds: 4.2                        # optional: time spent on it
"""


def parse(text: str, where: str = "labels/doc/alice.yaml"):
    return parse_label_file(text.encode("utf-8"), where)


def refused(text: str) -> AnnotateError:
    with pytest.raises(AnnotateError) as info:
        parse(text)
    assert "\n" not in str(info.value)
    return info.value


# --------------------------------------------------------------------------- label file


def test_hand_written_file_with_only_documented_keys_loads() -> None:
    labels = parse(HAND_WRITTEN)
    assert labels.document == "kim-visits-beijing"
    assert labels.source_sha256 == SHA
    assert [s.label for s in labels.sentences] == ["fact", None, None, "speculation"]
    last = labels.sentences[3]
    assert last.unsure is True
    assert last.note == 'hedged by "was expected to"'
    assert last.seconds == 4.2
    assert labels.sentences[0].text == "North Korea's Kim Visits Beijing Amid US-China Trade Talks"
    assert labels.labeled == 2 and labels.unsure == 1
    assert labels.orphans == []


def test_extra_keys_are_allowed_and_survive_save_and_load(tmp_path: Path) -> None:
    from annotate.store import read_label_file, save_label_file

    text = HAND_WRITTEN.replace(
        "annotator: alice\n", "annotator: alice\nreviewed: no\nbatch: 7\nqa: null\n"
    )
    text = text.replace(
        "  label: fact\n", "  label: fact\n  confidence: 0.75\n  tags: [a, b]\n  flagged: null\n"
    )
    labels = parse(text)
    assert labels.model_extra == {"reviewed": False, "batch": 7, "qa": None}
    path = tmp_path / "alice.yaml"
    save_label_file(path, labels)
    back, _ = read_label_file(path)
    assert back == labels
    extra = {"confidence": 0.75, "tags": ["a", "b"], "flagged": None}  # the null is kept too
    assert back.sentences[0].model_extra == extra
    assert back.model_extra == {"reviewed": False, "batch": 7, "qa": None}


def test_future_format_version_is_a_clear_error() -> None:
    err = refused(HAND_WRITTEN.replace("version: 1", "version: 2"))
    assert err.line == 2
    assert "version" in err.message and "2" in err.message and "upgrade" in err.message


@pytest.mark.parametrize("version", ["0", "-1"])
def test_nonexistent_format_versions_are_refused(version: str) -> None:
    err = refused(HAND_WRITTEN.replace("version: 1", f"version: {version}"))
    assert "version" in err.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("- start: 0\n  end: 58", "- start: 58\n  end: 10", "sentences[0]"),  # reversed
        ("- start: 61\n  end: 70", "- start: 61\n  end: 61", "sentences[1]"),  # empty
        ("- start: 71\n  end: 80", "- start: 65\n  end: 80", "sentences[2]"),  # overlaps
        ("- start: 71\n  end: 80", "- start: 0\n  end: 80", "sentences[2]"),  # precedes
        ("- start: 0\n  end: 58", "- start: -3\n  end: 58", "sentences[0].start"),  # negative
    ],
)
def test_bad_spans_are_errors_naming_the_sentence_and_its_line(old: str, new: str,
                                                               field: str) -> None:
    text = HAND_WRITTEN.replace(old, new)
    assert text != HAND_WRITTEN
    err = refused(text)
    assert err.message.startswith(field)
    item = int(field.split("[")[1].split("]")[0])
    # The line of the item's "- start:" (items start at lines 9, 13, 16, 20).
    assert err.line == [9, 13, 16, 20][item]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("annotator: alice", "annotator: Alice Smith", "annotator"),
        ("source_sha256: 5b1e", "source_sha256: XYZ", "source_sha256"),
        ("  label: speculation", "  label: [speculation]", "sentences[3].label"),
        ("  seconds: 4.2", "  seconds: -1", "sentences[3].seconds"),
        ("  unsure: true", "  unsure: maybe", "sentences[3].unsure"),
        ("document: kim-visits-beijing", "document: ''", "document"),
        ("scheme: claim-types", "", "scheme"),
    ],
)
def test_schema_errors_name_the_field_and_line(old: str, new: str, field: str) -> None:
    text = HAND_WRITTEN.replace(old, new)
    assert text != HAND_WRITTEN
    err = refused(text)
    assert err.message.startswith(f"{field}:")
    assert err.path == "labels/doc/alice.yaml"
    if field.startswith("sentences[3]"):
        key = field.rsplit(".", 1)[1]
        assert err.line == next(
            n for n, line in enumerate(text.splitlines(), 1) if line.startswith(f"  {key}:")
            and n > 20
        )
    elif field == "scheme":
        assert "missing" in err.message
    else:
        assert err.line == next(
            n for n, line in enumerate(text.splitlines(), 1) if line.startswith(f"{field}:")
        )


def test_unsure_false_and_unset_optionals_are_left_out_of_the_file() -> None:
    from annotate.store import dump_label_file

    labels = minimal_label_file()
    labels.sentences[0].unsure = False
    text = dump_label_file(labels)
    assert "unsure: false" not in text
    assert "note: null" not in text and "seconds" not in text and "orphans" not in text
    # an unlabeled sentence still says so explicitly
    assert text.count("label: null") == 1


# --------------------------------------------------------------------------- tagset


def tagset_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claim-types.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def tagset_error(tmp_path: Path, text: str) -> AnnotateError:
    path = tagset_file(tmp_path, text)
    assert text != MINIMAL_TAGSET
    with pytest.raises(AnnotateError) as info:
        load_tagset(path, display="schemas/claim-types.yaml")
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith("schemas/claim-types.yaml:")
    return err


def test_minimal_tagset_loads_with_keys_and_digits(tmp_path: Path) -> None:
    tagset = load_tagset(tagset_file(tmp_path, MINIMAL_TAGSET))
    assert tagset.names == ["fact", "speculation", "quote", "opinion"]
    assert tagset.keymap() == {
        "1": "fact", "2": "speculation", "3": "quote", "4": "opinion",
        "f": "fact", "s": "speculation", "q": "quote", "o": "opinion",
    }


def test_tagset_key_clash_names_both_labels_and_the_line(tmp_path: Path) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("key: q", "key: f"))
    assert err.message.startswith("labels[2]")
    assert "'f'" in err.message and "quote" in err.message and "fact" in err.message
    lines = MINIMAL_TAGSET.splitlines()
    assert err.line == lines.index("- name: quote") + 1


@pytest.mark.parametrize("key", sorted("gjknu"))
def test_reserved_keys_are_refused(tmp_path: Path, key: str) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("key: s", f"key: {key}"))
    assert err.message.startswith("labels[1].key")
    assert "reserved" in err.message
    assert err.line == MINIMAL_TAGSET.splitlines().index("  key: s") + 1


@pytest.mark.parametrize("key", ["'1'", "F", "ff", "'-'", "é"])
def test_non_letter_keys_are_refused(tmp_path: Path, key: str) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("key: s", f"key: {key}"))
    assert err.message.startswith("labels[1].key")
    assert "letter" in err.message


def test_bad_colour_is_refused(tmp_path: Path) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("color: cyan", "color: blurple"))
    assert err.message.startswith("labels[2].color")
    assert "blurple" in err.message


def test_duplicate_label_names_are_refused(tmp_path: Path) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("name: opinion", "name: fact"))
    assert err.message.startswith("labels[3]")
    assert "'fact'" in err.message and "twice" in err.message


def test_bad_label_name_and_missing_definition_are_refused(tmp_path: Path) -> None:
    err = tagset_error(tmp_path, MINIMAL_TAGSET.replace("name: quote", "name: Quote Mark"))
    assert err.message.startswith("labels[2].name")
    err = tagset_error(
        tmp_path, MINIMAL_TAGSET.replace("  definition: Words attributed to someone.\n", "")
    )
    assert err.message.startswith("labels[2].definition")
    assert "missing" in err.message


SUGGEST_SECTION = "  definition: Words attributed to someone.\n"


@pytest.mark.parametrize(("section", "field", "needle"), [
    ("  suggest:\n    cues: may\n", "labels[2].suggest.cues", "valid list"),
    ("  suggest:\n    cues: [said, '  ']\n", "labels[2].suggest.cues", "cue 2 is empty"),
    ("  suggest:\n    cues: [said, 3]\n", "labels[2].suggest.cues[1]", "valid string"),
    ("  suggest:\n    needs_quotation_marks: sometimes\n", "labels[2].suggest.needs_quotation_marks",
     "true or false"),
    ("  suggest:\n    questions: 1\n", "labels[2].suggest.questions", "true or false"),
    ("  suggest:\n    priority: high\n", "labels[2].suggest.priority", "must be a number"),
    ("  suggest:\n    priority: true\n", "labels[2].suggest.priority", "must be a number"),
    ("  suggest:\n    priority: .nan\n", "labels[2].suggest.priority", "must be a number"),
    ("  suggest:\n    cue: [said]\n", "labels[2].suggest.cue", "Extra inputs are not permitted"),
    ("  suggest: [said, told]\n", "labels[2].suggest", "valid dictionary"),
])
def test_the_suggest_section_is_checked_when_the_tagset_loads(tmp_path: Path, section: str, field: str,
                                                              needle: str) -> None:
    text = MINIMAL_TAGSET.replace(SUGGEST_SECTION, SUGGEST_SECTION + section)
    err = tagset_error(tmp_path, text)
    assert err.message.startswith(field + ":"), err.message
    assert needle in err.message
    assert err.line == text.splitlines().index(section.splitlines()[-1]) + 1  # the line of the mistake


def test_a_good_suggest_section_loads_typed_and_survives_the_cache(tmp_path: Path) -> None:
    section = "  suggest:\n    cues: [said, according to]\n    needs_quotation_marks: true\n    priority: 1.5\n"
    path = tagset_file(tmp_path, MINIMAL_TAGSET.replace(SUGGEST_SECTION, SUGGEST_SECTION + section))
    cache = tmp_path / "cache"
    for _ in range(2):  # validated, then read back from the cache
        quote = load_tagset(path, cache_dir=cache).label("quote")
        assert quote is not None and quote.suggest is not None
        assert quote.suggest.cues == ["said", "according to"] and quote.suggest.needs_quotation_marks is True
        assert quote.suggest.priority == 1.5 and quote.suggest.questions is None  # unset: the tagset's default
    assert list(cache.iterdir())


def test_a_validated_tagset_is_read_back_from_the_cache_without_validation(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tagset_file(tmp_path, MINIMAL_TAGSET + "extra_key: kept\n")
    cache = tmp_path / "cache"
    first = load_tagset(path, cache_dir=cache)
    assert len(list(cache.glob("tagset-*.json"))) == 1

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(Tagset, "model_validate", no_validation)
    again = load_tagset(path, cache_dir=cache)
    assert again == first
    assert again.keymap() == first.keymap() and again.labels[2].color == "cyan"
    assert again.model_extra == {"extra_key": "kept"}


def test_an_edited_tagset_is_validated_again_and_replaces_its_cache_entry(tmp_path: Path) -> None:
    path = tagset_file(tmp_path, MINIMAL_TAGSET)
    cache = tmp_path / "cache"
    load_tagset(path, cache_dir=cache)
    path.write_text(MINIMAL_TAGSET.replace("key: q", "key: f"), encoding="utf-8")
    with pytest.raises(AnnotateError, match="clashes"):
        load_tagset(path, display="schemas/claim-types.yaml", cache_dir=cache)
    path.write_text(MINIMAL_TAGSET.replace("color: cyan", "color: red"), encoding="utf-8")
    assert load_tagset(path, cache_dir=cache).labels[2].color == "red"
    assert len(list(cache.glob("tagset-*.json"))) == 1


@pytest.mark.parametrize("damage", ["not json", '{"sha256": 1}', "[]", '{"sha256": "x", "annotate": "0", "data": {}}'])
def test_a_damaged_or_foreign_cache_entry_means_validating_again(tmp_path: Path, damage: str) -> None:
    path = tagset_file(tmp_path, MINIMAL_TAGSET)
    cache = tmp_path / "cache"
    expected = load_tagset(path, cache_dir=cache)
    (entry,) = cache.glob("tagset-*.json")
    entry.write_text(damage, encoding="utf-8")
    assert load_tagset(path, cache_dir=cache) == expected
    assert json.loads(entry.read_text(encoding="utf-8"))["data"]["name"] == expected.name  # rewritten


def test_a_cache_from_another_annotate_version_is_not_used(tmp_path: Path) -> None:
    path = tagset_file(tmp_path, MINIMAL_TAGSET)
    cache = tmp_path / "cache"
    load_tagset(path, cache_dir=cache)
    (entry,) = cache.glob("tagset-*.json")
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["annotate"], data["data"]["name"] = "0.0.0", "stale"
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert load_tagset(path, cache_dir=cache).name != "stale"


def test_an_unwritable_cache_folder_still_loads(tmp_path: Path) -> None:
    path = tagset_file(tmp_path, MINIMAL_TAGSET)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder would be", encoding="utf-8")
    assert load_tagset(path, cache_dir=blocker).names == ["fact", "speculation", "quote", "opinion"]


def test_more_than_nine_labels_are_allowed_but_only_nine_get_digits() -> None:
    labels = [{"name": f"l{i}", "definition": "d"} for i in range(12)]
    labels[11]["key"] = "z"
    tagset = Tagset(name="many", version=1, labels=labels)
    keys = tagset.keymap()
    assert [keys[str(d)] for d in range(1, 10)] == [f"l{i}" for i in range(9)]
    assert "10" not in keys and "0" not in keys
    assert keys["z"] == "l11"
    assert len(tagset.names) == 12


# --------------------------------------------------------------------------- JSON Schemas


@pytest.mark.parametrize("name", ["labels.schema.json", "tagset.schema.json"])
def test_committed_json_schemas_match_the_models(name: str) -> None:
    committed = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    assert json_schemas()[name] == committed, f"schemas/{name} is stale: run `annotate schemas`"


def test_schemas_check_command_passes_on_the_repo() -> None:
    result = CliRunner().invoke(main, ["--root", str(REPO), "schemas", "--check"])
    assert result.exit_code == 0, result.output


def test_schemas_check_command_fails_on_a_stale_schema(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "labels.schema.json").write_text("{}\n")
    result = CliRunner().invoke(main, ["--root", str(tmp_path), "schemas", "--check"])
    assert result.exit_code == 1
    assert "labels.schema.json" in result.stderr


def test_hand_written_file_validates_against_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "schemas" / "labels.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load(HAND_WRITTEN)
    jsonschema.validate(data, schema)
    data["sentences"][0]["start"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
