"""What the home screen lists, and reading it fast: every document with this user's progress (with a project file, in
the order of their queue), remembered from last time while nothing it comes from has changed.

The home screen of 10,000 documents needs every label file's summary (:mod:`annotate.summaries`),
the plan of ``annotate.yaml`` and the user's queue: several times a directory listing, read
back from the cache. Like the team commands (:mod:`annotate.remembered`), the home screen keeps
what it showed in ``.annotate/cache/home-<user>.json`` under a key: the listing's digest (name,
size and time of every source, metadata file, label file, journal and boundary file), the
project file's bytes, the user, the role and the tool's version. While the key holds, the rows
are those of last time; they are never shown before the walk has checked that it holds.

The walk can run on another core while the screen starts (:func:`annotate.listing.prefetch_walk`,
called by the command before it imports Textual, which also starts :func:`read_ahead`): what
remains for the screen is reading the rows back, on a thread while Textual is imported.

What is read back is project content (``.annotate/`` may come from anyone): a file that is not
of the expected shape, with printable text, whole numbers and names of documents under
``seeds/``, is not used (the rows are computed again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import AnnotateError
from .listing import Listing, list_project, listing_digest, take_walk, walk_ready
from .models import GOLD
from .project import CACHE_DIR, Document, Project
from .reading import FileProgress
from .safefs import read_cache, read_if_there, write_cache
from .summaries import About, FileSummary
from .team import PROJECT_FILE
from .team.assign import DocumentState
from .team.queues import DONE, IN_PROGRESS, NOT_STARTED, Queue, QueueItem, annotator_queue, review_queue, status_of
from .team.queues import IN_REVIEW as QUEUE_IN_REVIEW

if TYPE_CHECKING:
    from .team.assign import TeamState
    from .team.work import ProjectWork


@dataclass
class DocProgress:
    """One row of the home screen: a document and this annotator's progress on it (None: not started)."""

    doc: Document
    progress: FileProgress | None = None
    unreadable: str | None = None
    """Why the source cannot be read (empty, binary, not UTF-8), when it cannot."""
    section: str | None = None
    """With a project file: where the document stands for this user (see :data:`SECTIONS`); None without one."""
    team: DocumentState | None = None
    """With a project file: who is assigned the document and where each stands."""
    about: About | None = None
    """What its metadata file says (title, outlet, date, url), or why it cannot be used; None: it has none."""

    @property
    def title(self) -> str:
        """The document's title from its metadata ("" when it has none)."""
        return (self.about.title or "") if self.about is not None else ""

    @property
    def error(self) -> str | None:
        """Why the document cannot be opened: its source, or its label file, cannot be read."""
        if self.unreadable:
            return self.unreadable
        return self.progress.error if self.progress else None

    @property
    def fraction(self) -> float:
        """Share of sentences labeled (0 when not started)."""
        p = self.progress
        return p.labeled / p.total if p and p.total else 0.0

    @property
    def finished(self) -> bool:
        """True when every sentence is labeled."""
        return bool(self.progress and self.progress.finished)


def plain_rows(work: ProjectWork, annotator: str) -> list[DocProgress]:
    """Every document in id order with ``annotator``'s progress, whether its source can be read, its metadata."""
    rows = []
    for doc_id, doc in work.documents.items():
        fw = work.of(doc_id).get(annotator)
        rows.append(DocProgress(doc, fw.progress if fw is not None else None, work.unreadable.get(doc_id),
                                about=work.about.get(doc_id)))
    return rows


def document_progress(project: Project, annotator: str) -> list[DocProgress]:
    """Progress of ``annotator`` on every document, for the sources as they are now (without a project file).

    From the cached per-file summaries (:func:`annotate.team.work.read_work`). A source that
    cannot be read is reported with the reason, not as "not started".
    """
    from .team.work import read_work

    return plain_rows(read_work(project, figures=False), annotator)


IN_REVIEW, TO_REVIEW, UNASSIGNED, NOT_YOURS = "in review", "to review", "unassigned", "not yours"

SECTIONS = (IN_REVIEW, TO_REVIEW, IN_PROGRESS, NOT_STARTED, DONE, UNASSIGNED, NOT_YOURS)
"""The sections of the home screen with a project file, in order: ready for review (reviewers only; gold
started, then not), this user's queue (in progress, not started, done), then every other document: those
they labeled without being assigned them (unassigned work), and those not theirs."""


def reviews(annotator: str, role: str | None, reviewers: list[str]) -> bool:
    """True when this user sees the documents ready for review: role reviewer, or, when the role is not set,
    named among the reviewers of ``annotate.yaml``."""
    if role == "reviewer":
        return True
    return role is None and annotator in reviewers


@dataclass
class TeamView:
    """What the home screen shows with a project file: this user's queue, what to review, the rows."""

    queue: Queue
    review: list[QueueItem]
    """The documents ready for review (empty unless this user reviews)."""
    rows: list[DocProgress]
    """Every document, in section order (see :data:`SECTIONS`)."""
    reviewer: bool = False
    """This user reviews (see :func:`reviews`)."""


def team_view(state: TeamState, annotator: str, reviewer: bool) -> TeamView:
    """The rows of the home screen for a team's state: review first (for a reviewer), the queue, the others."""
    queue = annotator_queue(state, annotator)
    review = review_queue(state) if reviewer else []
    rows: dict[str, DocProgress] = {}
    for item in review:  # the progress shown is the review's (the gold file's)
        section = IN_REVIEW if item.status == QUEUE_IN_REVIEW else TO_REVIEW
        rows[item.doc.id] = DocProgress(item.doc, item.progress, section=section, team=item.state)
    for item in queue.items:
        rows.setdefault(item.doc.id, DocProgress(item.doc, item.progress, section=item.status, team=item.state))
    for item in queue.others:
        section = NOT_YOURS if item.status == NOT_STARTED else UNASSIGNED
        rows.setdefault(item.doc.id, DocProgress(item.doc, item.progress, section=section, team=item.state))
    work = state.work
    for r in rows.values():
        r.unreadable, r.about = work.unreadable.get(r.doc.id), work.about.get(r.doc.id)
    return TeamView(queue, review, list(rows.values()), reviewer)


@dataclass
class HomeRows:
    """One read of the home screen's rows."""

    view: TeamView | None
    """With a usable project file: the queue, what to review, the rows in section order."""
    plain: list[DocProgress]
    """Without a usable project file (none, or ``error``): every document in id order."""
    error: str | None = None
    """Why the project file cannot be used (``annotate.yaml:7: ...``)."""

    @property
    def rows(self) -> list[DocProgress]:
        """The rows, in the order shown."""
        return self.view.rows if self.view is not None else self.plain


def compute_rows(project: Project, annotator: str, role: str | None, listing: Listing | None = None) -> HomeRows:
    """The rows from the label files' summaries (cached per file; see :mod:`annotate.summaries`). ``listing``: the
    walk, when the caller has just made it."""
    from .team import team_state
    from .team.work import read_work

    work = read_work(project, figures=False, listing=listing)
    try:
        state = team_state(project, work)
    except AnnotateError as exc:
        return HomeRows(None, plain_rows(work, annotator), str(exc))
    if state.team is None:
        return HomeRows(None, plain_rows(state.work, annotator))
    return HomeRows(team_view(state, annotator, reviews(annotator, role, list(state.team.reviewers))), [])


# --------------------------------------------------------------------------- remembered


FORMAT = 2
"""Part of the key: bump it when what is remembered, or how it is shown, changes."""


def remembered_name(annotator: str, role: str | None) -> str:
    """The cache file's name for one user (each user of a served project has their own)."""
    return "home-" + hashlib.sha256(f"{annotator}\0{role}".encode()).hexdigest()[:16]


def home_key(project: Project, digest: str, annotator: str, role: str | None) -> list[Any]:
    """What the rows depend on: the listing's digest, the project file's bytes, the user and role, the version."""
    try:
        found = read_if_there(project.root / PROJECT_FILE, project.root)
    except (OSError, AnnotateError):  # a link out, or unreadable: computing again says why
        found = b"\0unreadable"
    team = hashlib.sha256(found).hexdigest() if found is not None else None
    return [FORMAT, __version__, digest, team, annotator, role]


def read_rows(project: Project, annotator: str, role: str | None,
              shown: Callable[[HomeRows], object] = lambda rows: None) -> HomeRows:
    """The home screen's rows: remembered when nothing they come from changed (checked by a walk of the project:
    the prefetched one, see :func:`annotate.listing.prefetch_walk`, else one made here), else computed and
    remembered. ``shown(rows)`` is called with the rows once they are known (and remembered)."""
    key = _missed.pop((project.root, annotator, role), None)  # rows_if_ready found them changed: no walk again
    listing = None
    if key is None:
        key, rows, listing = _checked(project, annotator, role)
        if rows is not None:
            shown(rows)
            return rows
    rows = compute_rows(project, annotator, role, listing)
    payload = json.dumps({"key": key, "rows": rows_to_json(rows, project)}, ensure_ascii=False)
    write_cache(_path(project, annotator, role), payload.encode("utf-8"), project.root)  # a quit at once keeps them
    shown(rows)
    return rows


def rows_if_ready(project: Project, annotator: str, role: str | None, wait: float = 0.05) -> HomeRows | None:
    """The remembered rows, when the read ahead (:func:`read_ahead`) and the prefetched walk are done within
    ``wait`` seconds and found nothing changed; else None (and :func:`read_rows` does the rest, off this thread).

    The home screen asks on mount: rows known before its first frame are in it.
    """
    early = _early.get((project.root, annotator, role))
    if early is None or not walk_ready(project, wait):
        return None
    early[0].join(wait)
    if early[0].is_alive():
        return None
    key, rows, _ = _checked(project, annotator, role)
    if rows is None:
        _missed[(project.root, annotator, role)] = key
    return rows


_missed: dict[tuple[Path, str, str | None], list[Any]] = {}


def _path(project: Project, annotator: str, role: str | None) -> Path:
    return project.root / CACHE_DIR / f"{remembered_name(annotator, role)}.json"


def _checked(project: Project, annotator: str, role: str | None
             ) -> tuple[list[Any], HomeRows | None, Listing | None]:
    """The key of the project as it is now, the rows remembered under it (None: none, or another key), and the
    walk when it was made here (None: prefetched, on another core)."""
    early = _take_early(project, annotator, role)
    stored_key, rows = early if early is not None else _recall(project, _path(project, annotator, role))
    walked = take_walk(project)  # meanwhile, the walk went on (prefetched: on another core)
    listing = list_project(project, stat=True) if walked is None else None
    digest = walked.digest if walked is not None else listing_digest(listing)  # type: ignore[arg-type]
    key = home_key(project, digest, annotator, role)
    return key, (rows if rows is not None and stored_key == key else None), listing


_early: dict[tuple[Path, str, str | None], tuple[threading.Thread, list[Any]]] = {}


def read_ahead(project: Project, annotator: str, role: str | None) -> None:
    """Start reading the remembered rows on a thread, for :func:`read_rows` to take (the command calls this right
    after :func:`annotate.listing.prefetch_walk`, before it imports Textual: the rows are read while it does)."""
    key = (project.root, annotator, role)
    if key in _early:
        return
    path = _path(project, annotator, role)
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.append(_recall(project, path)), name="home-rows", daemon=True)
    _early[key] = (thread, found)
    thread.start()


def _take_early(project: Project, annotator: str, role: str | None) -> tuple[Any, HomeRows | None] | None:
    early = _early.pop((project.root, annotator, role), None)
    if early is None:
        return None
    thread, found = early
    thread.join()
    return found[0] if found else None


def _recall(project: Project, path: Path) -> tuple[Any, HomeRows | None]:
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        data = json.loads(read_cache(path, project.root) or b"{}")
        if type(data) is dict and "key" in data:
            return data["key"], rows_from_json(data.get("rows"), project)
    return None, None


# --------------------------------------------------------------------------- as JSON
#
# {"error": str | null, "team": bool, "rows": [row, ...] (in the order shown), and with a project file
#  "reviewer": bool, "in_team": bool, "annotator": str,
#  "queue": [[row numbers in progress], [not started], [done], [others]], "review": [row numbers]}
# A row without a project file: [doc id, source path under the root, progress | null, unreadable | null, about];
# with one: [doc id, source path, section, unreadable | null, about, needed, [assigned], {annotator or gold:
# progress}] (the progress shown is the user's file's, or gold's in the review sections).
# progress: [labeled, total, unsure, orphans, stale, error | null]; about: null or [title, outlet, date, url,
# error], each str | null.


def _progress(p: FileProgress | None) -> list[Any] | None:
    return None if p is None else [p.labeled, p.total, p.unsure, p.orphans, p.stale, p.error]


def _about(a: About | None) -> list[Any] | None:
    return None if a is None else [a.title, a.outlet, a.date, a.url, a.error]


def rows_to_json(rows: HomeRows, project: Project) -> dict[str, Any]:
    """``rows`` as plain JSON (see the format above)."""
    root = str(project.root) + os.sep
    out_rows: list[list[Any]] = []
    for r in rows.rows:
        path = str(r.doc.path)
        path = path[len(root):] if path.startswith(root) else path  # not under the root: refused when read back
        d = r.team
        if d is None:
            out_rows.append([r.doc.id, path, _progress(r.progress), r.unreadable, _about(r.about)])
        else:
            out_rows.append([r.doc.id, path, r.section, r.unreadable, _about(r.about), d.needed, list(d.assigned),
                             {name: _progress(fw) for name, fw in d.files.items()}])
    view = rows.view
    data: dict[str, Any] = {"error": rows.error, "team": view is not None, "rows": out_rows}
    if view is not None:
        index = {r.doc.id: k for k, r in enumerate(rows.rows)}
        q = view.queue
        data.update(reviewer=view.reviewer, in_team=q.in_team, annotator=q.annotator,
                    queue=[[index[item.doc.id] for item in part]
                           for part in (q.in_progress, q.not_started, q.done, q.others)],
                    review=[index[item.doc.id] for item in view.review])
    return data


class _Bad(ValueError):
    """What was read back is not of the expected shape."""


def _text(x: Any) -> str | None:
    if x is None:
        return None
    if type(x) is not str or not x.isprintable():
        raise _Bad
    return x


def _name(x: Any) -> str:
    if type(x) is not str or not x or not x.isprintable():
        raise _Bad
    return x


def _count(x: Any) -> int:
    if type(x) is not int or x < 0:
        raise _Bad
    return x


def _figures(x: Any) -> list[Any]:
    """A progress as written (see the format above), checked: four counts, a flag, an error or null."""
    labeled, total, unsure, orphans, stale, error = x
    if (type(labeled) is not int or type(total) is not int or type(unsure) is not int or type(orphans) is not int
            or labeled < 0 or total < 0 or unsure < 0 or orphans < 0 or type(stale) is not bool
            or (error is not None and (type(error) is not str or not error.isprintable()))):
        raise _Bad
    return x  # type: ignore[no-any-return]


def _about_from(x: Any) -> About | None:
    if x is None:
        return None
    if type(x) is not list or len(x) != 5:
        raise _Bad
    return About(*(_text(v) for v in x))


def rows_from_json(data: Any, project: Project) -> HomeRows | None:
    """The rows written by :func:`rows_to_json`, or None when ``data`` is not of that shape."""
    try:
        if type(data) is not dict or type(data["rows"]) is not list or type(data["team"]) is not bool:
            return None
        return _team_rows(data, project) if data["team"] else _plain_rows(data, project)
    except (ValueError, TypeError, KeyError, IndexError):  # _Bad is a ValueError
        return None


class _Sources:
    """Source paths read back: under ``seeds/``, never up a folder; made into paths (cheaply: most are one name)."""

    def __init__(self, project: Project) -> None:
        self.root, self.seeds = project.root, project.root / "seeds"
        self.ids: set[str] = set()
        # seeds / name, without parsing a name known to be one part (10,000 paths: ~15 ms less where
        # pathlib has it; see test_home_remembered for the check that both make the same path)
        self.child: Callable[[str], Path] = getattr(self.seeds, "_make_child_relpath", self.seeds.joinpath)

    def __call__(self, doc_id: Any, path: Any) -> Document:
        if type(doc_id) is not str or not doc_id or not doc_id.isprintable() or doc_id in self.ids \
                or type(path) is not str or not path.startswith("seeds/") or not path.isprintable():
            raise _Bad
        self.ids.add(doc_id)
        name = path[6:]
        if "/" not in name and name not in ("", ".", ".."):
            return Document(doc_id, self.child(name))
        if ".." in name.split("/"):
            raise _Bad
        return Document(doc_id, self.root / path)


def _plain_rows(data: dict[str, Any], project: Project) -> HomeRows:
    document = _Sources(project)
    rows = [DocProgress(document(doc_id, path), None if progress is None else FileProgress(*_figures(progress)),
                        _text(unreadable), None, None, _about_from(about))
            for doc_id, path, progress, unreadable, about in data["rows"]]
    return HomeRows(None, rows, _text(data["error"]))


class _Row(DocProgress):
    """A row read back (:func:`rows_from_json`), its figures checked: who is assigned and each one's file (its
    :class:`DocumentState`) made when first asked for (the detail line of the selected row, ``n``), not for all
    10,000 rows before the first frame."""

    @property  # type: ignore[override]
    def team(self) -> DocumentState | None:
        found = self.__dict__
        if "team" not in found:
            doc, needed, assigned, files = found.pop("_raw")
            made = {n: FileSummary(*p, annotator=n, document=doc.id) for n, p in files.items()}  # type: ignore[misc]
            found["team"] = DocumentState(doc, needed, assigned, made)
        return found["team"]  # type: ignore[no-any-return]

    @team.setter
    def team(self, value: DocumentState | None) -> None:
        self.__dict__["team"] = value


class _Item(QueueItem):
    """A queue's item read back: its document's state is its row's (made when first asked for)."""

    @property  # type: ignore[override]
    def state(self) -> DocumentState:
        found = self.__dict__
        if "state" not in found:
            found["state"] = found.pop("_row").team
        return found["state"]  # type: ignore[no-any-return]

    @state.setter
    def state(self, value: DocumentState) -> None:
        self.__dict__["state"] = value


def _made(cls: type[Any], **fields: Any) -> Any:
    """An instance of ``cls`` with these attributes, without its __init__ (the lazy parts are not fields)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _team_rows(data: dict[str, Any], project: Project) -> HomeRows:
    if data["error"] is not None or type(data["reviewer"]) is not bool or type(data["in_team"]) is not bool:
        raise _Bad
    annotator = _name(data["annotator"])
    document = _Sources(project)
    rows: list[_Row] = []
    own: list[FileSummary | None] = []
    """Each row's file of this user (what a queue's item shows; the row shows gold's in the review sections)."""
    review_sections = (IN_REVIEW, TO_REVIEW)
    for doc_id, path, section, unreadable, about, needed, assigned, files in data["rows"]:
        if section not in SECTIONS or type(assigned) is not list or type(files) is not dict:
            raise _Bad
        for n, p in files.items():  # every figure checked now, though the state is made later
            _name(n)
            _figures(p)
        doc = document(doc_id, path)
        mine = files.get(annotator)
        mine = FileSummary(*mine, annotator=annotator, document=doc_id) if mine is not None else None
        shown = mine
        if section in review_sections:
            gold = files.get(GOLD)
            shown = FileSummary(*gold, annotator=GOLD, document=doc_id) if gold is not None else None
        own.append(mine)
        rows.append(_made(_Row, doc=doc, progress=shown, unreadable=_text(unreadable), section=section,
                          about=_about_from(about), _raw=(doc, _count(needed), [_name(a) for a in assigned], files)))

    def item(k: Any, status: str | None = None, gold: bool = False) -> QueueItem:
        row = rows[_count(k)]
        progress = row.progress if gold else own[k]
        return _made(_Item, status=status or status_of(progress), progress=progress, _row=row)  # type: ignore[no-any-return]

    parts = data["queue"]
    if type(parts) is not list or len(parts) != 4 or type(data["review"]) is not list:
        raise _Bad
    queue = Queue(annotator, data["in_team"], [item(k, IN_PROGRESS) for k in parts[0]],
                  [item(k, NOT_STARTED) for k in parts[1]], [item(k, DONE) for k in parts[2]],
                  [item(k) for k in parts[3]])
    review = [item(k, QUEUE_IN_REVIEW if rows[_count(k)].section == IN_REVIEW else NOT_STARTED, gold=True)
              for k in data["review"]]
    return HomeRows(TeamView(queue, review, list[DocProgress](rows), data["reviewer"]), [])
