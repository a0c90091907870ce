"""Errors meant for people: every problem names the file, line, column and field.

Warnings (a scenario that runs, but probably not as meant) are :class:`Problem` objects too,
printed by :func:`warnings_report`; they never change the exit code.

A :class:`ScenarioError` gathers *all* problems found in a scenario so a user fixes them in one
pass, in the style ``scenarios/x.yaml:14:7: firms.smelter.inputs.coke: unknown material 'coke'
(did you mean 'coal'?)``. The command line prints them and exits with code 2.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class SourceMark:
    """Where a value was written: file name, 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes
    ----------
    message : what is wrong, in plain words.
    path : dotted path of the offending field (``firms.cement.inputs``), or ``""`` for the file.
    mark : where it was written, when known.
    hint : how to fix it (``did you mean 'coal'?``), optional.
    """

    message: str
    path: str = ""
    mark: SourceMark | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.mark}: " if self.mark else ""
        field = f"{self.path}: " if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{field}{self.message}{hint}"


def warnings_report(warnings: Sequence[Problem]) -> str:
    """Warnings, one per line in file order, each ``FILE:LINE:COL: warning: field: message (hint)``,
    and their count; ``""`` when there are none. Warnings never change the exit code."""
    if not warnings:
        return ""
    lines = []
    for problem in sorted(warnings, key=_problem_order):
        where = f"{problem.mark}: " if problem.mark else ""
        lines.append(f"{where}warning: {Problem(problem.message, problem.path, None, problem.hint)}")
    count = len(warnings)
    lines.append(f"{count} warning{'s' if count != 1 else ''}.")
    return "\n".join(lines)


PARQUET_HINT = "install the optional extra: pip install 'eipsim[parquet]' (or pip install pyarrow)"
"""What to do when a Parquet table is asked for (``--format parquet``) or met without pyarrow."""


class EipsimError(Exception):
    """Base class of errors caused by user input (exit code 2), not by a bug."""


class ScenarioError(EipsimError):
    """A scenario cannot be loaded or validated; holds every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(sorted(problems, key=_problem_order))
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, ordered by file position."""
        lines = [str(p) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''} found.")
        return "\n".join(lines)


class SimulationError(EipsimError):
    """A run stopped because an invariant failed (e.g. mass balance does not close)."""


def _problem_order(problem: Problem) -> tuple:
    mark = problem.mark
    if mark is None:
        return ("", 0, 0, problem.path)
    return (mark.file, mark.line, mark.col, problem.path)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint for a misspelt name, or ``""`` when nothing is close."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=2, cutoff=0.6)
    if not matches:
        return ""
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
