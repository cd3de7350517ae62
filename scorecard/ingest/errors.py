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


class AmbiguousAmounts(FileRejected):
    """Every separated amount reads both with a decimal comma and with a decimal point: the user must say which."""

    def __init__(self, file_name: str, column: str, examples: list[str]) -> None:
        shown = ", ".join(examples[:3])
        super().__init__(
            file_name,
            f"the amounts in column {column!r} (e.g. {shown}) read both ways: with a decimal comma (1.234 = one thousand "
            "two hundred thirty-four) and with a decimal point (1.234 = one point two three four). Say which the file uses: "
            "--decimal-comma or --decimal-point on the command line, or choose it on the Upload page.",
        )
        self.column = column
        self.examples = examples


class AmbiguousSource(FileRejected):
    """A generic sheet's record ids are already used by another sheet's rows: the user must name the source."""

    def __init__(self, file_name: str, column: str, source: str, examples: list[str], changed: int, matched: int) -> None:
        shown = "; ".join(examples[:3])
        super().__init__(
            file_name,
            f"{changed} of the {matched} record ids in column {column!r} that are already stored belong to other reps there "
            f"({shown}), so this looks like a different sheet numbered the same way, not a correction. Nothing was imported. "
            f"If it is another sheet, give it its own source name: --source NAME on the command line, or the source box "
            f"on the Upload page (use the same name every time you upload that sheet). If it really is the same sheet "
            f"with its reps corrected, upload it with --source {source}.",
        )
        self.column = column
        self.source = source
        self.examples = examples
