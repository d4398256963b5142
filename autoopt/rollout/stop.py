"""The repository-level emergency stop: a committed file ``.autoopt/EMERGENCY_STOP``.

While it exists on the base branch, ``autoopt reconcile`` observes and reports only. The file
is a tiny YAML mapping (``reason``, ``by``, ``at``) so people can read it in a diff; its mere
presence stops the reconciler, whatever it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autoopt.spec.edit import format_time

STOP_FILE = ".autoopt/EMERGENCY_STOP"


@dataclass(frozen=True)
class EmergencyStop:
    reason: str
    by: str = ""
    at: str = ""

    def line(self) -> str:
        """The one line every command prints while the stop is set."""
        who = f" by {self.by}" if self.by else ""
        when = f" at {self.at}" if self.at else ""
        return (
            f"EMERGENCY STOP set{who}{when}: {self.reason} — nothing is proposed or promoted "
            "until it is lifted (autoopt emergency-stop --lift)"
        )

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "by": self.by, "at": self.at}


def stop_text(reason: str, *, by: str, now: datetime) -> str:
    import json

    # JSON strings are valid YAML scalars, so any reason text stays one safe line.
    return (
        "# autoopt emergency stop: while this file exists the reconciler changes nothing.\n"
        "# Lift it with `autoopt emergency-stop --lift --reason ...`.\n"
        f"reason: {json.dumps(reason)}\n"
        f"by: {json.dumps(by)}\n"
        f"at: {json.dumps(format_time(now))}\n"
    )


def parse_stop(text: str) -> EmergencyStop:
    """Read the file's fields; a file that is not the expected mapping still stops."""
    from autoopt.spec.yamlio import load_text

    try:
        data = load_text(text)
    except Exception:  # any content stops the reconciler; the fields are informative only
        data = None
    if not isinstance(data, dict):
        return EmergencyStop(reason=text.strip()[:200] or "(no reason given)")
    return EmergencyStop(
        reason=str(data.get("reason") or "(no reason given)"),
        by=str(data.get("by") or ""),
        at=str(data.get("at") or ""),
    )


def read_stop(root: Path) -> EmergencyStop | None:
    path = root / STOP_FILE
    if not path.is_file():
        return None
    return parse_stop(path.read_text(encoding="utf-8", errors="replace"))
