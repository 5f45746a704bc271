"""Suggestions: cue rules (each cue type, the reported cue), the model (learns, grouped CV), files and CLI."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import HEADLINE, SEED_ID, write_source

from annotate.errors import AnnotateError
from annotate.models import Tagset
from annotate.session import LabelSession
from annotate.store import Project, load_tagset
from annotate.suggest import (
    Corpus,
    ModelSuggester,
    RulesSuggester,
    Suggestion,
    collect_examples,
    cross_validate,
    load_suggestions,
    make_pipeline,
    quoted_spans,
    suggest_document,
    suggestions_path,
    write_suggestions,
)
from annotate.suggest.model import rows

REPO = Path(__file__).resolve().parent.parent


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(main_cli(), ["--root", str(project.root), *args])


def main_cli():
    from annotate.cli import main

    return main


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("annotate: ") and "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def rules(tagset: Tagset) -> RulesSuggester:
    return RulesSuggester(tagset)


def check(rules: RulesSuggester, text: str, label: str, cue: str | None = None, before: str | None = None,
          after: str | None = None) -> Suggestion:
    sug = rules.suggest(text, before, after)
    assert sug.label == label, (text, sug)
    if cue is not None:
        assert sug.cue == cue, (text, sug)
    assert sug.agent == "rules 1"
    assert 0 < sug.score <= 0.9
    return sug


# --------------------------------------------------------------------------- rules: each cue type


@pytest.mark.parametrize(("text", "cue"), [
    ('"We will not accept these terms," the minister said.', "said + quotation marks"),
    ('According to the statement, the talks were "frank and constructive".', "according to + quotation marks"),
    ('"Prices will keep rising for months to come," the economist tweeted on Monday.',
     "tweeted + quotation marks"),
    ("“We will win this fight and nobody can stop us,” she told reporters.", "told + quotation marks"),
    ("„Wir werden das schaffen und zwar schnell“, wrote the chancellor.", "wrote + quotation marks"),
])
def test_quote_needs_marks_and_attribution(rules: RulesSuggester, text: str, cue: str) -> None:
    sug = check(rules, text, "quote", cue)
    assert sug.score >= 0.6  # marks and a cue in the sentence


def test_quote_attribution_in_a_neighbouring_sentence(rules: RulesSuggester) -> None:
    text = '"We will not back down, whatever the cost to our economy."'
    check(rules, text, "quote", "said (next sentence) + quotation marks",
          after="That is what the minister said on Tuesday.")
    check(rules, text, "quote", "said (previous sentence) + quotation marks",
          before="The minister said the talks had failed.")
    # No attribution anywhere: quotation marks alone are not enough.
    assert rules.suggest(text, "The weather was fine.", "Markets closed higher.").label != "quote"


def test_scare_quotes_and_quotes_inside_cues_do_not_make_a_quote(rules: RulesSuggester) -> None:
    check(rules, 'The US president said last week he had received a "great letter" from the leader.', "fact")
    # the cue must be outside the quotation marks: "said" inside is the speaker's own word
    s = rules.suggest('"He said it was over and that we lost the vote."', "Markets fell.", "Rain is due.")
    assert s.label != "quote"


def test_open_quote_runs_to_the_end(rules: RulesSuggester) -> None:
    assert quoted_spans('He said: "we will') == [(10, 17)]
    assert quoted_spans("and it is over,” she said.") == [(0, 15)]
    check(rules, 'The minister said: "We will fight on the beaches, we will fight on the landing grounds',
          "quote", "said + quotation marks")


@pytest.mark.parametrize(("text", "cue"), [
    ("Officials may announce a deal as early as next week.", "may"),
    ("The visit is believed to be an attempt to coordinate before the summit.", "believed"),
    ("Kim Jong Un was expected to meet the president on Tuesday.", "expected"),
    ("Sources say the merger will be announced on Friday.", "sources say"),
    ("SOURCES   SAY the merger is off.", "sources say"),
    ("It is thought that the bank will cut rates.", "it is thought"),
    ("There is speculation that he asked for advice.", "speculation"),
    ("The company reportedly plans to cut 200 jobs.", "reportedly"),
])
def test_speculation_cues(rules: RulesSuggester, text: str, cue: str) -> None:
    check(rules, text, "speculation", cue)


def test_speculation_cues_are_whole_words(rules: RulesSuggester) -> None:
    check(rules, "Apple blamed fewer-than-expected iPhone upgrades for the shortfall.", "fact")
    check(rules, "The mayor opened the bridge.", "fact")  # "may" inside "mayor"
    check(rules, "The plant closed in May after a fire.", "fact")  # May the month
    check(rules, "The law took effect on May 5.", "fact")
    s = check(rules, "Officials could delay the vote and may cancel it.", "speculation", "could, may")
    assert s.score == 0.6  # one more cue, a bit more sure


@pytest.mark.parametrize(("text", "cue"), [
    ("Washington should stop pretending sanctions work.", "should"),
    ("The government must act now.", "must"),
    ("Clearly, the plan was a mistake.", "clearly"),
    ("It was a terrible decision.", "terrible"),
    ("They ought to resign.", "ought to"),
    ("Is anyone surprised by the outcome?", "?"),
])
def test_opinion_cues_and_rhetorical_questions(rules: RulesSuggester, text: str, cue: str) -> None:
    check(rules, text, "opinion", cue)


def test_decision_order_quote_then_opinion_then_speculation(rules: RulesSuggester) -> None:
    check(rules, '"We should leave, and prices may rise anyway," the minister said.', "quote")
    check(rules, "The bank should cut rates, which may help.", "opinion", "should")


def test_fact_is_the_fallback(rules: RulesSuggester) -> None:
    s = check(rules, "Sales fell 15% in the last quarter.", "fact", None)
    assert s.cue is None and s.score == 0.4
    check(rules, HEADLINE, "fact")


def test_custom_tagset_with_its_own_suggest_sections() -> None:
    tagset = Tagset.model_validate({
        "name": "sentiment", "version": 1,
        "labels": [
            {"name": "neutral", "definition": "Neither.", "suggest": {"cues": []}},
            {"name": "positive", "definition": "Good.", "suggest": {"cues": ["good", "love"]}},
            {"name": "negative", "definition": "Bad.", "suggest": {"cues": ["bad", "not good"], "priority": 1}},
            {"name": "asking", "definition": "A question.", "suggest": {"questions": True, "priority": 5}},
            {"name": "other", "definition": "Never suggested: no suggest section."},
        ],
    })
    r = RulesSuggester(tagset)
    assert r.suggest("I love it.") == Suggestion("positive", 0.5, "love", "rules 1")
    assert r.suggest("This is not good.").label == "negative"  # priority 1 beats tagset order
    assert r.suggest("The box is blue.") == Suggestion("neutral", 0.4, None, "rules 1")
    assert r.suggest("Is it blue?").cue == "?"
    assert r.scheme == "sentiment"


def test_tagset_without_suggest_sections_is_a_clear_error() -> None:
    tagset = Tagset.model_validate({"name": "bare", "version": 1,
                                    "labels": [{"name": "a", "definition": "A."}, {"name": "b", "definition": "B."}]})
    with pytest.raises(AnnotateError, match="no suggest: sections"):
        RulesSuggester(tagset)
    # a wrong suggest: section never gets this far: the tagset does not load (test_models)


def test_a_tagset_file_that_sets_the_defaults_itself_wins(tmp_path: Path) -> None:
    text = (REPO / "schemas" / "claim-types.yaml").read_text(encoding="utf-8")
    assert "priority" not in text  # the shipped file relies on the built-in decision order
    rules = RulesSuggester(load_tagset_text(tmp_path, text))
    assert [r.label for r in rules.rules] == ["quote", "opinion", "speculation"]
    changed = text.replace("    cues: [may, might,", "    priority: 0\n    cues: [may, might,")
    rules = RulesSuggester(load_tagset_text(tmp_path, changed))
    assert [r.label for r in rules.rules] == ["speculation", "quote", "opinion"]
    assert rules.suggest("Clearly, prices may rise.").label == "speculation"  # opinion would win by default


def load_tagset_text(tmp_path: Path, text: str) -> Tagset:
    path = tmp_path / "claim-types.yaml"
    path.write_text(text, encoding="utf-8")
    return load_tagset(path)


# --------------------------------------------------------------------------- the sample article


def test_sample_article(project: Project, rules: RulesSuggester) -> None:
    items = suggest_document(project, SEED_ID, rules)
    text = project.read_source(project.document(SEED_ID)).text
    by_start = {text[s:e]: sug for s, e, sug in items}

    def find(prefix: str) -> Suggestion:
        return next(sug for key, sug in by_start.items() if key.startswith(prefix))

    assert find('"If the United States does not keep the promise').label == "quote"
    assert find('"If the United States').cue == "said + quotation marks"
    assert find("There is speculation that").label == "speculation"
    assert find(HEADLINE[:30]).label == "fact"
    assert find("North Korean leader Kim Jong Un was expected").cue == "expected, believed"
    assert find("Kim may also seek").label == "speculation"
    labels = {sug.label for _, _, sug in items}
    assert labels == {"fact", "speculation", "quote", "opinion"}


# --------------------------------------------------------------------------- the suggestions file


def test_write_and_load_suggestions(project: Project, rules: RulesSuggester) -> None:
    items = suggest_document(project, SEED_ID, rules)
    path = write_suggestions(project, SEED_ID, items, rules)
    assert path == suggestions_path(project, SEED_ID) == project.labels / SEED_ID / "_suggestions.yaml"
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("# Machine suggestions")
    loaded = load_suggestions(project, SEED_ID)
    assert not loaded.stale and loaded.agent == "rules 1"
    assert loaded == {(s, e): sug for s, e, sug in items}
    # a changed source: the suggestions are not used, and the map says why
    src = project.document(SEED_ID).path
    src.write_text(src.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    stale = load_suggestions(project, SEED_ID)
    assert stale == {} and stale.stale and "another version of the source" in (stale.reason or "")


def test_suggestions_of_another_tagset_are_not_used(project: Project, tagset: Tagset,
                                                    rules: RulesSuggester) -> None:
    write_suggestions(project, SEED_ID, suggest_document(project, SEED_ID, rules), rules)
    assert len(load_suggestions(project, SEED_ID, tagset)) > 0
    other = tagset.model_copy(update={"name": "other"})
    found = load_suggestions(project, SEED_ID, other)
    assert found == {} and found.stale and "tagset claim-types" in (found.reason or "")
    fewer = tagset.model_copy(update={"labels": [lab for lab in tagset.labels if lab.name != "quote"]})
    assert {s.label for s in load_suggestions(project, SEED_ID, fewer).values()} == {"fact", "speculation", "opinion"}


def test_missing_and_broken_suggestions(project: Project) -> None:
    missing = load_suggestions(project, SEED_ID)
    assert missing == {} and not missing.stale and missing.path is None
    path = suggestions_path(project, SEED_ID)
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\nsentences: nope\n")
    with pytest.raises(AnnotateError, match="sentences list"):
        load_suggestions(project, SEED_ID)


def test_suggestions_follow_the_spans_of_existing_label_files(project: Project, tagset: Tagset,
                                                             rules: RulesSuggester) -> None:
    session = LabelSession.open(project, project.document(SEED_ID), "alice", tagset)
    try:
        spans = [s.span for s in session.sentences]
    finally:
        session.close()
    assert [(s, e) for s, e, _ in suggest_document(project, SEED_ID, rules)] == spans


# --------------------------------------------------------------------------- CLI


def test_cli_suggest_writes_file_and_prints_table(project: Project) -> None:
    result = run(project, "suggest", SEED_ID)
    assert result.exit_code == 0, result.output
    path = project.labels / SEED_ID / "_suggestions.yaml"
    assert path.is_file()
    out = result.stdout
    assert "label" in out and "score" in out and "cue" in out
    assert "said + quotation marks" in out and "speculation" in out
    assert f"wrote labels/{SEED_ID}/_suggestions.yaml" in result.stderr
    rows = [line for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()
            and line.split()[1] in {"fact", "speculation", "quote", "opinion"}]
    assert len(rows) == len(load_suggestions(project, SEED_ID))
    assert rows[0].split()[:3] == ["1", "fact", "0.40"]

    quiet = run(project, "suggest", SEED_ID, "--no-print")
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_suggest_train_is_a_command_and_a_document_named_train_is_still_suggestable(project: Project) -> None:
    write_source(project, "train", "The train left at noon. It may be late tomorrow.")
    assert_one_line_error(run(project, "suggest", "train"), "at least 2 documents")  # it trains
    result = run(project, "suggest", "seeds/train.txt", "--no-print")
    assert result.exit_code == 0, result.output
    assert "wrote labels/train/_suggestions.yaml" in result.stderr
    assert len(load_suggestions(project, "train")) == 2
    suggestions_path(project, "train").unlink()
    everything = run(project, "suggest", "--no-print")  # every document, train among them
    assert everything.exit_code == 0 and suggestions_path(project, "train").is_file()
    assert_one_line_error(run(project, "suggest", "--no-print", "train"), "seeds/train.txt")
    help_text = run(project, "suggest", "--help").stdout
    assert "[DOC]... | train" in help_text and "train  Train the model suggester" in help_text
    assert "model.npz" in run(project, "suggest", "train", "--help").stdout


def test_cli_suggest_errors_are_one_line(project: Project) -> None:
    assert_one_line_error(run(project, "suggest", "no-such-doc"), "no such document")
    assert_one_line_error(run(project, "suggest", "--with", "model", SEED_ID), "no trained model",
                          "annotate suggest train")
    assert_one_line_error(run(project, "suggest", "train"), "at least 2 documents")
    assert_one_line_error(run(project, "suggest", "train", SEED_ID), "takes no documents")


def test_suggestions_file_is_never_an_annotator(project: Project, tagset: Tagset) -> None:
    for who in ("alice", "bob"):
        session = LabelSession.open(project, project.document(SEED_ID), who, tagset)
        try:
            for i in range(3):
                session.change(i, label="fact")
            session.fold()
        finally:
            session.close()
    assert run(project, "suggest", SEED_ID, "--no-print").exit_code == 0
    assert project.annotators(SEED_ID) == ["alice", "bob"]
    status = run(project, "status", "--json")
    assert status.exit_code == 0, status.output
    assert {row["annotator"] for row in json.loads(status.stdout)} == {"alice", "bob"}
    agreement = run(project, "agreement", "--json")
    assert agreement.exit_code == 0, agreement.output
    data = json.loads(agreement.stdout)
    assert data["annotators"] == ["alice", "bob"]
    assert "_suggestions" not in agreement.stdout.replace('"suggestions"', "")
    validate = run(project, "validate")
    assert validate.exit_code == 0, validate.output


# --------------------------------------------------------------------------- model


def _bench():
    spec = importlib.util.spec_from_file_location("bench_suggest", REPO / "benchmarks" / "bench_suggest.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """30 generated documents of 20 sentences, labeled by two annotators agreeing ~90%, gold on every fifth."""
    pytest.importorskip("sklearn")
    return _bench().make_corpus(tmp_path_factory.mktemp("corpus") / "proj", n_docs=30, n_sents=20, seed=1)


def test_training_data_gold_then_majority(corpus_project: Project) -> None:
    corpus = collect_examples(corpus_project)
    assert len(corpus.documents) == 30
    assert corpus.scheme == "claim-types"
    origins = {e.origin for e in corpus.examples}
    assert origins == {"gold", "majority"}
    assert corpus.skipped["tie"] > 0  # alice and bob disagreeing with no gold: left out, counted
    assert len(corpus.examples) + corpus.skipped["tie"] + corpus.skipped["unlabeled"] == 30 * 20


def test_model_learns_with_grouped_cross_validation(corpus_project: Project) -> None:
    result = run(corpus_project, "suggest", "train")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "accuracy" in out and "baseline" in out and "macro-F1" in out and "5 folds grouped by document" in out
    model_file = corpus_project.root / ".annotate" / "model.npz"
    assert model_file.is_file() and "saved to .annotate/model.npz" in out
    assert not any(p.suffix in (".pkl", ".npz") for p in corpus_project.labels.rglob("*"))
    assert not list(corpus_project.root.rglob("*.pkl"))

    report = cross_validate(collect_examples(corpus_project))
    assert report.accuracy > report.baseline_accuracy + 0.2, report
    assert report.macro_f1 > 0.6
    assert set(report.per_label) == {"fact", "speculation", "quote", "opinion"}
    # documents never leak: each fold's test documents are not in its training documents,
    # and every document is tested exactly once
    tested: list[str] = []
    for train_docs, test_docs in report.folds:
        assert not set(train_docs) & set(test_docs)
        tested.extend(test_docs)
    assert sorted(tested) == sorted(set(tested)) and len(tested) == 30
    assert len(report.folds) == 5

    model = ModelSuggester.load(corpus_project)
    assert model.agent.startswith("model 1 ") and len(model.agent.split()[2]) == 8
    s = model.suggest('"We will not accept these terms," the minister said on Monday.')
    assert s.label == "quote" and 0.25 < s.score <= 1 and s.cue and s.cue.startswith("model")
    assert model.suggest("Sources say the ministry will approve the budget next week.").label == "speculation"


def test_cli_suggest_with_model(corpus_project: Project) -> None:
    if not (corpus_project.root / ".annotate" / "model.npz").exists():
        assert run(corpus_project, "suggest", "train").exit_code == 0
    result = run(corpus_project, "suggest", "--with", "model", "gen-000")
    assert result.exit_code == 0, result.output
    loaded = load_suggestions(corpus_project, "gen-000")
    assert len(loaded) == 20 and loaded.agent and loaded.agent.startswith("model 1 ")
    truth = {(e.start, e.end): e.label for e in collect_examples(corpus_project).examples if e.doc == "gen-000"}
    right = sum(loaded[span].label == label for span, label in truth.items())
    assert right / len(truth) > 0.8  # trained on this document too: a sanity check, not a measure


def test_missing_sklearn_is_one_clear_line(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    assert_one_line_error(run(project, "suggest", "train"), "scikit-learn", "annotate[model]")
    assert_one_line_error(run(project, "suggest", "--with", "model", SEED_ID), "scikit-learn")
    # the rules need nothing optional
    assert run(project, "suggest", SEED_ID, "--no-print").exit_code == 0


# --------------------------------------------------------------------------- the saved model: arrays, checked


@pytest.fixture(scope="module")
def fitted(corpus_project: Project) -> tuple[ModelSuggester, Corpus]:
    corpus = collect_examples(corpus_project)
    return ModelSuggester().fit(corpus), corpus


def _items(corpus: Corpus, n: int = 60) -> list[tuple[str, str | None, str | None]]:
    items = [(e.text, e.before, e.after) for e in corpus.examples[:n]]
    return [*items, ("An unseen sentence with no known words at all: zyx qwv.", None, None), ("?", None, None)]


def test_the_model_computes_what_scikit_learn_computes(fitted: tuple[ModelSuggester, Corpus]) -> None:
    import numpy as np

    model, corpus = fitted
    y = [e.label for e in corpus.examples]
    pipeline = make_pipeline().fit(rows([(e.text, e.before, e.after) for e in corpus.examples]), y)
    items = _items(corpus)
    ours = model.model.probabilities(model.model.features(items))
    assert np.allclose(ours, pipeline.predict_proba(rows(items)), rtol=0, atol=1e-12)
    # two labels: the binary (sigmoid) case
    two = Corpus([e for e in corpus.examples if e.label in ("fact", "quote")], corpus.scheme)
    binary = ModelSuggester().fit(two)
    reference = make_pipeline().fit(rows([(e.text, e.before, e.after) for e in two.examples]),
                                    [e.label for e in two.examples])
    assert binary.labels == ["fact", "quote"] and binary.model.coef.shape[0] == 1
    got = binary.model.probabilities(binary.model.features(items))
    assert np.allclose(got, reference.predict_proba(rows(items)), rtol=0, atol=1e-12)
    assert [s.label for s in binary.suggest_items(items)] == list(reference.predict(rows(items)))


def test_the_saved_model_is_arrays_without_pickle_and_loads_back(fitted: tuple[ModelSuggester, Corpus],
                                                                 project: Project) -> None:
    import zipfile

    import numpy as np

    model, corpus = fitted
    path = model.save(project)
    assert path == project.root / ".annotate" / "model.npz"
    with zipfile.ZipFile(path) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())
    with np.load(path, allow_pickle=False) as npz:  # every array loads without pickle
        assert all(npz[k].dtype != object for k in npz.files)
    loaded = ModelSuggester.load(project)
    assert loaded.agent == model.agent and loaded.labels == model.labels
    items = _items(corpus)
    assert loaded.suggest_items(items) == model.suggest_items(items)


def _resave(path: Path, **changes: object) -> None:
    import io

    import numpy as np

    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    out = io.BytesIO()
    np.savez(out, **arrays)
    path.write_bytes(out.getvalue())


def _meta_with(path: Path, **changes: object) -> object:
    import numpy as np

    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["meta"].tobytes())
    meta.update(changes)
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


@pytest.mark.parametrize(("damage", "message"), [
    ("coef-shape", "coefficients have shape"),
    ("coef-nan", "not finite"),
    ("idf-short", "idf weights (w) do not match"),
    ("terms-twice", "distinct terms"),
    ("format-1", "model format 1"),
    ("blocks", "features are not the ones"),
    ("labels", "tagset claim-types has fact"),
    ("member-missing", "does not hold what a model holds"),
    ("member-extra", "does not hold what a model holds"),
    ("object-array", "cannot read the model (ValueError)"),
    ("garbage", "not a .npz file"),
    ("truncated", "cannot read the model"),
])
def test_a_damaged_or_foreign_model_is_refused_with_a_message_to_retrain(
        fitted: tuple[ModelSuggester, Corpus], project: Project, damage: str, message: str) -> None:
    import numpy as np

    model, _ = fitted
    path = model.save(project)
    coef = model.model.coef
    changes: dict[str, object] = {
        "coef-shape": {"coef": coef[:, :-1]},
        "coef-nan": {"coef": np.where(np.arange(coef.size).reshape(coef.shape) == 3, np.nan, coef)},
        "idf-short": {"idf_w": model.model.blocks[0].idf[:-1]},
        "terms-twice": {"terms_prev": np.frombuffer(json.dumps(["a", "a"]).encode(), dtype=np.uint8)},
        "format-1": {"meta": _meta_with(path, format=1)},
        "blocks": {"meta": _meta_with(path, blocks=[["w", 0]])},
        "labels": {"meta": _meta_with(path, classes=["fact", "opinion", "quote", "rumour"])},
        "member-missing": {"intercept": None},
        "member-extra": {"extra": np.array([1, 2])},
        "object-array": {"meta": np.array([{"format": 2}], dtype=object)},  # saved as a pickle inside the .npy
    }.get(damage, {})
    if changes:
        _resave(path, **changes)
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    else:
        path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(AnnotateError) as info:
        ModelSuggester.load(project)
    assert message in str(info.value) and str(info.value).startswith(".annotate/model.npz: ")
    if damage not in ("garbage", "member-missing", "member-extra"):
        assert "run annotate suggest train again" in str(info.value)
    assert_one_line_error(run(project, "suggest", "--with", "model", SEED_ID), message)

