"""Who labels what: rendezvous (highest-random-weight) assignment, and the team's state document by document.

The draw. For a document ``d`` and an annotator ``a`` with share ``w > 0``,
``u = sha256(seed, d, a)`` mapped into (0, 1) and the score is ``-w / ln(u)`` (weighted
rendezvous hashing); the ``annotators_per_document`` highest scores get the document. It
needs no server and no state: every clone computes the same plan. Each document's draw is
independent of every other document, so adding documents moves no assignment. An
annotator added to the team takes a document only where they beat one of its current
annotators (about ``k/(n+1)`` of the documents for equal shares), and removing one moves
only the documents they had. A share of 0 takes no new document.

Work done counts. A team member who has labeled a document keeps it (their labels count
towards the document's annotators); the draw fills the places that are left. So a plan
never takes work away from anyone, and labels made before a change of the team stay where
they are. Labels by someone not in the project file are allowed: they are *unassigned
work*, shown, never counted towards the document's annotators. Without a project file
nobody is assigned anything and everyone may label everything (as before teams existed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import translate
from typing import Any

from ..models import GOLD, ProjectFile
from ..project import CACHE_DIR
from ..reading import FileProgress
from ..store import Document, Project, read_cache, write_cache
from .work import FileWork, ProjectWork, read_work

_MANTISSA = 2**53


def draw(seed: str | int, doc_id: str, annotator: str) -> float:
    """The uniform number in (0, 1) of one (document, annotator) pair: sha256 of seed, document and name.

    53 bits of the digest, so every value is exact in a float and never 0 or 1.
    """
    digest = hashlib.sha256(f"{seed}\x00{doc_id}\x00{annotator}".encode()).digest()
    return ((int.from_bytes(digest[:8], "big") >> 11) + 0.5) / _MANTISSA


def score(seed: str | int, doc_id: str, annotator: str, share: float) -> float:
    """The weighted rendezvous score ``-share / ln(u)``: the highest scores get the document."""
    return -share / math.log(draw(seed, doc_id, annotator))


class Draw:
    """A team's draw, document by document: :func:`ranking` and :func:`assigned_to` with the team read once.

    ``remembered``: rankings drawn before for this very team (see :func:`load_draw`), as indexes
    into :attr:`shares`; one of the wrong shape is drawn again.
    """

    def __init__(self, team: ProjectFile, remembered: dict[str, Any] | None = None) -> None:
        self.team = team
        members = team.members
        self.shares = [(m.name, m.share) for m in members if m.share > 0]
        self.names = {m.name for m in members}
        self.remembered = remembered or {}
        self.drawn: dict[str, list[int]] = {}
        """Every document's ranking asked for, as indexes into :attr:`shares` (what :func:`save_draw` keeps)."""
        self._indexes = set(range(len(self.shares)))
        self._names = [name for name, _ in self.shares]
        self.in_scope = scope_of(team)
        """True for a document the project file's ``documents:`` selects (see :func:`in_scope`)."""

    def ranking(self, doc_id: str) -> list[str]:
        """The annotators with a share above 0, best score first (ties, vanishingly rare, by name)."""
        order = self.remembered.get(doc_id)
        if not (type(order) is list and len(order) == len(self._names) and set(order) == self._indexes
                and set(map(type, order)) <= {int}):  # a permutation of the indexes (True == 1: types checked)
            seed, shares = self.team.seed, self.shares
            scored = [(score(seed, doc_id, name, share), name, k) for k, (name, share) in enumerate(shares)]
            scored.sort(key=lambda item: (-item[0], item[1]))
            order = [k for _, _, k in scored]
        self.drawn[doc_id] = order
        names = self._names
        return [names[k] for k in order]

    def assigned(self, doc_id: str, working: list[str], selected: bool | None = None) -> list[str]:
        """Who is assigned a document (see :func:`assigned_to`); ``selected``: :attr:`in_scope`, when known."""
        if not (self.in_scope(doc_id) if selected is None else selected):
            return []
        order = self.ranking(doc_id)
        needed = self.team.annotators_per_document
        if not working:  # most documents of a big project: nobody has started, the draw decides
            return order[:needed]
        kept = [a for a in order if a in working] + sorted(a for a in working if a in self.names and a not in order)
        for a in order:
            if len(kept) >= needed:
                break
            if a not in kept:
                kept.append(a)
        return kept


def ranking(team: ProjectFile, doc_id: str) -> list[str]:
    """The annotators with a share above 0, best score first (ties, vanishingly rare, by name)."""
    return Draw(team).ranking(doc_id)


def in_scope(team: ProjectFile, doc_id: str) -> bool:
    """True when the project file's ``documents:`` selects the document."""
    return scope_of(team)(doc_id)


def scope_of(team: ProjectFile) -> Callable[[str], bool]:
    """:func:`in_scope` for one team, its patterns compiled once (one regular expression each for include and
    exclude, as ``fnmatchcase`` matches them); every document when they are the default (include ``*``)."""
    sel = team.documents
    if "*" in sel.include and not sel.exclude:
        return lambda _doc_id: True
    include, exclude = _any_of(sel.include), _any_of(sel.exclude)
    return lambda doc_id: include(doc_id) is not None and exclude(doc_id) is None


def _any_of(patterns: list[str]) -> Callable[[str], re.Match[str] | None]:
    """A match of any of the fnmatch ``patterns`` (none: never)."""
    if not patterns:
        return lambda _text: None
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns)).match


DRAW_CACHE = "draw.json"
"""Every document's ranking for the team, in ``.annotate/cache/`` (drawing 10,000 documents for 10 annotators
takes 100,000 sha256 digests; reading them back, a JSON file)."""


def _team_key(team: ProjectFile) -> list[Any]:
    return [str(team.seed), [[m.name, m.share] for m in team.members if m.share > 0]]


def load_draw(project: Project, team: ProjectFile) -> Draw:
    """The team's draw, with the rankings remembered for this very team (seed, names and shares) when there are."""
    remembered = None
    with contextlib.suppress(OSError, ValueError, RecursionError):
        data = json.loads(read_cache(project.root / CACHE_DIR / DRAW_CACHE, project.root) or b"{}")
        if type(data) is dict and data.get("team") == _team_key(team) and type(data.get("rankings")) is dict:
            remembered = data["rankings"]
    return Draw(team, remembered)


def save_draw(project: Project, draw: Draw) -> None:
    """Keep the rankings drawn (best effort) when they are not those remembered."""
    if draw.drawn != draw.remembered:
        payload = {"team": _team_key(draw.team), "rankings": draw.drawn}
        write_cache(project.root / CACHE_DIR / DRAW_CACHE, json.dumps(payload).encode(), project.root)


def plan(team: ProjectFile, doc_ids: list[str]) -> dict[str, list[str]]:
    """The draw alone: each selected document's ``annotators_per_document`` best-ranked annotators."""
    k = team.annotators_per_document
    draw = Draw(team)
    return {d: draw.ranking(d)[:k] for d in doc_ids if draw.in_scope(d)}


def assigned_to(team: ProjectFile, doc_id: str, working: list[str]) -> list[str]:
    """Who is assigned a document: team members who have worked on it keep it, the draw fills the places left.

    ``working``: annotators with labels on the document. Those in the team come first (in
    the draw's order, share-0 members after), then the best-ranked others until there are
    ``annotators_per_document``. More than that when more team members have worked on it.
    """
    return Draw(team).assigned(doc_id, working)


# --------------------------------------------------------------------------- the team's state


@dataclass
class DocumentState:
    """One document: who should label it, who has, and how far the review is."""

    doc: Document
    needed: int
    """Annotators the document needs (0 when not selected by the project file, or without one)."""
    assigned: list[str]
    """Team members who should label it (see :func:`assigned_to`)."""
    files: dict[str, FileWork] = field(default_factory=dict)
    """Every label file of the document by annotator (gold under ``gold``)."""

    @property
    def document(self) -> str:
        """The document id."""
        return self.doc.id

    @property
    def working(self) -> list[str]:
        """Everyone with labels on the document (or a file that cannot be read), gold left out."""
        return sorted(a for a, fw in self.files.items() if a != GOLD and fw.has_work)

    @property
    def unassigned(self) -> list[str]:
        """People with labels on the document who are not assigned it (not in the team, or not selected)."""
        return [a for a in self.working if a not in self.assigned]

    @property
    def done(self) -> list[str]:
        """Annotators (assigned or not) who have labeled every sentence."""
        return sorted(a for a, fw in self.files.items() if a != GOLD and fw.finished)

    def progress(self, annotator: str) -> FileProgress | None:
        """An annotator's progress on the document (None: no label file)."""
        fw = self.files.get(annotator)
        return fw.progress if fw is not None else None

    @property
    def gold(self) -> FileWork | None:
        """The reviewer's decisions (``labels/<doc>/gold.yaml``), if any."""
        return self.files.get(GOLD)

    @property
    def adjudicated(self) -> bool:
        """True when every sentence has a gold label."""
        gold = self.gold
        return gold is not None and gold.finished

    @property
    def labeled_by_all(self) -> bool:
        """True when the document has its annotators and every one of them has finished.

        With a project file: at least ``needed`` assigned, every assigned annotator done.
        Without: at least one annotator, every annotator with labels done.
        """
        who = self.assigned if self.needed else self.working
        if not who or len(who) < self.needed:
            return False
        return all(self.files.get(a) is not None and self.files[a].finished for a in who)

    @property
    def ready_for_review(self) -> bool:
        """Every (assigned) annotator is done and the gold labels are not complete yet."""
        return self.labeled_by_all and not self.adjudicated


@dataclass
class TeamState:
    """The project's team (None without a project file), every label file summed up, and each document's state.

    Built once by :func:`team_state`; queues (:mod:`.queues`) and figures (:mod:`.figures`) read it.
    """

    project: Project
    team: ProjectFile | None
    work: ProjectWork
    documents: dict[str, DocumentState]

    @property
    def members(self) -> list[str]:
        """The team's annotators, in the project file's order (empty without one)."""
        return [m.name for m in self.team.members] if self.team else []

    @property
    def reviewers(self) -> list[str]:
        """The team's reviewers (empty without a project file)."""
        return list(self.team.reviewers) if self.team else []

    def assigned(self, annotator: str) -> list[DocumentState]:
        """The documents assigned to an annotator, in document order."""
        return [d for d in self.documents.values() if annotator in d.assigned]

    def coverage_problems(self) -> list[tuple[DocumentState, str]]:
        """Documents with fewer or more annotators than they need, each with ``fewer`` or ``more``.

        ``fewer``: fewer assigned than ``annotators_per_document`` (the team has fewer annotators
        with a share above 0). ``more``: more people worked on it than it needs: team members
        beyond the number, or anyone outside the assignment (work on a document the project file
        does not select is more than its 0). Empty without a project file.
        """
        if self.team is None:
            return []
        out = []
        for d in self.documents.values():
            if len(d.assigned) < d.needed:
                out.append((d, "fewer"))
            elif len(set(d.assigned) | set(d.working)) > d.needed:
                out.append((d, "more"))
        return out


def team_state(project: Project, work: ProjectWork | None = None, team: ProjectFile | None = None,
               dated: bool = False, figures: bool = True) -> TeamState:
    """The team's state: project file, every label file summed up (``work``, read when not given), assignments.

    ``team`` defaults to the project's ``annotate.yaml`` (a broken one is an AnnotateError).
    ``dated`` also dates every file's work (git or mtime, see :mod:`.activity`): the figures need it.
    ``figures=False`` reads progress alone (see :func:`.work.read_work`): enough for queues and the plan.
    """
    from .projectfile import load_project_file

    team = team if team is not None else load_project_file(project)
    work = work if work is not None else read_work(project, figures=figures)
    if dated:
        from .activity import date_work

        date_work(project, (fw for files in work.files.values() for fw in files.values()))
    documents = {}
    draw = load_draw(project, team) if team is not None else None
    for doc_id, doc in work.documents.items():
        files = work.of(doc_id)
        if draw is None or team is None:
            documents[doc_id] = DocumentState(doc, 0, [], files)
            continue
        working = [a for a, fw in files.items() if a != GOLD and fw.has_work]
        selected = draw.in_scope(doc_id)
        needed = team.annotators_per_document if selected else 0
        documents[doc_id] = DocumentState(doc, needed, draw.assigned(doc_id, working, selected), files)
    if draw is not None:
        save_draw(project, draw)
    return TeamState(project, team, work, documents)
