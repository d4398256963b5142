"""The audit log read back: stage starts of the current rollout, and the last rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autoopt.rollout.history import Rollback, entries, last_rollbacks, stage_starts
from autoopt.rollout.observe import stage_windows
from autoopt.spec.load import load_string
from autoopt.spec.models import LLMConfig
from autoopt.values import Window
from tests.reconcile.helpers import canary


def at(minute: int) -> datetime:
    return datetime(2026, 11, 25, 10, minute, tzinfo=UTC)


def msg(*pairs: tuple[str, str]) -> str:
    return "subject\n\n" + "\n".join(f"{k}: {v}" for k, v in pairs) + "\n"


def step(service: str, version: str, to: int) -> str:
    return msg(
        ("Autoopt-Service", service),
        ("Autoopt-Decision", "promote"),
        ("Autoopt-Action", "advance"),
        ("Autoopt-Version", version),
        ("Autoopt-Step", str(to)),
    )


PROPOSE = msg(
    ("Autoopt-Service", "chat-service"), ("Autoopt-Decision", "propose"), ("Autoopt-Version", "v8")
)


def config(text: str) -> LLMConfig:
    document = load_string(text, path=Path("c.yaml")).document
    assert isinstance(document, LLMConfig)
    return document


def test_stage_starts_walk_back_from_the_current_stage() -> None:
    # newest first, as git log gives them; step 2 started at 10:00 per the config's own clock
    now_at_step_2 = canary(2)
    log = entries(
        [
            (at(0), step("chat-service", "v8", 2)),
            (at(0), "a person's commit without trailers\n"),
            (datetime(2026, 11, 25, 9, 50, tzinfo=UTC), step("chat-service", "v8", 1)),
            (datetime(2026, 11, 25, 9, 45, tzinfo=UTC), step("other", "v8", 1)),
            (datetime(2026, 11, 25, 9, 40, tzinfo=UTC), PROPOSE),
            (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), step("chat-service", "v8", 1)),  # older
        ]
    )
    starts = stage_starts(log, {"chat-service": config(now_at_step_2)})
    assert starts == {
        "chat-service": {
            1: datetime(2026, 11, 25, 9, 50, tzinfo=UTC),
            0: datetime(2026, 11, 25, 9, 40, tzinfo=UTC),
        }
    }
    windows = stage_windows(config(now_at_step_2).spec.canary, starts["chat-service"], at(20))  # type: ignore[arg-type]
    assert windows == {
        0: Window(
            datetime(2026, 11, 25, 9, 40, tzinfo=UTC), datetime(2026, 11, 25, 9, 50, tzinfo=UTC)
        ),
        1: Window(datetime(2026, 11, 25, 9, 50, tzinfo=UTC), at(0)),
        2: Window(at(0), at(20)),
    }


def test_a_missing_stage_stops_the_walk() -> None:
    log = entries([(datetime(2026, 11, 25, 9, 40, tzinfo=UTC), PROPOSE)])  # no step-1 commit
    assert stage_starts(log, {"chat-service": config(canary(2))}) == {}
    assert stage_starts(log, {"chat-service": config(canary(0))}) == {}  # stage 0: the config


def test_last_rollback_only_when_it_is_the_newest_autoopt_commit() -> None:
    rollback = msg(
        ("Autoopt-Service", "chat-service"),
        ("Autoopt-Decision", "rollback"),
        ("Autoopt-From", "v7"),
        ("Autoopt-Version", "v8"),
    )
    log = entries([(at(5), rollback), (at(1), step("chat-service", "v8", 1))])
    assert last_rollbacks(log) == {"chat-service": Rollback(at(5), "v8", "v7")}
    later = entries([(at(9), step("chat-service", "v9", 1)), (at(5), rollback)])
    assert last_rollbacks(later) == {}
