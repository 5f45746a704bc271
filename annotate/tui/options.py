"""The app's options as one frozen object, built by the CLI (or a test, or a server) and passed down to the screens.

It imports no Textual, so the CLI can build it before deciding to start a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Tagset
    from ..store import Document, LabelLock, Project

ROLES = (None, "annotator", "reviewer")
"""Who the user is: None (a local user, who may do everything), an annotator (labels only) or a reviewer."""

ORDERS = ("document", "uncertain")
"""Which unlabeled sentence comes next: in reading order, or the ones the suggester is least sure of first."""


@dataclass(frozen=True)
class AppOptions:
    """Everything the screens need to know about this run, decided once.

    ``documents`` open one after the other (the home screen comes after the last, or
    first when there are none). ``review`` (the annotators to compare, empty for all)
    opens the review screen on the first document instead, with ``annotator`` as the
    reviewer. ``lock`` is a lock the caller already holds on the first document's
    label file (the screen takes it over).
    """

    project: Project
    annotator: str
    tagset: Tagset | None = None
    """None: the project's default tagset (see :meth:`resolved`)."""
    documents: Sequence[Document] = ()
    review: Sequence[str] | None = None
    suggest: bool = False
    """Show a suggested label for each sentence (Enter accepts it); default blind."""
    order: str = "document"
    role: str | None = None
    """None: a local user who may do everything; "annotator": may label, not review; "reviewer": both."""
    lock: LabelLock | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, not {self.order!r}")
        object.__setattr__(self, "documents", tuple(self.documents))  # frozen all the way down
        if self.review is not None:
            object.__setattr__(self, "review", tuple(self.review))

    def resolved(self) -> AppOptions:
        """These options with the tagset filled in (the project's default when none was given)."""
        return self if self.tagset is not None else replace(self, tagset=self.project.tagset())

    @property
    def may_review(self) -> bool:
        """True when this user may open the review screen (decide gold labels)."""
        return self.role in (None, "reviewer")

    @property
    def tagset_in_use(self) -> Tagset:
        """The tagset of this run (the options must be :meth:`resolved`)."""
        assert self.tagset is not None, "AppOptions.resolved() fills in the tagset"
        return self.tagset


def review_options(options: AppOptions, doc: Document) -> AppOptions:
    """``options`` made ready to review ``doc``: the annotators named exist, the tagset is the one their files use.

    ``options.review`` names the annotators to compare (empty: all); an explicit tagset
    is kept. Raises AnnotateError when nobody has labeled the document, an annotator
    has no label file there, or gold is named as an annotator.
    """
    from ..errors import AnnotateError
    from ..models import GOLD
    from ..reading import document_labels

    names = list(options.review or ())
    loaded = document_labels(options.project, doc)
    available = loaded.annotators
    if GOLD in names:
        raise AnnotateError("--annotators: gold is the adjudicated label, not an annotator")
    unknown = [n for n in names if n not in available]
    if unknown:
        raise AnnotateError(f"--annotators: no label file for {', '.join(unknown)} in labels/{doc.id}/"
                            f" (have: {', '.join(available) or 'none'})")
    if not available:
        raise AnnotateError(f"nobody has labeled {doc.id} yet: nothing to review", doc.id)
    tagset = options.tagset or options.project.tagset(loaded.files[(names or available)[0]].scheme)
    return replace(options, tagset=tagset, documents=(doc,), review=tuple(names))


__all__ = ["ORDERS", "ROLES", "AppOptions", "review_options"]
