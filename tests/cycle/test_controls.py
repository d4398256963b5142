"""Pause and emergency stop hold for every command: propose, cycle, reconcile, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from tests.conftest import git
from tests.cycle.helpers import Bot, events

PAT = "Pat Person <pat@example.com>"


def _open_prs(bot: Bot) -> list[int]:
    forge = LocalForge(GitRepo(bot.clone), now=datetime.now(UTC))
    return [p.number for p in forge.list_prs()]


def test_emergency_stop_blocks_propose_and_cycle_and_status_shows_it(local_bot: Bot) -> None:
    bot = local_bot
    bot.actions = False  # from a terminal: the actor is the git identity
    bot.run("emergency-stop", "--reason", "provider outage")
    stop = git(bot.origin, "show", "main:.autoopt/EMERGENCY_STOP")
    assert f'by: "{PAT}"' in stop
    trailers = git(bot.origin, "log", "-1", "--format=%(trailers:key=Autoopt-Actor,valueonly)")
    assert trailers.strip() == PAT

    text = bot.run("propose", "--policy", "chat-cost").stdout.strip()
    assert text.startswith(
        f"chat-service (policy chat-cost): skipped: emergency stop set by {PAT} at "
    )
    assert text.endswith(": provider outage; nothing is proposed or promoted until it is lifted")
    data = json.loads(bot.run("propose", "--policy", "chat-cost", "--format", "json").stdout)
    assert data["decision"] == "skipped" and data["reasons"][0]["code"] == "emergency_stop"

    lines = bot.cycle()
    [event] = events(lines).values()
    assert (event["decision"], event["action"]) == ("skipped", "none")
    assert event["reasons"][0]["code"] == "emergency_stop"
    assert event["reasons"][0]["values"]["by"] == PAT
    assert lines[-1]["emergency_stop"]["reason"] == "provider outage"
    assert _open_prs(bot) == []  # not one proposal was opened
    assert "EMERGENCY STOP set by" in bot.run("cycle").stdout

    table = bot.run("status").stdout
    first = table.splitlines()[0]
    assert first.startswith(f"EMERGENCY STOP set by {PAT} at 20")
    assert ": provider outage — nothing is proposed or promoted" in first
    status = json.loads(bot.run("status", "--format", "json").stdout)
    assert status["emergency_stop"]["reason"] == "provider outage"
    assert status["emergency_stop"]["by"] == PAT and status["emergency_stop"]["at"]

    bot.run("emergency-stop", "--lift", "--reason", "provider is back")
    assert json.loads(bot.run("status", "--format", "json").stdout)["emergency_stop"] is None
    assert events(bot.cycle())["chat-service"]["action"] == "created"
    assert len(_open_prs(bot)) == 1  # one proposal (#1 went to the dashboard issue)


def test_a_paused_service_gets_no_proposal_and_status_says_who_paused_it(local_bot: Bot) -> None:
    bot = local_bot
    bot.actions = True  # from a workflow: the actor is the workflow's
    bot.run("pause", "chat-service", "--reason", "incident 42")
    text = bot.run("propose", "--policy", "chat-cost").stdout
    assert "skipped: chat-service is paused (incident 42)" in text
    [event] = events(bot.cycle()).values()
    assert (event["decision"], event["reasons"][0]["code"]) == ("skipped", "paused")
    assert _open_prs(bot) == []

    status = json.loads(bot.run("status", "--format", "json").stdout)
    [row] = status["services"]
    assert row["paused"] is True
    assert row["pause"]["reason"] == "incident 42"
    assert row["pause"]["by"] == "octocat (GitHub Actions)"
    assert datetime.fromisoformat(row["pause"]["at"]).tzinfo is not None
    assert "PAUSED chat-service by octocat (GitHub Actions) at " in bot.run("status").stdout
