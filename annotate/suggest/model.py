"""The model suggester: TF-IDF and logistic regression on the project's own labels, stored without code.

Training data is every sentence with a final label (gold where decided, else the
annotators' unique majority). ``annotate suggest train`` cross-validates with folds
grouped by document, fits on everything and saves the model to ``.annotate/model.npz``
(never under ``labels/``). Fitting needs scikit-learn, an optional extra
(``pip install 'annotate[model]'``).

The saved model is data only: the vocabulary and idf weights of each TF-IDF block and
the coefficients of the classifier, as numpy arrays in a ``.npz`` file read with
``allow_pickle=False``, checked on load (format version, shapes, the labels of the
current tagset). Nothing in it can run code. Models saved by older versions as a pickle
(``.annotate/model.pkl``) are never loaded: a pickle runs code when it is loaded, and a
project's files may come from anyone.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError
from ..models import Tagset
from ..safefs import RefusedPath, unlink_inside
from ..store import Project, atomic_write
from .rules import Suggestion, neighbours

# --------------------------------------------------------------------------- training data


@dataclass(frozen=True)
class Example:
    """A labeled sentence with its neighbours, for training and evaluation."""

    doc: str
    start: int
    end: int
    text: str
    before: str | None
    after: str | None
    label: str
    origin: str
    """``gold`` or ``majority``."""


@dataclass
class Corpus:
    """The labeled sentences of a project, and what was left out."""

    examples: list[Example]
    scheme: str | None
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def documents(self) -> list[str]:
        """The documents with at least one example, in order."""
        return list(dict.fromkeys(e.doc for e in self.examples))

    def sha256(self) -> str:
        """A hash of the training data (documents, spans, texts, labels)."""
        h = hashlib.sha256()
        for e in self.examples:
            h.update(json.dumps([e.doc, e.start, e.end, e.text, e.before, e.after, e.label],
                                ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()


def collect_examples(project: Project) -> Corpus:
    """Every sentence with a final label: gold where decided, else the annotators' unique majority.

    Sentences nobody labeled, and ties without gold, are skipped and counted.
    """
    from ..agreement import majority
    from ..reading import document_labels

    examples: list[Example] = []
    skipped = Counter({"unlabeled": 0, "tie": 0})
    schemes: dict[str, str] = {}
    for doc in project.documents():
        if not project.label_files(doc.id):
            continue
        dl = document_labels(project, doc)
        files = ([dl.gold] if dl.gold is not None else []) + [dl.files[a] for a in dl.annotators]
        for lf in files:
            schemes.setdefault(lf.scheme, doc.id)
        texts: dict[tuple[int, int], str] = {}
        neighbours: dict[tuple[int, int], tuple[str | None, str | None]] = {}
        for lf in files:
            sents = lf.sentences
            for i, s in enumerate(sents):
                if s.span not in texts:
                    texts[s.span] = s.text
                    neighbours[s.span] = (sents[i - 1].text if i else None,
                                          sents[i + 1].text if i + 1 < len(sents) else None)
        gold = {s.span: s.label for s in dl.gold.sentences} if dl.gold is not None else {}
        votes: dict[tuple[int, int], list[str | None]] = {}
        for a in dl.annotators:
            for s in dl.files[a].sentences:
                votes.setdefault(s.span, []).append(s.label)
        for span in sorted(texts):
            label, origin = gold.get(span), "gold"
            if label is None:
                given = [v for v in votes.get(span, []) if v is not None]
                if not given:
                    skipped["unlabeled"] += 1
                    continue
                label, origin = majority(given), "majority"
                if label is None:
                    skipped["tie"] += 1
                    continue
            examples.append(Example(doc.id, *span, texts[span], *neighbours[span], label, origin))
    if len(schemes) > 1:
        used = ", ".join(f"{s} ({d})" for s, d in sorted(schemes.items()))
        raise AnnotateError(f"the label files use different tagsets: {used}; train on one tagset at a time")
    return Corpus(examples, next(iter(schemes), None), dict(skipped))


# --------------------------------------------------------------------------- model

SKLEARN_MISSING = (
    "--with model needs scikit-learn, an optional extra: pip install 'annotate[model]'"
    " (or pip install 'scikit-learn>=1.3')"
)


def require_sklearn() -> Any:
    """The sklearn module, or an AnnotateError saying how to install it."""
    try:
        import sklearn
        import sklearn.feature_extraction.text  # noqa: F401 - a broken install fails here, not mid-way
    except ImportError:
        raise AnnotateError(SKLEARN_MISSING) from None
    return sklearn


_TOKENS = r"(?u)\b\w+\b|[\"“”„«»?!]"
"""Words, plus quotation marks and ?/! as tokens of their own (they carry the label)."""

_START, _END = "__start__", "__end__"

BLOCKS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("w", 0, {"ngram_range": (1, 2), "token_pattern": _TOKENS, "sublinear_tf": True}),
    ("c", 0, {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True, "max_features": 100_000}),
    ("prev", 1, {"token_pattern": _TOKENS, "sublinear_tf": True}),
    ("next", 2, {"token_pattern": _TOKENS, "sublinear_tf": True}),
)
"""The model's features: ``(name, column, TfidfVectorizer settings)``; columns are the sentence (0), the one
before (1) and the one after (2). TF-IDF of the sentence (words 1-2, characters 3-5) and of its neighbours
(words, as separate features)."""


def make_pipeline() -> Any:
    """The (unfitted) classifier: the TF-IDF blocks of :data:`BLOCKS`, then logistic regression."""
    require_sklearn()
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    features = ColumnTransformer([(name, TfidfVectorizer(**params), column) for name, column, params in BLOCKS],
                                 sparse_threshold=1.0)
    return Pipeline([("features", features), ("clf", LogisticRegression(C=5.0, max_iter=2000))])


def rows(items: Sequence[tuple[str, str | None, str | None]]) -> Any:
    """``(text, before, after)`` triples as the classifier's input rows (missing neighbours as markers)."""
    import numpy as np

    out = np.empty((len(items), 3), dtype=object)
    for i, (text, before, after) in enumerate(items):
        out[i] = (text, before if before else _START, after if after else _END)
    return out


@dataclass
class TrainReport:
    """Cross-validated quality of the model on the project's labels (folds grouped by document)."""

    documents: int
    sentences: int
    skipped: dict[str, int]
    origins: dict[str, int]
    labels: list[str]
    label_counts: dict[str, int]
    folds: list[tuple[list[str], list[str]]]
    """Per fold: (training documents, test documents); never overlapping."""
    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    """Per label: precision, recall, f1, support."""
    baseline_label: str
    baseline_accuracy: float
    baseline_macro_f1: float
    agent: str = ""
    scheme: str | None = None
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as plain data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def lines(self) -> list[str]:
        """The report for people."""
        skipped = ", ".join(f"{v} {k}" for k, v in self.skipped.items() if v) or "none"
        origins = ", ".join(f"{v} {k}" for k, v in self.origins.items())
        out = [
            f"trained {self.agent} on {self.sentences} sentences of {self.documents} documents"
            f" (tagset {self.scheme}; labels: {origins}; skipped: {skipped})",
            f"cross-validation: {len(self.folds)} folds grouped by document (no document in two folds)",
            f"accuracy  {self.accuracy:.3f}   macro-F1 {self.macro_f1:.3f}",
            f"baseline  {self.baseline_accuracy:.3f}   macro-F1 {self.baseline_macro_f1:.3f}"
            f"   (always the training folds' most frequent label, here mostly {self.baseline_label})",
        ]
        lab_w = max(5, *(len(lab) for lab in self.per_label))
        out.append(f"{'label':<{lab_w}}  precision  recall     F1  sentences")
        for lab, st in self.per_label.items():
            out.append(f"{lab:<{lab_w}}  {st['precision']:9.3f}  {st['recall']:6.3f}  {st['f1']:5.3f}"
                       f"  {int(st['support']):9d}")
        if self.path:
            out.append(f"saved to {self.path}")
        return out


def group_folds(docs: Sequence[str], k: int | None = None) -> list[tuple[list[int], list[int]]]:
    """Train/test index lists of a k-fold split grouped by document (k = min(5, documents) by default)."""
    require_sklearn()
    import numpy as np
    from sklearn.model_selection import GroupKFold

    n_docs = len(set(docs))
    k = k or min(5, n_docs)
    splitter = GroupKFold(n_splits=k)
    x = np.zeros((len(docs), 1))
    return [(list(tr), list(te)) for tr, te in splitter.split(x, groups=list(docs))]


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> tuple[float, float,
                                                                                         dict[str, dict[str, float]]]:
    """Accuracy, macro-F1 and per-label precision/recall/F1/support."""
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == lab and p == lab)
        n_pred = sum(1 for p in predicted if p == lab)
        n_gold = sum(1 for g in gold if g == lab)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": n_gold}
    acc = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return round(acc, 4), round(macro, 4), per


def cross_validate(corpus: Corpus, k: int | None = None) -> TrainReport:
    """Grouped k-fold cross-validation of the model (and the majority-class baseline) on a corpus."""
    examples = corpus.examples
    docs = [e.doc for e in examples]
    labels = sorted({e.label for e in examples})
    if len(set(docs)) < 2:
        raise AnnotateError(f"training needs labeled sentences in at least 2 documents (have {len(set(docs))}):"
                            " cross-validation holds out whole documents")
    if len(labels) < 2:
        raise AnnotateError(f"training needs at least 2 different labels (have {', '.join(labels) or 'none'})")
    from sklearn.base import clone

    x = rows([(e.text, e.before, e.after) for e in examples])
    y = [e.label for e in examples]
    predicted: list[str | None] = [None] * len(y)
    baseline: list[str | None] = [None] * len(y)
    folds: list[tuple[list[str], list[str]]] = []
    base_labels: Counter[str] = Counter()
    template = make_pipeline()
    for train_idx, test_idx in group_folds(docs, k):
        train_y = [y[i] for i in train_idx]
        top = Counter(train_y).most_common(1)[0][0]
        base_labels[top] += len(test_idx)
        for i in test_idx:
            baseline[i] = top
        folds.append((sorted({docs[i] for i in train_idx}), sorted({docs[i] for i in test_idx})))
        if len(set(train_y)) < 2:  # a fold whose training part has one label: that label is the model
            for i in test_idx:
                predicted[i] = top
            continue
        model = clone(template).fit(x[train_idx], train_y)
        for i, p in zip(test_idx, model.predict(x[test_idx]), strict=True):
            predicted[i] = str(p)
    acc, macro, per = evaluate(y, [str(p) for p in predicted], labels)
    b_acc, b_macro, _ = evaluate(y, [str(b) for b in baseline], labels)
    return TrainReport(
        documents=len(set(docs)), sentences=len(examples), skipped=corpus.skipped,
        origins=dict(Counter(e.origin for e in examples)), labels=labels, label_counts=dict(Counter(y)),
        folds=folds, accuracy=acc, macro_f1=macro, per_label=per, baseline_label=base_labels.most_common(1)[0][0],
        baseline_accuracy=b_acc, baseline_macro_f1=b_macro, scheme=corpus.scheme,
    )


# --------------------------------------------------------------------------- the model, as data

MODEL_PATH = Path(".annotate") / "model.npz"
"""Where the trained model lives, relative to the project root (not under labels/, not in git)."""

OLD_MODEL_PATH = Path(".annotate") / "model.pkl"
"""Where annotate 0.x kept its model as a pickle: never loaded (a pickle runs code when loaded)."""

MODEL_FORMAT = 2
"""Version of the saved model's layout (1 was the pickle)."""

MAX_MODEL_BYTES = 1 << 30
"""The most a model file may unpack to (arrays and vocabularies together): a bigger one is refused."""

RETRAIN = "run annotate suggest train again"


@dataclass
class Block:
    """One TF-IDF block of the features: which column it reads, its terms and their idf weights."""

    name: str
    column: int
    terms: list[str]
    idf: Any
    """numpy array of floats, one per term."""
    _analyzer: Any = field(default=None, repr=False)
    _index: dict[str, int] | None = field(default=None, repr=False)

    def transform(self, rows: Sequence[Sequence[str]]) -> Any:
        """TF-IDF of the block's column for each row, as scikit-learn computes it (sublinear tf, idf, l2 norm)."""
        import numpy as np
        from scipy import sparse

        analyze, index = self._prepare()
        indptr, indices, counts = [0], [], []
        for row in rows:
            found = Counter(index[t] for t in analyze(row[self.column]) if t in index)
            for j in sorted(found):
                indices.append(j)
                counts.append(found[j])
            indptr.append(len(indices))
        data = np.log(np.asarray(counts, dtype=np.float64)) + 1.0
        data *= self.idf[np.asarray(indices, dtype=np.intp)]
        x = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(self.terms)))
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x)

    def _prepare(self) -> tuple[Any, dict[str, int]]:
        if self._analyzer is None or self._index is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            params = dict(next(p for n, _, p in BLOCKS if n == self.name))
            params.pop("max_features", None)
            self._analyzer = TfidfVectorizer(**params).build_analyzer()
            self._index = {t: i for i, t in enumerate(self.terms)}
        return self._analyzer, self._index


@dataclass
class LinearModel:
    """A fitted model as plain arrays: TF-IDF blocks, then logistic regression (classes, coef, intercept)."""

    blocks: list[Block]
    classes: list[str]
    coef: Any
    intercept: Any

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearModel:
        """The arrays of a fitted :func:`make_pipeline`."""
        fitted = dict((name, vec) for name, vec, _ in pipeline.named_steps["features"].transformers_)
        blocks = []
        for name, column, _ in BLOCKS:
            vec = fitted[name]
            terms = [""] * len(vec.vocabulary_)
            for term, i in vec.vocabulary_.items():
                terms[i] = term
            blocks.append(Block(name, column, terms, vec.idf_.copy()))
        clf = pipeline.named_steps["clf"]
        return cls(blocks, [str(c) for c in clf.classes_], clf.coef_.copy(), clf.intercept_.copy())

    @property
    def n_features(self) -> int:
        """Features over all blocks."""
        return sum(len(b.terms) for b in self.blocks)

    def features(self, items: Sequence[tuple[str, str | None, str | None]]) -> Any:
        """The feature rows of ``(text, before, after)`` triples (sparse)."""
        from scipy import sparse

        table = rows(items)
        return sparse.hstack([b.transform(table) for b in self.blocks], format="csr")

    def probabilities(self, x: Any) -> Any:
        """Class probabilities of feature rows, as LogisticRegression.predict_proba computes them."""
        import numpy as np

        scores = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.vstack([1.0 - p, p]).T
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def feature_name(self, j: int) -> tuple[str, str]:
        """``(block, term)`` of feature ``j``."""
        for b in self.blocks:
            if j < len(b.terms):
                return b.name, b.terms[j]
            j -= len(b.terms)
        raise IndexError(j)

    # storage ------------------------------------------------------------------

    def to_npz(self, meta: dict[str, Any]) -> bytes:
        """The model and its metadata as the bytes of a ``.npz`` file (arrays and JSON text; no pickle)."""
        import numpy as np

        arrays: dict[str, Any] = {"meta": _json_bytes({**meta, "classes": self.classes,
                                                        "blocks": [[b.name, b.column] for b in self.blocks]}),
                                  "coef": self.coef, "intercept": self.intercept}
        for b in self.blocks:
            arrays[f"terms_{b.name}"] = _json_bytes(b.terms)
            arrays[f"idf_{b.name}"] = b.idf
        out = io.BytesIO()
        np.savez_compressed(out, allow_pickle=False, **arrays)
        return out.getvalue()

    @classmethod
    def from_npz(cls, raw: bytes, where: str) -> tuple[LinearModel, dict[str, Any]]:
        """Read and check a model written by :meth:`to_npz`; anything else is an AnnotateError saying to retrain."""
        arrays = _npz_arrays(raw, where)
        meta = _json_of(arrays["meta"], where)
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise AnnotateError(f"model format {found!r}, this version reads {MODEL_FORMAT}; {RETRAIN}", where)
        if meta.get("blocks") != [[name, column] for name, column, _ in BLOCKS]:
            raise AnnotateError(f"the model's features are not the ones this version computes; {RETRAIN}", where)
        blocks = []
        for name, column, _ in BLOCKS:
            terms = _terms(arrays, name, where)
            blocks.append(Block(name, column, terms, _idf(arrays, name, len(terms), where)))
        classes = meta.get("classes")
        if not (isinstance(classes, list) and len(classes) >= 2 and all(isinstance(c, str) for c in classes)
                and len(set(classes)) == len(classes)):
            raise AnnotateError(f"the model's labels are not a list of 2 or more names; {RETRAIN}", where)
        model = cls(blocks, classes, arrays["coef"], arrays["intercept"])
        model._check_shapes(where)
        return model, meta

    def _check_shapes(self, where: str) -> None:
        import numpy as np

        rows = 1 if len(self.classes) == 2 else len(self.classes)
        if self.coef.dtype != np.float64 or self.coef.shape != (rows, self.n_features):
            raise AnnotateError(f"the model's coefficients have shape {self.coef.shape}, not"
                                f" {(rows, self.n_features)}; {RETRAIN}", where)
        if self.intercept.dtype != np.float64 or self.intercept.shape != (rows,):
            raise AnnotateError(f"the model's intercepts have shape {self.intercept.shape}, not {(rows,)};"
                                f" {RETRAIN}", where)
        if not (np.isfinite(self.coef).all() and np.isfinite(self.intercept).all()):
            raise AnnotateError(f"the model holds numbers that are not finite; {RETRAIN}", where)


def _json_bytes(value: Any) -> Any:
    import numpy as np

    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _json_of(array: Any, where: str) -> Any:
    import numpy as np

    if array.dtype != np.uint8 or array.ndim != 1:
        raise AnnotateError(f"not a model this version of annotate wrote; {RETRAIN}", where)
    try:
        return json.loads(array.tobytes().decode("utf-8"))
    except ValueError:
        raise AnnotateError(f"the model's metadata is damaged; {RETRAIN}", where) from None


def _npz_arrays(raw: bytes, where: str) -> dict[str, Any]:
    """The arrays of a ``.npz`` file: a zip of ``.npy`` files, read without pickle and within a size bound."""
    import numpy as np

    expected = {"meta", "coef", "intercept"} | {f"{kind}_{name}" for name, _, _ in BLOCKS for kind in ("terms", "idf")}
    if not raw.startswith(b"PK\x03\x04"):
        raise AnnotateError(f"not a model this version of annotate wrote (not a .npz file); {RETRAIN}", where)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            if {i.filename for i in infos} != {f"{k}.npy" for k in expected}:
                raise AnnotateError(f"the model file does not hold what a model holds; {RETRAIN}", where)
            if sum(i.file_size for i in infos) > MAX_MODEL_BYTES:
                raise AnnotateError(f"the model file unpacks to more than {MAX_MODEL_BYTES >> 20} MB; refused", where)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {k: npz[k] for k in expected}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise AnnotateError(f"cannot read the model ({type(exc).__name__}); {RETRAIN}", where) from None


def _terms(arrays: dict[str, Any], name: str, where: str) -> list[str]:
    terms = _json_of(arrays[f"terms_{name}"], where)
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or len(set(terms)) != len(terms):
        raise AnnotateError(f"the model's vocabulary ({name}) is not a list of distinct terms; {RETRAIN}", where)
    return terms


def _idf(arrays: dict[str, Any], name: str, n: int, where: str) -> Any:
    import numpy as np

    idf = arrays[f"idf_{name}"]
    if idf.dtype != np.float64 or idf.shape != (n,) or not np.isfinite(idf).all() or (idf <= 0).any():
        raise AnnotateError(f"the model's idf weights ({name}) do not match its vocabulary; {RETRAIN}", where)
    return idf


# --------------------------------------------------------------------------- the suggester


class ModelSuggester:
    """TF-IDF + logistic regression on the project's own labels (scikit-learn, an optional extra)."""

    name = "model"
    version = 1

    def __init__(self, model: LinearModel | None = None, meta: dict[str, Any] | None = None) -> None:
        require_sklearn()
        self.model = model
        self.meta: dict[str, Any] = meta or {}

    @property
    def agent(self) -> str:
        """``model <version> <first 8 hex of the training data's sha256>``."""
        digest = str(self.meta.get("data_sha256", ""))[:8] or "untrained"
        return f"{self.name} {self.version} {digest}"

    @property
    def scheme(self) -> str:
        """The tagset the model was trained on."""
        return str(self.meta.get("scheme") or "")

    @property
    def labels(self) -> list[str]:
        """The labels the model can suggest."""
        return list(self.model.classes) if self.model is not None else []

    # training -----------------------------------------------------------------

    def fit(self, corpus: Corpus) -> ModelSuggester:
        """Fit on a corpus (in memory only)."""
        labels = {e.label for e in corpus.examples}
        if len(labels) < 2:
            raise AnnotateError(f"training needs at least 2 different labels (have {', '.join(labels) or 'none'})")
        x = rows([(e.text, e.before, e.after) for e in corpus.examples])
        self.model = LinearModel.from_pipeline(make_pipeline().fit(x, [e.label for e in corpus.examples]))
        import sklearn

        self.meta = {"format": MODEL_FORMAT, "name": self.name, "version": self.version, "scheme": corpus.scheme,
                     "labels": sorted(labels), "data_sha256": corpus.sha256(), "sklearn": sklearn.__version__,
                     "documents": len(corpus.documents), "sentences": len(corpus.examples)}
        return self

    def train(self, project: Project, k: int | None = None) -> TrainReport:
        """Cross-validate on the project's labels, fit on all of them, save to ``.annotate/model.npz``."""
        corpus = collect_examples(project)
        report = cross_validate(corpus, k)
        self.fit(corpus)
        report.agent = self.agent
        self.meta["report"] = report.to_json()
        path = self.save(project)
        report.path = project.display(path)
        return report

    # storage ------------------------------------------------------------------

    @staticmethod
    def path(project: Project) -> Path:
        """``<root>/.annotate/model.npz``."""
        return project.root / MODEL_PATH

    def save(self, project: Project) -> Path:
        """Store the model and its metadata durably (inside the project only); returns the path.

        A pickle left by an older version is removed: it would never be loaded again.
        """
        if self.model is None:
            raise AnnotateError("the model is not trained yet")
        path = self.path(project)
        atomic_write(path, self.model.to_npz(self.meta), root=project.root)
        try:
            unlink_inside(project.root, project.root / OLD_MODEL_PATH)
        except (FileNotFoundError, RefusedPath):
            pass
        return path

    @classmethod
    def load(cls, project: Project, tagset: Tagset | None = None) -> ModelSuggester:
        """The project's trained model, checked: format, shapes, and the labels of ``tagset`` (default: the
        tagset it was trained on, as the project has it now). Never a pickle."""
        require_sklearn()
        path = cls.path(project)
        where = project.display(path)
        raw = project.read_optional(path, "the model")
        if raw is None:
            old = project.root / OLD_MODEL_PATH
            if old.exists() or old.is_symlink():
                raise AnnotateError("a model saved as a pickle by an older annotate: it is never loaded (a pickle"
                                    f" can run any code when loaded); {RETRAIN}", project.display(old))
            raise AnnotateError("no trained model: run annotate suggest train first", where)
        model, meta = LinearModel.from_npz(raw, where)
        scheme = str(meta.get("scheme") or "")
        tagset = tagset or project.tagset(scheme or "claim-types")
        unknown = [c for c in model.classes if c not in tagset.names]
        if scheme != tagset.name or unknown:
            raise AnnotateError(f"the model was trained on tagset {scheme} with labels {', '.join(model.classes)};"
                                f" tagset {tagset.name} has {', '.join(tagset.names)}; {RETRAIN}", where)
        return cls(model, meta)

    # suggesting ---------------------------------------------------------------

    def suggest(self, text: str, before: str | None = None, after: str | None = None) -> Suggestion:
        """The most probable label, its probability, and the words that pushed it most."""
        return self.suggest_items([(text, before, after)])[0]

    def suggest_all(self, texts: Sequence[str]) -> list[Suggestion]:
        """Suggestions for the sentences of a document, in order (one batch)."""
        return self.suggest_items([(t, *neighbours(texts, i)) for i, t in enumerate(texts)])

    def suggest_items(self, items: Sequence[tuple[str, str | None, str | None]]) -> list[Suggestion]:
        """Suggestions for ``(text, before, after)`` triples, in one batch."""
        if self.model is None:
            raise AnnotateError("the model is not trained yet: run annotate suggest train")
        if not items:
            return []
        x = self.model.features(items)
        proba = self.model.probabilities(x)
        out = []
        for row in range(len(items)):
            k = int(proba[row].argmax())
            cue = self._top_features(x[row], k)
            out.append(Suggestion(self.model.classes[k], round(float(proba[row][k]), 3), cue, self.agent))
        return out

    def _top_features(self, xrow: Any, k: int, n: int = 3) -> str:
        assert self.model is not None
        coef = self.model.coef
        weights = coef[k] if coef.shape[0] > 1 else (coef[0] if k == 1 else -coef[0])
        xrow = xrow.tocsr()
        scored = []
        for j, v in zip(xrow.indices, xrow.data, strict=True):
            group, feat = self.model.feature_name(int(j))
            if group == "c" or feat in (_START, _END):
                continue  # character n-grams are not readable cues
            contribution = float(v * weights[j])
            if contribution > 0:
                scored.append((contribution, f"{group}: {feat}" if group in ("prev", "next") else feat))
        scored.sort(reverse=True)
        words = [w for _, w in scored[:n]]
        return "model: " + ", ".join(words) if words else "model"
