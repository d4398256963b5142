"""The GitHub Actions runtime, at the edge: the event, step outputs, the step summary and
workflow annotations.

The only place that reads the ``GITHUB_*`` variables is :meth:`Actions.from_env`, called by a
composition root (a CLI command) with the environment it was given. Everything else is told
what to write: ``set_outputs`` appends to ``$GITHUB_OUTPUT`` (multi-line values in the
delimiter form), ``add_summary`` appends Markdown to ``$GITHUB_STEP_SUMMARY`` and
:func:`annotation` formats a ``::warning …::`` workflow command for stdout.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autoopt.errors import UserError

Level = Literal["notice", "warning", "error"]

#: GitHub event name → the trigger a cycle reports.
TRIGGERS = {"schedule": "schedule", "workflow_dispatch": "manual", "push": "push"}


class ActionsError(UserError):
    """The Actions environment is not what GitHub provides (an unreadable event file, …)."""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: Level,
    message: str,
    *,
    title: str | None = None,
    file: str | None = None,
    line: int | None = None,
) -> str:
    """A workflow command that shows ``message`` as an annotation on the run (and the file)."""
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
    if line:
        props.append(f"line={line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_escape_data(message)}"


@dataclass(frozen=True)
class Actions:
    """One step of a GitHub Actions job, as the runner describes it in the environment."""

    event_name: str
    event: Mapping[str, Any] = field(default_factory=dict)
    repository: str = ""
    actor: str = ""
    output: Path | None = None
    summary: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Actions | None:
        """The runtime when running inside Actions (``GITHUB_ACTIONS=true``), else None."""
        if env.get("GITHUB_ACTIONS") != "true":
            return None
        path = env.get("GITHUB_EVENT_PATH")
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=_read_event(Path(path)) if path else {},
            repository=env.get("GITHUB_REPOSITORY", ""),
            actor=env.get("GITHUB_ACTOR", ""),
            output=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        )

    @property
    def trigger(self) -> str:
        return TRIGGERS.get(self.event_name, self.event_name or "manual")

    def dispatch_input(self, name: str) -> str | None:
        """A ``workflow_dispatch`` input (inputs arrive as strings or booleans)."""
        inputs = self.event.get("inputs") if self.event_name == "workflow_dispatch" else None
        if not isinstance(inputs, Mapping) or name not in inputs:
            return None
        value = inputs[name]
        return str(value).lower() if isinstance(value, bool) else str(value)

    def set_outputs(self, values: Mapping[str, str]) -> None:
        """Append step outputs to ``$GITHUB_OUTPUT`` (each value may span lines)."""
        if self.output is None:
            return
        chunks = []
        for name, value in values.items():
            delimiter = f"autoopt_{secrets.token_hex(8)}"
            while delimiter in value:
                delimiter = f"autoopt_{secrets.token_hex(8)}"
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        _append(self.output, "".join(chunks))

    def add_summary(self, markdown: str) -> None:
        """Append Markdown to the job's summary page (``$GITHUB_STEP_SUMMARY``)."""
        if self.summary is not None:
            _append(self.summary, markdown if markdown.endswith("\n") else markdown + "\n")


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise ActionsError(f"cannot write {path}: {exc.strerror or exc}") from None


def _read_event(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ActionsError(f"GITHUB_EVENT_PATH {path}: not a readable JSON event ({exc})") from None
    if not isinstance(data, dict):
        raise ActionsError(f"GITHUB_EVENT_PATH {path}: the event is not a JSON object")
    return data
