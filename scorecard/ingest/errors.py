"""Errors an upload can end with; every message names the file and says what to do."""

from __future__ import annotations


class FileRejected(Exception):
    """The whole file was refused and nothing was written."""

    def __init__(self, file_name: str, message: str) -> None:
        super().__init__(f"{file_name}: {message}")
        self.file_name = file_name
        self.message = message


class AmbiguousDates(FileRejected):
    """Every date in the file reads both day-first and month-first: the user must say which."""

    def __init__(self, file_name: str, column: str, examples: list[str]) -> None:
        shown = ", ".join(examples[:3])
        super().__init__(
            file_name,
            f"the dates in column {column!r} (e.g. {shown}) read both as day/month and as month/day. "
            "Say which order the file uses: --dayfirst or --monthfirst on the command line, "
            "or choose it on the Upload page.",
        )
        self.column = column
        self.examples = examples


class BatchNotFound(LookupError):
    """No batch with that id."""
