"""Cron schedules (the five fields of crontab(5), in UTC) for ``schedule`` triggers.

``minute hour day-of-month month day-of-week`` with ``*``, lists, ranges, steps (``*/15``,
``1-5/2``), month and weekday names (``jan``, ``mon``; 0 and 7 are Sunday) and the aliases
``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``. As in cron, when both the
day of the month and the day of the week are restricted, a day matching either is a match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: field name, lowest, highest, names (index + offset = value)
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
MAX_LOOKBACK_DAYS = 366 * 4  # a schedule that never fired in four years (Feb 30) is "never"


def _value(text: str, low: int, names: tuple[str, ...], field: str) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if names is _MONTHS else 0)
    if not lowered.isdigit():
        raise ValueError(f"{field}: {text!r} is not a number" + (" or a name" if names else ""))
    return int(lowered)


def _field(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"{field}: step {step_text!r} must be a positive number")
        if body == "*":
            first, last = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            first, last = _value(a, low, names, field), _value(b, low, names, field)
        else:
            first = _value(body, low, names, field)
            last = high if step else first
        if not low <= first <= last <= high:
            raise ValueError(f"{field}: {part!r} is outside {low}-{high} or reversed")
        values.update(range(first, last + 1, step or 1))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday .. 6
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse a schedule; ``ValueError`` says which field is wrong and why."""
        spec = _ALIASES.get(text.strip().lower(), text.strip())
        parts = spec.split()
        if len(parts) != 5:
            raise ValueError(
                f"{text!r}: a cron schedule has 5 fields (minute hour day month weekday), "
                f"got {len(parts)}"
            )
        sets = [_field(p, *f[:3], f[3]) for p, f in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(
            text, sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*"
        )

    def _day_matches(self, moment: datetime) -> bool:
        if moment.month not in self.months:
            return False
        by_day = moment.day in self.days
        by_weekday = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def matches(self, moment: datetime) -> bool:
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment)
        )

    def last_at_or_before(self, moment: datetime) -> datetime | None:
        """The latest scheduled minute at or before ``moment`` (None if none in 4 years)."""
        top = moment.replace(second=0, microsecond=0)
        day = top.replace(hour=0, minute=0)
        for back in range(MAX_LOOKBACK_DAYS):
            current = day - timedelta(days=back)
            if not self._day_matches(current):
                continue
            for hour in sorted(self.hours, reverse=True):
                for minute in sorted(self.minutes, reverse=True):
                    candidate = current.replace(hour=hour, minute=minute)
                    if candidate <= top:
                        return candidate
        return None
