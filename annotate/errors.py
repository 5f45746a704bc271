"""The one error type users see: a message that names the file and the place."""

from __future__ import annotations

from pathlib import Path


class AnnotateError(Exception):
    """An error the user can cause and fix (bad file, unknown label, missing source).

    ``str(error)`` is one line: ``file:line:column: message`` with the parts that are known.
    """

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"


class LockedError(AnnotateError):
    """Another process holds the lock of a label file."""
