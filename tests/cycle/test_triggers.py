"""``autoopt cycle`` acting on the policies' triggers, on a real clone of a bare origin: a
critical threshold rolls a fresh promotion back (or alerts outside its watch window), a
budget trigger asks for a cheaper proposal, a schedule gates proposals, manual triggers,
cooldowns kept in ``.autoopt/triggers.json`` on the base branch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autoopt.errors import UserError
from tests.conftest import git
from tests.cycle.helpers import Bot, events
from tests.reconcile.helpers import STABLE_ONLY, WATCH
from tests.reconcile.traffic import Arm, write

POLICY = "policies/chat-cost.yaml"
CONFIG = "configs/chat-service.yaml"
LOG = ".autoopt/triggers.json"
BEFORE = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LOOK = "2026-11-25T10:20:00Z"

STABLE_ERRORS = """\
  triggers:
    - name: stable-errors
      type: threshold
      metric: error_rate
      above: 0.15
      window: 1m
      version: stable
      min_sample: 20
      priority: critical
      action: rollback
    - {name: slow, type: threshold, metric: latency_p95_ms, above: 1, window: 5m, action: alert}
"""


def with_policy(bot: Bot, block: str, *, config: str | None = None) -> None:
    """Add ``block`` (YAML under ``spec:``) to the policy, optionally replace the config, and
    push it as a person would."""
    person = bot.person()
    path = person / POLICY
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  tests:", block + "  tests:", 1), encoding="utf-8")
    if config is not None:
        (person / CONFIG).write_text(config, encoding="utf-8")
    bot.push_main("declare triggers")


def watch_metrics(tmp: Path, after_errors: float) -> Path:
    path = tmp / "watch.csv"
    write(path, "chat-service", [Arm("v7", 1500)], BEFORE, AT)
    end = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
    write(path, "chat-service", [Arm("v8", 1000, error=after_errors)], AT, end, seed=8, append=True)
    return path


def origin_log(bot: Bot) -> dict[str, object]:
    out: dict[str, object] = json.loads(git(bot.origin, "show", f"main:{LOG}"))
    return out


def test_a_critical_threshold_rolls_a_fresh_promotion_back(local_bot: Bot, tmp_path: Path) -> None:
    with_policy(local_bot, STABLE_ERRORS, config=WATCH)
    metrics = watch_metrics(tmp_path, after_errors=0.25)
    before = git(local_bot.origin, "rev-parse", "main").strip()
    lines = local_bot.cycle("--metrics", str(metrics), now=LOOK)
    (event,) = events(lines).values()
    assert (event["phase"], event["decision"], event["action"], event["trigger"]) == (
        "analyze",
        "rollback",
        "restore",
        "stable-errors",
    )
    assert event["stable"]["version"] == "v8" and event["target"] == {"version": "v7"}
    statuses = {t["name"]: (t["status"], t["action"]) for t in event["triggers"]}
    assert statuses == {"stable-errors": ("fired", "rollback"), "slow": ("skipped", "alert")}
    (threshold,) = [r for r in event["reasons"] if r["code"] == "trigger_threshold"]
    assert threshold["values"]["value"] > 0.15 and threshold["values"]["n"] >= 20
    # on origin: the restore commit naming the trigger, then the trigger log — one push
    commits = git(local_bot.origin, "log", "--format=%s", f"{before}..main").splitlines()
    assert commits == [
        "autoopt: record 1 trigger firing(s)",
        "autoopt: revert chat-service v8 to v7 (trigger stable-errors)",
    ]
    message = git(local_bot.origin, "log", "-1", "--format=%B", "main~1")
    for trailer in (
        "Autoopt-Trigger: stable-errors",
        "Autoopt-Decision: rollback",
        "Autoopt-Action: restore",
        "Autoopt-Reason: trigger_threshold",
    ):
        assert trailer in message
    config = git(local_bot.origin, "show", f"main:{CONFIG}")
    assert "version: v7" in config and "previous:" not in config
    assert origin_log(local_bot)["services"] == {
        "chat-service": {"fired": {"stable-errors": "2026-11-25T10:20:00Z"}}
    }
    # the next cycle: v7 is stable again and nothing is left to roll back; main stays
    head = git(local_bot.origin, "rev-parse", "main")
    again = events(local_bot.cycle("--metrics", str(metrics), now="2026-11-25T10:21:00Z"))
    assert again["chat-service"]["phase"] != "analyze"
    assert git(local_bot.origin, "rev-parse", "main") == head


def test_outside_the_watch_window_the_critical_trigger_alerts(
    local_bot: Bot, tmp_path: Path
) -> None:
    stable_v8 = STABLE_ONLY.replace("v7", "v8")
    with_policy(local_bot, STABLE_ERRORS, config=stable_v8)
    metrics = watch_metrics(tmp_path, after_errors=0.25)
    text = local_bot.run("cycle", "--metrics", str(metrics), now=LOOK).stdout
    assert "ALERT chat-service stable-errors (critical): stable error_rate " in text
    assert "above 0.15 over the last 60s (n = " in text
    assert "1 alert(s)" in text
    config = git(local_bot.origin, "show", f"main:{CONFIG}")
    assert "version: v8" in config  # nothing rolled back
    logged = origin_log(local_bot)["services"]["chat-service"]  # type: ignore[index]
    (alert,) = logged["alerts"]
    assert alert["trigger"] == "stable-errors" and alert["priority"] == "critical"
    assert "no promotion inside its watch window" not in alert["message"]
    annotations = local_bot.run("cycle", "--metrics", str(metrics), now=LOOK).stderr
    assert "::error" not in annotations  # within the cooldown: no second alert
    late = (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), datetime(2026, 11, 25, 11, 30, tzinfo=UTC))
    write(metrics, "chat-service", [Arm("v8", 1000, error=0.25)], *late, seed=9, append=True)
    lines = local_bot.cycle("--metrics", str(metrics), now="2026-11-25T11:30:00Z")
    (event,) = events(lines).values()
    (again,) = event["alerts"]
    assert again["trigger"] == "stable-errors"
    assert {r["code"] for r in again["reasons"]} >= {"trigger_threshold", "no_watch_window"}
    assert lines[-1]["alerts"][0]["service"] == "chat-service"


BUDGET = """\
  budgets:
    - {period: weekly, limit_usd: 100}
  triggers:
    - {name: spend, type: budget, period: weekly, at: 1.0, action: propose_cheaper}
"""
QUALITY_FIRST = (  # quality is nearly all that counts, and no soft limit on daily cost
    ("weight: 0.6", "weight: 0.01"),
    ("      max: 100\n", "      max: 100000\n"),
)


def test_a_budget_trigger_asks_for_a_cheaper_proposal(local_bot: Bot) -> None:
    person = local_bot.person()
    path = person / POLICY
    text = path.read_text(encoding="utf-8")
    for old, new in QUALITY_FIRST:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    local_bot.push_main("quality first")
    (plain,) = events(local_bot.cycle()).values()
    assert plain["decision"] == "no_change"  # for quality, gpt-4o stays
    with_policy(local_bot, BUDGET)
    (event,) = events(local_bot.cycle()).values()
    assert (event["decision"], event["trigger"]) == ("propose", "spend")
    assert event["target"]["params"]["model"] == "gpt-4o-mini"
    codes = [r["code"] for r in event["reasons"]]
    assert codes[0] == "cheaper_asked" and "proposed" in codes
    (firing,) = event["triggers"]
    assert (firing["status"], firing["action"]) == ("fired", "propose_cheaper")
    assert firing["reasons"][0]["values"]["spent"] > 100
    # the predicted improvement is the cut in cost per request
    assert event["predicted_improvement"]["value"] > 0.5


SCHEDULE = """\
  triggers:
    - {name: nightly, type: schedule, cron: "0 3 * * *", priority: low}
    - {name: by-hand, type: manual}
"""


def test_a_schedule_gates_proposals_and_a_manual_trigger_fires_by_hand(local_bot: Bot) -> None:
    with_policy(local_bot, SCHEDULE)
    (quiet,) = events(local_bot.cycle()).values()
    assert (quiet["phase"], quiet["decision"]) == ("propose", "skipped")
    assert quiet["reasons"][0]["code"] == "no_trigger"
    assert "nightly quiet" in quiet["reasons"][0]["message"]
    (asked,) = events(local_bot.cycle("--trigger", "by-hand")).values()
    assert (asked["decision"], asked["trigger"]) == ("propose", "by-hand")
    night = "2026-11-26T03:05:00Z"
    (scheduled,) = events(local_bot.cycle(now=night)).values()
    assert scheduled["trigger"] == "nightly" and scheduled["phase"] == "propose"
    assert scheduled["decision"] != "skipped"
    (later,) = events(local_bot.cycle(now="2026-11-26T03:20:00Z")).values()
    assert later["decision"] == "skipped"  # fired once for 03:00 (kept in the trigger log)
    head = git(local_bot.origin, "rev-parse", "main")
    with pytest.raises(UserError) as wrong:  # exit 1 through the CLI's choke point
        local_bot.run("cycle", "--trigger", "nope")
    assert str(wrong.value) == (
        "--trigger nope: no policy declares a manual trigger of that name "
        "(manual triggers: by-hand)"
    )
    assert git(local_bot.origin, "rev-parse", "main") == head


def _planned(clone: Path, metrics: Path, look: str = LOOK) -> tuple[object, object, object]:
    from autoopt.cli.cycle import build
    from autoopt.cycle.analyzing import AnalyzePhase
    from autoopt.cycle.core import first_turns

    now = datetime.fromisoformat(look.replace("Z", "+00:00"))
    cycle = build(clone, {}, now, metrics_src=str(metrics), seed=0, trigger="schedule")
    assert cycle.git is not None
    cycle.git.sync()
    turns = first_turns(cycle.repository())
    return cycle, turns, AnalyzePhase().plan(cycle, turns)


def test_two_cycles_racing_roll_back_once(local_bot: Bot, tmp_path: Path) -> None:
    """Both clones decide to roll back (half a minute apart, so their commits differ); the
    second push is rejected (the expected old head moved), the second re-reads, sees v7
    stable again, and commits nothing."""
    with_policy(local_bot, STABLE_ERRORS, config=WATCH)
    metrics = watch_metrics(tmp_path, after_errors=0.25)
    other = local_bot.tmp / "other"
    git(local_bot.tmp, "clone", "--quiet", str(local_bot.origin), str(other))
    _c1, _t1, first = _planned(local_bot.clone, metrics)
    _c2, _t2, second = _planned(other, metrics, "2026-11-25T10:19:30Z")
    assert [t.event.action for t in first.turns if t.event] == ["dry_run"]  # type: ignore[attr-defined]
    assert [t.event.action for t in second.turns if t.event] == ["dry_run"]  # type: ignore[attr-defined]
    done = first.apply()  # type: ignore[attr-defined]
    assert [t.event.action for t in done if t.event] == ["restore"]
    head = git(local_bot.origin, "rev-parse", "main")
    late = second.apply()  # type: ignore[attr-defined]
    assert [t.event for t in late] == [None]  # re-read: nothing left to roll back
    assert git(local_bot.origin, "rev-parse", "main") == head
    subjects = git(local_bot.origin, "log", "--format=%s", "main").splitlines()
    assert sum("revert chat-service v8" in s for s in subjects) == 1
