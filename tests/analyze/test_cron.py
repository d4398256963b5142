"""Cron schedules against a brute-force minute-by-minute scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoopt.spec.cron import Cron

NOW = datetime(2026, 11, 25, 14, 7, 30, tzinfo=UTC)  # a Wednesday


def _brute(cron: Cron, moment: datetime, days: int = 40) -> datetime | None:
    at = moment.replace(second=0, microsecond=0)
    for _ in range(days * 24 * 60):
        if cron.matches(at):
            return at
        at -= timedelta(minutes=1)
    return None


@pytest.mark.parametrize(
    "text",
    [
        "*/15 * * * *",
        "0 3 * * *",
        "30 9-17/2 * * mon-fri",
        "0 0 1,15 * *",
        "5 4 * * sun",
        "0 12 13 * 5",  # the 13th or any Friday (cron's either-day rule)
        "@hourly",
        "@weekly",
        "59 23 31 dec *",
        "0 0 * feb 7",
    ],
)
def test_last_run_matches_a_brute_force_scan(text: str) -> None:
    cron = Cron.parse(text)
    yearly = "dec" in text or "feb" in text
    for hours in (0,) if yearly else (0, 5, 49, 200):
        moment = NOW - timedelta(hours=hours)
        want = _brute(cron, moment, days=400 if yearly else 40)
        assert cron.last_at_or_before(moment) == want


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", "has 5 fields"),
        ("61 * * * *", "minute: '61' is outside 0-59"),
        ("* 5-2 * * *", "hour: '5-2' is outside 0-23 or reversed"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("* * * foo *", "month: 'foo' is not a number or a name"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Cron.parse(text)


def test_an_impossible_date_never_runs() -> None:
    assert Cron.parse("0 0 30 2 *").last_at_or_before(NOW) is None
