"""Progress and quality per annotator, as JSON-ready figures (``annotate status --by annotator``, report, dashboard).

Every figure carries the number of items behind it, and one that cannot be computed is
null with the reason, in :class:`annotate.agreement.Figure`'s shape
(``{value, units, reason, excluded}``):

- ``unsure_rate``: labeled sentences flagged unsure / labeled sentences;
- ``median_seconds_per_sentence``: the median of the ``seconds`` recorded on labeled sentences;
- ``labels_per_hour``: labeled sentences that record seconds / their seconds, times 3,600;
- agreement with each other annotator: Cohen's kappa and % agreement over the sentences both
  labeled (:mod:`annotate.agreement`);
- against gold (``labels/<doc>/gold.yaml``): accuracy (share of the sentences both labeled
  where the label equals gold) and Cohen's kappa.

``last_activity`` and the throughput over time date each file by :mod:`.activity` (the
author time of its last commit in git, else its modification time): a file's labels count on
the day it last changed, an approximation for files labeled over several days.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from ..agreement import Figure, PairCounts
from ..models import GOLD
from .assign import TeamState
from .queues import DONE, IN_PROGRESS, NOT_STARTED, UNASSIGNED_WORK, queue_counts
from .work import FileWork

NO_LABELS = "no labeled sentence"
NO_SECONDS = "no labeled sentence records seconds"
NO_GOLD = "no sentence labeled by both this annotator and gold"


def iso(when: float | None) -> str | None:
    """A time as ISO 8601 in UTC (``2025-03-01T09:30:00Z``), or None."""
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def people(state: TeamState) -> list[str]:
    """Who the figures are about: the team's annotators in the project file's order, then anyone else with work."""
    others = {a for files in state.work.files.values() for a, fw in files.items() if a != GOLD and fw.has_work}
    members = state.members
    return members + sorted(others - set(members))


@dataclass
class Tables:
    """What every two annotators (and each annotator with gold) labeled of the sentences of the documents they share.

    ``pair(a, b)``: a's and b's labels on the sentences both labeled (a confusion count) and how
    many sentences only one of them labeled, summed over the documents (each document's counts
    come from :mod:`annotate.summaries`, cached with it).
    """

    tables: dict[tuple[str, str], PairCounts]

    @classmethod
    def of(cls, state: TeamState) -> Tables:
        """The tables of a team's state."""
        tables: dict[tuple[str, str], PairCounts] = {}
        for pairs in state.work.pairs.values():
            for key, counts in pairs.items():
                found = tables.get(key)
                if found is None:
                    found = tables[key] = PairCounts()
                found.merge(counts)
        return cls(tables)

    def pair(self, a: str, b: str) -> PairCounts:
        """The counts of two annotators (either order; gold as ``b``); empty when they share no document."""
        if b != GOLD and b < a:
            return self.tables.get((b, a), PairCounts()).swapped()
        return self.tables.get((a, b), PairCounts())


def confusion_of(tables: Tables, a: str, b: str, labels: list[str] | None = None) -> dict[str, dict[str, int]]:
    """The confusion matrix of ``a`` (rows) against ``b`` (columns, may be gold) over the sentences both labeled."""
    return tables.pair(a, b).confusion(labels)


def shared_pairs(result: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Of :func:`annotator_status`'s figures: each annotator with gold (when both labeled a sentence), and every
    pair of annotators sharing sentences, those sharing the most first (for confusion matrices)."""
    rows = result["annotators"]
    with_gold = [(a["annotator"], GOLD) for a in rows if a["gold"]["sentences"]]
    shared = sorted(((fig["sentences"], a["annotator"], b) for a in rows for b, fig in a["agreement"].items()
                     if a["annotator"] < b and fig["sentences"]), key=lambda t: (-t[0], t[1], t[2]))
    return with_gold, [(a, b) for _, a, b in shared]


def _rate(part: int, whole: int, reason: str) -> Figure:
    return Figure(part / whole, whole) if whole else Figure(None, 0, reason)


def _speed(seconds: list[float]) -> tuple[Figure, Figure]:
    """(median seconds per sentence, labels per hour) over the labeled sentences that record seconds."""
    n = len(seconds)
    if not n:
        return Figure(None, 0, NO_SECONDS), Figure(None, 0, NO_SECONDS)
    total = sum(seconds)
    per_hour = Figure(n * 3600 / total, n) if total > 0 else Figure(None, n, "every recorded time is 0 seconds")
    return Figure(statistics.median(seconds), n), per_hour


def _last(files: list[FileWork]) -> dict[str, Any] | None:
    dated = [fw for fw in files if fw.time is not None]
    if not dated:
        return None
    newest = max(dated, key=lambda fw: fw.time or 0.0)
    return {"time": iso(newest.time), "source": newest.time_source, "document": newest.document}


def annotator_row(state: TeamState, tables: Tables, name: str, others: list[str],
                  files: list[FileWork] | None = None, queue: dict[str, int] | None = None) -> dict[str, Any]:
    """One annotator's figures (see the module's docstring).

    ``files``: the annotator's label files, ``queue``: their :func:`.queues.queue_counts`, when the caller has them.
    """
    if files is None:
        files = [fw for d in state.documents.values() if (fw := d.files.get(name)) is not None]
    queue = queue if queue is not None else queue_counts(state, [name])[name]
    worked = [fw for fw in files if fw.has_work]
    team = state.team
    member = next((m for m in team.members if m.name == name), None) if team else None
    labels = sum(fw.labeled for fw in worked)
    seconds = list(chain.from_iterable(fw.seconds for fw in worked))
    median, per_hour = _speed(seconds)
    mix: Counter[str] = Counter()
    for fw in worked:
        mix.update(fw.label_counts)
    row: dict[str, Any] = {
        "annotator": name,
        "in_team": member is not None if team else None,
        "share": member.share if member else None,
        "assigned": queue[IN_PROGRESS] + queue[NOT_STARTED] + queue[DONE] if team else None,
        "done": queue[DONE] if team else sum(fw.finished for fw in worked),
        "in_progress": queue[IN_PROGRESS] if team else sum(not fw.finished for fw in worked),
        "not_started": queue[NOT_STARTED] if team else None,
        "unassigned_documents": queue[UNASSIGNED_WORK] if team else 0,
        "errors": [fw.error for fw in files if fw.error],
        "labels": labels,
        "label_counts": dict(sorted(mix.items())),
        "unsure_rate": _rate(sum(fw.unsure_labeled for fw in worked), labels, NO_LABELS).to_json(),
        "median_seconds_per_sentence": median.to_json(),
        "labels_per_hour": per_hour.to_json(),
        "last_activity": _last(worked),
        "agreement": {},
        "gold": {},
    }
    for other in others:
        if other == name:
            continue
        counts = tables.pair(name, other)
        kappa = counts.cohen()
        row["agreement"][other] = {"sentences": kappa.units, "cohen_kappa": kappa.to_json(),
                                   "percent_agreement": counts.percent().to_json()}
    counts = tables.pair(name, GOLD)
    accuracy = counts.percent()
    if accuracy.value is None:
        accuracy = Figure(None, accuracy.units, NO_GOLD, accuracy.excluded)
    kappa = counts.cohen()
    if not kappa.units:
        kappa = Figure(None, 0, NO_GOLD, kappa.excluded)
    row["gold"] = {"sentences": accuracy.units, "accuracy": accuracy.to_json(), "cohen_kappa": kappa.to_json()}
    return row


def reviewer_rows(state: TeamState) -> list[dict[str, Any]]:
    """Per reviewer: sentences decided (signed ``reviewer:`` in gold files) and in how many documents."""
    decided: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for d in state.documents.values():
        gold = d.gold
        if gold is None:
            continue
        for reviewer, n in gold.reviewers.items():
            decided[reviewer] += n
            documents[reviewer] += 1
    names = state.reviewers + sorted(set(decided) - set(state.reviewers))
    return [{"reviewer": r, "in_team": (r in state.reviewers) if state.team else None, "decided": decided[r],
             "documents": documents[r]} for r in names]


def throughput(state: TeamState, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per annotator and day (UTC): labels and documents, each file counted on the day it last changed."""
    by_name: dict[str, dict[int, list[int]]] = {name: {} for name in names}
    for files in state.work.files.values():
        for name, fw in files.items():
            days = by_name.get(name)
            if days is None or not fw.labeled or fw.time is None:
                continue
            tally = days.setdefault(int(fw.time // 86400), [0, 0])  # POSIX days: the UTC date
            tally[0] += fw.labeled
            tally[1] += 1
    return {name: [{"date": _day(day), "labels": n, "documents": k} for day, (n, k) in sorted(days.items())]
            for name, days in by_name.items()}


def _day(day: int) -> str:
    """The UTC date of a POSIX day number (days since 1970-01-01)."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).strftime("%Y-%m-%d")


def document_counts(state: TeamState) -> dict[str, int]:
    """How many documents there are, are selected, labeled by all their annotators, ready for review, adjudicated."""
    docs = list(state.documents.values())
    return {
        "total": len(docs),
        "selected": sum(1 for d in docs if d.needed) if state.team else len(docs),
        "started": sum(1 for d in docs if d.working),
        "labeled_by_all": sum(1 for d in docs if d.labeled_by_all),
        "ready_for_review": sum(1 for d in docs if d.ready_for_review),
        "adjudicated": sum(1 for d in docs if d.adjudicated),
        "with_unassigned_work": sum(1 for d in docs if d.unassigned) if state.team else 0,
    }


def annotator_status(state: TeamState, tables: Tables | None = None) -> dict[str, Any]:
    """The whole ``annotate status --by annotator --json`` report (``tables``: :meth:`Tables.of` the state, when
    the caller has them already).

    Keys: ``project_file`` (its name, or null without one), ``annotators_per_document``,
    ``documents`` (see :func:`document_counts`), ``annotators`` (one row each, see
    :func:`annotator_row`), ``reviewers``, ``throughput`` (per annotator and day) and
    ``dated_by`` (how times are found).
    """
    from .projectfile import PROJECT_FILE

    names = people(state)
    tables = tables if tables is not None else Tables.of(state)
    files = state.work.annotator_files()
    queues = queue_counts(state, names)
    return {
        "project_file": PROJECT_FILE if state.team else None,
        "annotators_per_document": state.team.annotators_per_document if state.team else None,
        "documents": document_counts(state),
        "annotators": [annotator_row(state, tables, name, names, files.get(name, []), queues[name])
                       for name in names],
        "reviewers": reviewer_rows(state),
        "throughput": throughput(state, names),
        "dated_by": "author time of the file's last commit when git tracks it unchanged, else its mtime",
    }


def plan_data(state: TeamState) -> dict[str, Any]:
    """The plan as ``annotate assign --json`` prints it: the project file, counts, per annotator, per document.

    ``plan``: one entry per document with ``needed``, ``assigned`` (in the draw's order, those who
    worked on it first), ``unassigned`` (people with labels on it who are not assigned) and
    ``status`` (each of them: ``in progress``, ``not started`` or ``done``).
    """
    from .projectfile import data_of
    from .queues import status_of

    assert state.team is not None
    names = people(state)
    queues = queue_counts(state, names)
    members = {m.name: m for m in state.team.members}
    rows = []
    for name in names:
        queue, member = queues[name], members.get(name)
        rows.append({"annotator": name, "in_team": member is not None, "share": member.share if member else None,
                     "assigned": queue[IN_PROGRESS] + queue[NOT_STARTED] + queue[DONE], "done": queue[DONE],
                     "in_progress": queue[IN_PROGRESS], "not_started": queue[NOT_STARTED],
                     "unassigned_documents": queue[UNASSIGNED_WORK]})
    plan = []
    for d in state.documents.values():
        who = d.assigned + d.unassigned
        plan.append({"document": d.document, "needed": d.needed, "assigned": d.assigned, "unassigned": d.unassigned,
                     "status": {a: status_of(d.progress(a)) for a in who}})
    return {"project_file": data_of(state.team), "documents": document_counts(state), "annotators": rows,
            "plan": plan}
