"""Modal dialogs: note, find, guidelines, document summary, orphans, yes/no; each dismisses with a typed value."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..models import Tagset
from .widgets import contrast_style, format_seconds


@lru_cache(maxsize=1)
def _note_area() -> type:
    """A TextArea where Enter saves the note and ctrl+j / shift+enter insert a line break.

    Handled as the text area's own keys, not as priority bindings: a priority binding
    runs as soon as the key arrives, before the characters typed just ahead of it are
    inserted, so a note typed quickly with its Enter was saved without its text.
    """
    from textual import events
    from textual.widgets import TextArea  # imported on first use: it is slow to import

    class NoteArea(TextArea):
        async def _on_key(self, event: events.Key) -> None:
            if event.key == "enter":
                event.stop()
                event.prevent_default()
                self.screen.action_save()  # type: ignore[attr-defined]
                return
            if event.key in ("ctrl+j", "shift+enter"):
                event.stop()
                event.prevent_default()
                self.insert("\n")
                return
            await super()._on_key(event)

    return NoteArea


class NoteDialog(ModalScreen[str | None]):
    """Edit a sentence's note. Enter saves (the text, "" to remove), Escape cancels (None).

    ctrl+j or shift+enter inserts a line break.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
        Binding("enter", "save", "Save", id="note.save"),
        Binding("ctrl+j,shift+enter", "newline", "New line", id="note.newline"),
    ]
    """Enter and ctrl+j are handled by the text area itself (see :func:`_note_area`), in the order the keys
    were typed; these bindings only serve when focus is elsewhere."""

    def __init__(self, note: str | None, sentence: str) -> None:
        super().__init__()
        self.note = note or ""
        self.sentence = sentence

    def compose(self) -> ComposeResult:

        with Vertical(id="note-dialog", classes="dialog"):
            yield Static("Note on this sentence  [dim](Enter save · Esc cancel · ctrl+j new line)[/]")
            yield Static(Text(self.sentence, overflow="ellipsis", no_wrap=True), classes="dialog-context")
            yield _note_area()(self.note, id="note-text", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        """Put the cursor at the end of the note."""
        from textual.widgets import TextArea

        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        """Save the note as typed (whitespace at the ends dropped)."""
        from textual.widgets import TextArea

        self.dismiss(self.query_one(TextArea).text.strip())

    def action_newline(self) -> None:
        """Insert a line break into the note."""
        from textual.widgets import TextArea

        self.query_one(TextArea).insert("\n")

    def action_cancel(self) -> None:
        """Leave the note as it was."""
        self.dismiss(None)


class FindDialog(ModalScreen[str | None]):
    """Ask for text to find in the document; Enter finds, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="find.cancel")]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical(id="find-dialog", classes="dialog"):
            yield Static("Find in document  [dim](Enter find next · Esc cancel)[/]")
            yield Input(self.query_text, placeholder="text to find", id="find-text")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without searching."""
        self.dismiss(None)


KEYS_HELP = [
    ("1-9, letter", "give the label and move to the next unlabeled sentence"),
    ("↓ j / ↑ k", "next / previous sentence"),
    ("g", "next unlabeled sentence"),
    ("home / end", "first / last sentence"),
    ("u, ctrl+z / ctrl+y", "undo / redo (as many steps as you made)"),
    ("backspace, delete", "clear the label"),
    ("!", "toggle unsure"),
    ("n", "add or edit a note"),
    ("/", "find text"),
    ("shift+o", "labels that lost their sentence when the source changed"),
    ("shift+m", "merge this unit with the next one, for everyone (a wrong sentence boundary)"),
    ("shift+s", "split this unit in two at a place you choose, for everyone"),
    ("? f1", "these guidelines"),
    ("ctrl+p", "command palette: go to sentence N, open a document, theme"),
    ("escape", "back to the documents"),
    ("ctrl+q", "quit (everything is already saved)"),
    ("mouse", "click a sentence to make it current"),
]
"""The labeling screen's keys, for the guidelines dialog."""

REVIEW_KEYS_HELP = [
    ("1-9, letter", "decide the gold label and move to the next sentence to review"),
    ("enter", "accept the unanimous or majority label (on a decided sentence: keep it, go on)"),
    ("shift+a", "accept every agreed sentence not decided yet (asks first; one u undoes it)"),
    ("tab", "only the sentences to review (the agreed ones hidden) / every sentence"),
]
"""What the review screen adds or does differently, for the guidelines dialog."""


def guidelines_renderable(tagset: Tagset, review: bool = False) -> Group:
    """The tagset's definitions, decision rules and examples, with each label's keys (and the review keys)."""
    parts: list[object] = []
    if tagset.description:
        parts.append(Text(tagset.description.strip() + "\n"))
    for i, lab in enumerate(tagset.labels):
        keys = [str(i + 1)] if i < 9 else []
        if lab.key:
            keys.append(lab.key)
        title = Text()
        title.append(f" {lab.name} ", contrast_style(lab.color))
        title.append(f"  keys: {' or '.join(keys) or 'none'}", style="dim")
        parts.append(title)
        parts.append(Text(lab.definition.strip(), style="bold"))
        for rule in lab.rules:
            parts.append(Text("  • " + " ".join(rule.split())))
        for ex in lab.examples:
            parts.append(Text("  e.g. " + " ".join(ex.split()), style="italic"))
        parts.append(Text(""))
    if review:
        parts.append(keys_text("Keys of the review screen", REVIEW_KEYS_HELP))
    parts.append(keys_text("Keys", KEYS_HELP))
    return Group(*parts)  # type: ignore[arg-type]


def keys_text(heading: str, keys: list[tuple[str, str]]) -> Text:
    """A heading and one line per key: the key in bold, what it does."""
    text = Text()
    text.append(f"{heading}\n", style="bold underline")  # the heading only, not every line after it
    width = max(len(key) for key, _ in keys) + 2
    for key, what in keys:
        text.append(f"  {key:<{width}}", style="bold")
        text.append(f"{what}\n")
    return text


class GuidelinesScreen(ModalScreen[None]):
    """The tagset's guidelines in a scrollable dialog."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="guidelines.close"),
        Binding("j,down", "scroll_down", "Down", show=False, id="guidelines.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="guidelines.up"),
    ]

    def __init__(self, tagset: Tagset, review: bool = False) -> None:
        super().__init__()
        self.tagset = tagset
        self.review = review

    def compose(self) -> ComposeResult:
        with Vertical(id="guidelines", classes="dialog"):
            yield Static(f"Guidelines: {self.tagset.name} (version {self.tagset.version})"
                         "  [dim](Esc close · ↑↓ scroll)[/]")
            with VerticalScroll(id="guidelines-body"):
                yield Static(guidelines_renderable(self.tagset, self.review))

    def action_scroll_down(self) -> None:
        """Scroll the guidelines down."""
        self.query_one("#guidelines-body", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        """Scroll the guidelines up."""
        self.query_one("#guidelines-body", VerticalScroll).scroll_up()

    def action_close(self) -> None:
        """Back to labeling."""
        self.dismiss(None)


class SummaryDialog(ModalScreen[bool]):
    """Shown when every sentence is labeled: counts per label, unsure, time; go on (True) or stay (False).

    Going on opens the next document of the annotator's queue (``next_in_queue``, with a
    project file), else the next document given (``next_document``), else the list of
    documents; the last line says which.
    """

    BINDINGS = [
        Binding("enter", "next", "Next document", id="summary.next"),
        Binding("escape", "stay", "Keep editing", id="summary.stay"),
    ]

    def __init__(self, document: str, counts: dict[str, int], tagset: Tagset, unsure: int,
                 seconds: float, next_document: str | None, next_in_queue: str | None = None) -> None:
        super().__init__()
        self.document = document
        self.counts = counts
        self.tagset = tagset
        self.unsure = unsure
        self.seconds = seconds
        self.next_document = next_document
        self.next_in_queue = next_in_queue

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        total = sum(self.counts.values())
        for lab in self.tagset.labels:
            n = self.counts.get(lab.name, 0)
            table.add_row(Text(f" {lab.name} ", contrast_style(lab.color)), str(n),
                          f"{100 * n / total:.0f}%" if total else "")
        table.add_row("unsure", str(self.unsure), "")
        table.add_row("time", format_seconds(self.seconds), "")
        with Vertical(id="summary", classes="dialog"):
            yield Static(f"All {total} sentences of {self.document} are labeled. Saved.")
            yield Static(table)
            yield Static(f"[b]Enter: {self.enter_does}[/b] · Esc: keep editing this one", id="summary-keys")

    @property
    def opens(self) -> str | None:
        """The document Enter opens (None: back to the documents)."""
        return self.next_in_queue or self.next_document

    @property
    def enter_does(self) -> str:
        """What Enter does, in words: the queue's next document, the next one given, or back to the documents."""
        if self.next_in_queue:
            return f"next in your queue ({self.next_in_queue})"
        if self.next_document:
            return f"next document ({self.next_document})"
        return "back to the documents"

    def action_next(self) -> None:
        """Go on to the next document."""
        self.dismiss(True)

    def action_stay(self) -> None:
        """Stay on this document."""
        self.dismiss(False)


ORPHAN_KEYS = "[b]a[/b] attach to the current sentence · [b]d[/b] discard · [b]↑↓[/b] choose · [b]Esc[/b] close"
"""The orphans dialog's keys, on a line of their own (it wraps rather than lose one)."""


class OrphansDialog(ModalScreen["tuple[str, int] | None"]):
    """Labels that could not be placed after the source changed: re-attach one to the current
    sentence (a) or discard it on purpose (d, then y). Dismisses with (action, orphan index)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="orphans.close"),
        Binding("a", "attach", "Attach to current sentence", id="orphans.attach"),
        Binding("d", "discard", "Discard", id="orphans.discard"),
        Binding("y", "confirm", "Yes, discard", show=False, id="orphans.confirm"),
    ]

    def __init__(self, orphans: list[tuple[str, str | None, str | None]], current: str) -> None:
        super().__init__()
        self.orphans = orphans
        self.current = current
        self._confirming = False

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList

        with Vertical(id="orphans-dialog", classes="dialog"):
            yield Static(f"{len(self.orphans)} labels lost their sentence when the source changed")
            yield Static(ORPHAN_KEYS, id="orphans-keys", classes="dialog-keys")
            yield Static(Text("current: " + " ".join(self.current.split()), overflow="ellipsis", no_wrap=True),
                         classes="dialog-context")
            options = []
            for text, label, reason in self.orphans:
                line = Text()
                line.append(f"[{label or 'no label'}] ", style="bold")
                line.append(" ".join(text.split()))
                if reason:
                    line.append(f"  ({reason})", style="dim")
                options.append(line)
            yield OptionList(*options, id="orphan-list")
            yield Static("", id="orphans-confirm")

    def _selected(self) -> int | None:
        from textual.widgets import OptionList

        index = self.query_one(OptionList).highlighted
        return index if index is not None and 0 <= index < len(self.orphans) else None

    def action_attach(self) -> None:
        """Give the selected orphan's label, note and flag to the current sentence."""
        index = self._selected()
        if index is not None:
            self.dismiss(("attach", index))

    def action_discard(self) -> None:
        """Ask to discard the selected orphan."""
        if self._selected() is not None:
            self._confirming = True
            self.query_one("#orphans-confirm", Static).update("[b]Discard this label for good? y: yes · Esc: no[/b]")

    def action_confirm(self) -> None:
        """Discard the selected orphan (after d)."""
        index = self._selected()
        if self._confirming and index is not None:
            self.dismiss(("discard", index))

    def action_close(self) -> None:
        """Close without changing anything."""
        if self._confirming:
            self._confirming = False
            self.query_one("#orphans-confirm", Static).update("")
            return
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something big: y or Enter says yes (True), n or Escape says no (False)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog"):
            yield Static(f"[b]{self.question}[/b]")
            if self.detail:
                yield Static(self.detail, classes="dialog-context")
            yield Static("[b]y[/b] or [b]Enter[/b]: yes · [b]n[/b] or [b]Esc[/b]: no", classes="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


def split_points(text: str) -> list[int]:
    """Where a unit can be cut: after a space, so that both sides keep some text (offsets into ``text``)."""
    points = []
    for i in range(1, len(text)):
        if text[i - 1].isspace() and not text[i].isspace() and text[:i].strip() and text[i:].strip():
            points.append(i)
    return points


def first_cut(text: str, points: list[int]) -> int:
    """Where the cut starts: after the first sentence-like end (``. `` ``? `` ``." ``), else the middle."""
    for p in points:
        before = text[:p].rstrip()
        if before.endswith((".", "?", "!", '"', "\u201d", "'", "\u2019")) and len(before) > 1:
            return p
    return points[len(points) // 2]


class SplitDialog(ModalScreen["int | None"]):
    """Choose where to cut a unit in two: arrows move the cut by word, Enter cuts, Escape cancels.

    Dismisses with the offset of the cut in the unit's text (the first character of the
    second part), or None.
    """

    BINDINGS = [
        Binding("right,l,tab", "move(1)", "next word", id="split.right"),
        Binding("left,h,shift+tab", "move(-1)", "previous word", id="split.left"),
        Binding("end", "move(1000000)", "last", id="split.end"),
        Binding("home", "move(-1000000)", "first", id="split.home"),
        Binding("enter", "cut", "cut here", id="split.cut"),
        Binding("escape", "cancel", "cancel", id="split.cancel"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.points = split_points(text)
        self.at = first_cut(text, self.points) if self.points else 0

    def compose(self) -> ComposeResult:
        with Vertical(id="split", classes="dialog"):
            yield Static("[b]Split this unit in two[/b]")
            yield Static(id="split-preview")
            yield Static("[b]←/→[/b] move the cut by a word · [b]Enter[/b] cut here (undo with u) · "
                         "[b]Esc[/b] cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        """Show where the cut is."""
        self._show()

    def _show(self) -> None:
        out = Text()
        if not self.points:
            out.append("This unit has no place to cut: it is one word.", style="italic")
        else:
            first, second = self.text[: self.at].rstrip(), self.text[self.at:]
            out.append("1  ", style="bold")
            out.append(" ".join(first.split()))
            out.append("\n──── cut ────\n", style="bold yellow")
            out.append("2  ", style="bold")
            out.append(" ".join(second.split()))
        self.query_one("#split-preview", Static).update(out)

    def action_move(self, steps: int) -> None:
        """Move the cut by ``steps`` words (clamped to the first and last place)."""
        if not self.points:
            return
        k = self.points.index(self.at) + steps
        self.at = self.points[max(0, min(k, len(self.points) - 1))]
        self._show()

    def action_cut(self) -> None:
        """Cut at the place shown."""
        if not self.points:
            self.app.bell()
            return
        self.dismiss(self.at)

    def action_cancel(self) -> None:
        """Leave the unit as it is."""
        self.dismiss(None)
