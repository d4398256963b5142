"""The one exception tree and the exit codes every command maps onto.

``AutooptError`` is the root. ``UserError`` and its children are problems the user can fix
(bad documents, unreadable metrics, a forge that refused): they print one clean line and exit 1.
Anything else that escapes a command is a bug: exit 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1
    USAGE = 2
    BUG = 3


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, noting the full length: a message quotes what the
    user wrote without repeating a 500 KB value."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}…[{len(text):,} characters]"


class AutooptError(Exception):
    """Root of every error autoopt raises on purpose."""

    exit_code: ExitCode = ExitCode.BUG


class UserError(AutooptError):
    """Something the user can fix; rendered as one line (or one line per location)."""

    exit_code = ExitCode.USER_ERROR


@dataclass(frozen=True)
class Location:
    """Where in which file a problem is; ``line`` and ``col`` are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}"
        return self.path


@dataclass(frozen=True)
class Problem:
    """One located problem in a document: ``path:line:col: dotted.field: message``."""

    location: Location
    field: str
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location}:{field} {self.message}"


class SpecError(UserError):
    """One or more documents are invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class MetricsError(UserError):
    """Metrics could not be read (missing column, unreachable backend, nothing parseable)."""


class GitOpsError(UserError):
    """A git operation failed in a way the user can act on."""


class StaleHead(GitOpsError):
    """The remote branch moved since we read it; the caller re-reads and retries."""


class ForgeError(UserError):
    """The forge (GitHub, local) refused or could not be reached after retries."""


class SimulationError(UserError):
    """A scenario cannot be simulated as asked."""
