"""The one exception tree of chaos. Every error a user can see is one of these.

    ChaosError                  exit 3 unless a subclass says otherwise
     ├── ScenarioError          exit 2: the scenario file (or CLI input) is invalid
     ├── UsageError             exit 2: a bad option or argument (a run, a label, a mark)
     ├── Refused                exit 2: valid, but not now (the live page answers 409)
     ├── LabError               exit 3: Docker, compose or an image failed
     ├── LoadError              exit 3: the load's workers did not join (who is missing)
     ├── BaselineError          exit 3: the steady state did not hold before any fault
     ├── FaultError             exit 3: a fault could not be injected or reverted
     ├── DetectError            exit 3: a detector or probe broke (not: it fired)
     ├── RecoveryError          exit 3: a recovery step broke
     └── ReportError            exit 2 for a damaged run record, else 3

Messages are written for the person at the terminal and built in ``__str__``;
the CLI catches ``ChaosError`` once and maps ``exit_code`` to the process exit.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.redact import Redacted, redact

EXIT_OK = 0
EXIT_TARGETS_MISSED = 1
EXIT_INVALID_INPUT = 2
EXIT_TOOL_FAILED = 3


class ChaosError(Exception):
    exit_code = EXIT_TOOL_FAILED

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def redacted(self) -> str:
        """The line with secrets masked in the message only: the field's name stays, so
        ``lab.db_password: should be text`` is not read as a password ``should``."""
        return str(Problem(redact(self.file), self.line, self.path, redact(self.message)))


class ScenarioError(ChaosError):
    """An invalid scenario: carries every problem found, not just the first."""

    exit_code = EXIT_INVALID_INPUT

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("")
        self.problems = problems

    def __str__(self) -> str:
        return Redacted("\n".join(p.redacted() for p in self.problems))


class UsageError(ChaosError):
    exit_code = EXIT_INVALID_INPUT


class Refused(ChaosError):
    """The request is valid but cannot be done now (a step is running, the trial is over).

    Not a ``UsageError``: the live page answers it with 409 Conflict, a bad request with 400."""

    exit_code = EXIT_INVALID_INPUT


class LabError(ChaosError):
    pass


class LoadError(ChaosError):
    """The load could not start as the scenario says: its workers did not all join."""


class BaselineError(ChaosError):
    """Before any fault, requests already failed: the load does not fit the app,
    or the app is broken. Nothing was injected; nothing is measured."""


class FaultError(ChaosError):
    pass


class DetectError(ChaosError):
    pass


class RecoveryError(ChaosError):
    pass


class ReportError(ChaosError):
    def __init__(self, message: str, *, damaged_input: bool = False) -> None:
        super().__init__(message)
        if damaged_input:
            self.exit_code = EXIT_INVALID_INPUT
