"""The project file ``annotate.yaml``: who is on the team, read safely with file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import AnnotateError
from ..models import ANNOTATOR_PATTERN, ProjectFile
from ..store import Project, read_file
from ..yamlio import decode, format_loc, line_of, load_yaml
from . import PROJECT_FILE

PROJECT_HEADER = "# yaml-language-server: $schema=schemas/project.schema.json"
"""The first line of a project file, so editors validate it against the committed schema."""

EXAMPLE = f"""\
{PROJECT_HEADER}
version: 1
seed: 0                      # change it to draw another plan
annotators_per_document: 2   # each document is labeled by two annotators
annotators:
- alice
- bob
- name: carol
  share: 0.5                 # about half as many documents as the others
reviewers:
- rita
documents:                   # optional: which documents the team divides (default: all)
  include: ["*"]
  exclude: ["drafts/*"]
"""
"""A commented example of the format (shown in the README and by tests)."""


def project_file_path(project: Project) -> Path:
    """Where the project file lives: ``annotate.yaml`` at the project root."""
    return project.root / PROJECT_FILE


def load_project_file(project: Project) -> ProjectFile | None:
    """The project's team, or None when the project has no project file (everyone may label everything).

    A broken file is an :class:`AnnotateError` naming the file and line. A project file that is
    a link to somewhere outside the project is refused: the team comes from the project itself.
    """
    path = project_file_path(project)
    if not path.exists() and not path.is_symlink():
        return None
    where = PROJECT_FILE
    if path.is_symlink() and not path.resolve().is_relative_to(project.root):
        raise AnnotateError("is a link to a file outside the project; the project file must live in it", where)
    if path.is_dir():
        raise AnnotateError("is a folder; the project file is a YAML file", where)
    raw = read_file(path, "project file", where, root=project.root)
    return parse_project_file(raw, where)


def parse_project_file(raw: bytes, where: str) -> ProjectFile:
    """Parse and validate project file bytes; errors are ``where:line: message``."""
    text = decode(raw, Path(where))
    data = load_yaml(text, Path(where))
    if data is None:
        raise AnnotateError("the project file is empty; it needs at least `annotators:`", where, 1)
    if not isinstance(data, dict):
        raise AnnotateError(f"a project file is a YAML mapping (annotators:, ...), not {type(data).__name__}",
                            where, 1)
    try:
        return ProjectFile.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, text, where) from None


def _error(exc: ValidationError, text: str, where: str) -> AnnotateError:
    """The first problem of a validation error, worded for a person, at its line."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(part for part in err["loc"] if part != "member")  # the union's tag is not a key of the file
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    if kind == "missing":
        msg = "required key is missing"
    elif kind == "extra_forbidden":
        msg = "unknown key (the keys are version, seed, annotators_per_document, annotators, reviewers, documents)"
    elif kind == "string_pattern_mismatch" and err["ctx"].get("pattern") == ANNOTATOR_PATTERN:
        msg = (f"{err['input']!r} is not an annotator name: lower case letters, digits, '.', '_' or '-',"
               " starting with a letter or digit")
    elif kind == "model_type" and loc[:1] == ("annotators",):
        msg = "expected a name, or a mapping with name and share"
    if not loc:
        loc = _loc_named(msg)
        msg = msg.split(": ", 1)[1] if loc else msg
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return AnnotateError(f"{format_loc(loc)}: {msg}{more}", where, line_of(text, loc))


def _loc_named(msg: str) -> tuple[str | int, ...]:
    """The location a whole-file check names at the start of its message (``annotators[2]: ...``)."""
    import re

    m = re.match(r"(\w+)(?:\[(\d+)\])?: ", msg)
    if not m:
        return ()
    return (m.group(1), int(m.group(2))) if m.group(2) else (m.group(1),)


def data_of(team: ProjectFile) -> dict[str, Any]:
    """The project file as plain data (for ``annotate assign --json``)."""
    return team.model_dump(mode="json")
