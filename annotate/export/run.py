"""The whole export: read every document once, make the splits, then build, count and write rows per document."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..collector import collector_paused
from ..errors import AnnotateError
from ..store import Project
from .card import git_commit, render_card
from .corpus import Corpus, CorpusReader, DocUnits
from .options import ExportOptions, check_out
from .rows import RowBuilder, Unit
from .splits import Grouping, Splits, key_of, normalise
from .statistics import StatsCounter
from .writers import BY_NAME, SUFFIX, Schema, SplitWriter, require_pyarrow

Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: what is being done (``reading``, ``writing``), and how far."""
Warn = Callable[[str], None]


@dataclass
class ExportResult:
    """What was written, and the figures."""

    out: Path
    files: list[Path]
    stats: dict[str, Any]


def run_export(project: Project, options: ExportOptions, command: str = "annotate export",
               progress: Progress | None = None, warn: Warn | None = None) -> ExportResult:
    """Read the label files, split, build rows, write the dataset files, the card and stats.json.

    The cyclic garbage collector is paused meanwhile (:func:`annotate.collector.collector_paused`):
    the export builds hundreds of thousands of small, acyclic containers.
    """
    with collector_paused():
        return _run_export(project, options, command, progress, warn)


class Outputs:
    """The dataset files being written: into a hidden folder inside ``out``, moved into place only at the end.

    An export that fails (bad label file, no rows) leaves ``out`` as it was.
    """

    def __init__(self, out: Path, options: ExportOptions) -> None:
        self.out = out
        self.created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        self.partial = Path(tempfile.mkdtemp(prefix=".export-partial-", dir=out))
        self.options = options
        self.schema = Schema((), ())
        """Set once every document was read (the writers need the annotators and labels)."""
        self.writers: dict[tuple[str, str], SplitWriter] = {}

    def write(self, split: str, rows: list[dict[str, Any]]) -> None:
        """Rows of one document, all in ``split``, to every format."""
        if not rows:
            return
        for fmt in self.options.formats:
            writer = self.writers.get((fmt, split))
            if writer is None:
                writer = self.writers[(fmt, split)] = BY_NAME[fmt].writer(self.partial / f"{split}{SUFFIX[fmt]}",
                                                                         self.schema)
            writer.write(rows)

    def finish(self, card: str, stats: dict[str, Any]) -> list[Path]:
        """Close the files, replace an earlier export's, and add the card and stats.json; the paths in order."""
        for writer in self.writers.values():
            writer.close()
        out = self.out
        for name in ("train", "dev", "test"):  # outputs of an earlier export that this one would not replace
            for suffix in SUFFIX.values():
                old = out / f"{name}{suffix}"
                if old.is_file():
                    old.unlink()
        written = []
        for fmt in self.options.formats:
            for name, _ in self.options.split:
                if (fmt, name) in self.writers:
                    target = out / f"{name}{SUFFIX[fmt]}"
                    (self.partial / target.name).replace(target)
                    written.append(target)
        self.partial.rmdir()
        card_path = out / "README.md"
        card_path.write_text(card, encoding="utf-8")
        stats_path = out / "stats.json"
        stats_path.write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
                              + "\n", encoding="utf-8")
        return [*written, card_path, stats_path]

    def abandon(self) -> None:
        """Remove what was written; ``out`` is as it was (removed again if the export made it)."""
        for writer in self.writers.values():
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the export already failed; the folder goes anyway
                pass
        shutil.rmtree(self.partial, ignore_errors=True)
        if self.created:
            try:
                self.out.rmdir()
            except OSError:
                pass


class Spill:
    """Pass 1's documents, kept on disk (one JSON line each, an unlinked file) until pass 2 reads them back.

    Parsing YAML is the export's main cost, so each label file is parsed once; what
    rows need of a document waits here, not in memory, while the splits are decided.
    """

    def __init__(self, folder: Path) -> None:
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed in close()
        self.count = 0

    def add(self, du: DocUnits) -> None:
        """Keep one document."""
        self.file.write(json.dumps(du.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
        self.count += 1

    def documents(self) -> Iterator[DocUnits]:
        """The documents kept, in the order they came."""
        self.file.flush()
        self.file.seek(0)
        for line in self.file:
            yield DocUnits.from_json(json.loads(line))

    def close(self) -> None:
        """Let the file go."""
        self.file.close()


def _first_pass(reader: CorpusReader, spill: Spill, grouping: Grouping, progress: Progress | None) -> None:
    """Every document read and checked once, its sentence keys grouped, its units spilled for pass 2."""
    step = (lambda done, total: progress("reading label files", done, total)) if progress else None
    for du in reader.documents(step):
        text = du.text
        du.keys = {(s, e): key_of(normalise(text[s:e])) for s, e in sorted(du.spans)}
        grouping.add(du.doc, du.keys.values())
        spill.add(du)


class _Duplicates:
    """Rows whose normalised text an earlier row had: counted, and dropped with --dedupe."""

    def __init__(self, splits: Splits, dedupe: bool) -> None:
        self.repeated = splits.repeated
        self.shared = splits.shared
        self.dedupe = dedupe
        self.first: dict[int, tuple[str, int, int]] = {}
        self.rows = 0
        self.dropped = 0
        self.texts: dict[int, str] = {}
        """Normalised texts of the keys that join documents (for the card)."""

    def check(self, du: DocUnits, units: list[Unit]) -> None:
        for unit in units:
            key = du.keys.get((unit.start, unit.end), 0)
            if key in self.shared and key not in self.texts:
                self.texts[key] = normalise(du.text[unit.start:unit.end])
            if not unit.rows or key not in self.repeated:
                continue
            where = (du.doc, unit.start, unit.end)
            if self.first.setdefault(key, where) != where:
                self.rows += len(unit.rows)
                if self.dedupe:
                    self.dropped += len(unit.rows)
                    unit.rows = []


def _second_pass(docs: Iterable[DocUnits], n_docs: int, builder: RowBuilder, splits: Splits,
                 counter: StatsCounter, duplicates: _Duplicates, outputs: Outputs,
                 progress: Progress | None) -> None:
    for k, du in enumerate(docs):
        if progress and k % 50 == 0:
            progress("writing rows", k, n_docs)
        split = splits.split[du.doc]
        units = builder.document(du, split)
        duplicates.check(du, units)
        counter.add_document(du.doc, split, units)
        outputs.write(split, [row for unit in units for row in unit.rows])
    if progress:
        progress("writing rows", n_docs, n_docs)


def _run_export(project: Project, options: ExportOptions, command: str, progress: Progress | None,
                warn: Warn | None) -> ExportResult:
    from .. import __version__

    out = check_out(project, options.out)
    if "parquet" in options.formats:
        require_pyarrow()
    reader = CorpusReader(project, warn)
    outputs = Outputs(out, options)
    spill = Spill(outputs.partial)
    grouping = Grouping(str(outputs.partial))
    try:
        _first_pass(reader, spill, grouping, progress)
        corpus = reader.corpus()
        if options.mode == "annotator" and options.annotator not in corpus.annotators:
            raise AnnotateError(f"--labels: no label files by {options.annotator!r}"
                                f" (annotators: {', '.join(corpus.annotators) or 'none'})")
        splits = grouping.splits(options.seed, options.split)
        outputs.schema = Schema(corpus.annotators, corpus.tagset.names, corpus.meta_fields)
        builder = RowBuilder(options, corpus.annotators, corpus.tagset.names, corpus.meta_fields)
        counter = StatsCounter(options, corpus.annotators, corpus.tagset.names, splits)
        duplicates = _Duplicates(splits, options.dedupe)
        _second_pass(spill.documents(), spill.count, builder, splits, counter, duplicates, outputs, progress)
        spill.close()
        builder.tally.left_out["duplicates"] += duplicates.dropped
        if not counter.rows:
            left = ", ".join(f"{v} {k}" for k, v in sorted(builder.tally.left_out.items()) if v) or "nothing"
            raise AnnotateError(f"no rows to export with --labels {options.labels} (left out: {left})")
        stats = counter.stats(corpus, builder.tally, duplicates.texts, command, git_commit(project.root),
                              __version__, duplicates.rows)
        files = outputs.finish(render_card(stats), stats)
    except BaseException:
        spill.close()
        grouping.close()
        outputs.abandon()
        raise
    if warn:
        _warn_about(stats, corpus, warn)
    return ExportResult(out, files, stats)


def _warn_about(stats: dict[str, Any], corpus: Corpus, warn: Warn) -> None:
    groups = stats["groups"]
    if groups["largest"] > 1 and groups["largest"] * 2 > corpus.documents >= 10:
        top = groups["most_shared_texts"][0]
        warn(f"{groups['largest']} of {corpus.documents} documents are one group through shared sentences"
             f" (most shared: {top['text'][:60]!r} in {top['documents']} documents); splits cannot follow"
             " the targets")
    for name, s in stats["splits"].items():
        if s["target_percent"] and not s["rows"]:
            warn(f"split {name} ({s['target_percent']}%) got no rows: too few document groups")
