"""When each trigger last fired, and each service's recent alerts: ``.autoopt/triggers.json``.

The file lives on the base branch beside the emergency stop, so every clone (a laptop, a fresh
CI checkout) reads the same cooldowns; ``autoopt cycle`` rewrites it in one commit when a
trigger fired. It is small, sorted JSON so a diff reads well::

    {
      "schema": 1,
      "services": {
        "chat-service": {
          "fired": {"stable-errors": "2026-11-25T10:20:00Z"},
          "alerts": [{"at": "2026-11-25T10:20:00Z", "trigger": "stable-errors",
                      "priority": "critical", "message": "stable error_rate 0.21 above 0.15 …"}]
        }
      }
    }

Each service keeps its newest :data:`KEEP` alerts (newest first). Pure parsing and
formatting here; reading the file is :func:`read_trigger_log`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autoopt.errors import UserError

LOG_FILE = ".autoopt/triggers.json"
KEEP = 20
SCHEMA = 1


@dataclass(frozen=True)
class LoggedAlert:
    at: datetime
    trigger: str
    priority: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "at": _iso(self.at),
            "trigger": self.trigger,
            "priority": self.priority,
            "message": self.message,
        }


@dataclass(frozen=True)
class TriggerLog:
    fired: Mapping[str, Mapping[str, datetime]] = field(default_factory=dict)  # service → name
    alerts: Mapping[str, tuple[LoggedAlert, ...]] = field(default_factory=dict)  # newest first

    def last_fired(self) -> dict[tuple[str, str], datetime]:
        return {(s, n): at for s, names in self.fired.items() for n, at in names.items()}

    def recorded(
        self,
        service: str,
        fired: Iterable[tuple[str, str, str]],
        *,
        alerts: Iterable[tuple[str, str, str]] = (),
        now: datetime,
    ) -> TriggerLog:
        """This log with ``fired`` (name, type, priority) set to ``now`` and ``alerts``
        (name, priority, message) added for ``service``."""
        names = dict(self.fired.get(service, {}))
        names.update({name: now for name, _type, _priority in fired})
        new = tuple(LoggedAlert(now, name, prio, text) for name, prio, text in alerts)
        kept = (*new, *self.alerts.get(service, ()))[:KEEP]
        return TriggerLog(
            {**self.fired, service: names}, {**self.alerts, service: kept} if kept else self.alerts
        )

    def as_dict(self) -> dict[str, Any]:
        services: dict[str, Any] = {}
        for service in sorted(set(self.fired) | set(self.alerts)):
            entry: dict[str, Any] = {}
            names = self.fired.get(service, {})
            if names:
                entry["fired"] = {n: _iso(names[n]) for n in sorted(names)}
            alerts = self.alerts.get(service, ())
            if alerts:
                entry["alerts"] = [a.as_dict() for a in alerts]
            services[service] = entry
        return {"schema": SCHEMA, "services": services}

    def text(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected an ISO 8601 time, found {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{where}: {value[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{where}: {value!r} has no time zone")
    return moment


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value


def _alert(item: Any, where: str) -> LoggedAlert:
    item = _mapping(item, where)
    texts = {}
    for key in ("trigger", "priority", "message"):
        value = item.get(key, "")
        if not isinstance(value, str):
            raise ValueError(f"{where}.{key}: expected a string")
        texts[key] = value
    return LoggedAlert(_time(item.get("at"), f"{where}.at"), **texts)


def _service(entry: Any, where: str) -> tuple[dict[str, datetime], tuple[LoggedAlert, ...]]:
    entry = _mapping(entry, where)
    names = _mapping(entry.get("fired", {}), f"{where}.fired")
    fired = {str(n): _time(v, f"{where}.fired.{n}") for n, v in names.items()}
    items = entry.get("alerts", [])
    if not isinstance(items, list):
        raise ValueError(f"{where}.alerts: expected a list")
    return fired, tuple(_alert(a, f"{where}.alerts[{i}]") for i, a in enumerate(items[:KEEP]))


def parse_trigger_log(text: str, display: str = LOG_FILE) -> TriggerLog:
    """The log in ``text``; :class:`UserError` naming ``display``:line:col (bad JSON) or the
    field (a wrong shape). An empty file is an empty log."""
    if not text.strip():
        return TriggerLog()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{display}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); fix it, or "
            "delete the file (the triggers' cooldowns start afresh)"
        ) from None
    try:
        services = _mapping(_mapping(data, "the file").get("services", {}), "services")
        fired, alerts = {}, {}
        for name, entry in services.items():
            fired[str(name)], found = _service(entry, f"services.{name}")
            if found:
                alerts[str(name)] = found
    except ValueError as exc:
        raise UserError(f"{display}: {exc}") from None
    return TriggerLog(fired, alerts)


def read_trigger_log(root: Path) -> TriggerLog:
    """The log in the work tree at ``root`` (empty when there is none)."""
    path = root / LOG_FILE
    if not path.is_file():
        return TriggerLog()
    return parse_trigger_log(path.read_text(encoding="utf-8", errors="replace"))
