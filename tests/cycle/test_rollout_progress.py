"""A merged proposal followed through its stages on the GitHub-shaped server: one sticky
progress comment per pull request, updated in place at every look, and the outcome posted —
one service promoted to stable, one rolled back; the emergency stop holds both meanwhile."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import git
from tests.cycle.helpers import Bot, events, make_bot
from tests.github.ghserver import GitHubServer
from tests.reconcile.traffic import Arm, write

SERVICES = ("chat-service", "search-bot")


def _at(hhmm: str) -> datetime:
    hour, minute = hhmm.split(":")
    return datetime(2026, 11, 25, int(hour), int(minute), tzinfo=UTC)


def _merge(bot: Bot, github: GitHubServer, number: int, when: str) -> None:
    """A reviewer merges pull request ``number`` on GitHub (a real merge commit on main)."""
    person = bot.person()
    branch = github.state.prs[number]["head"]
    git(person, "fetch", "--quiet", "origin", branch)
    stamp = _at(when).isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(
        ["git", "merge", "--quiet", "--no-ff", "-m", f"Merge pull request #{number}", "FETCH_HEAD"],
        cwd=person, env=env, check=True, capture_output=True,
    )  # fmt: skip
    git(person, "push", "--quiet", "origin", "main")
    github.state.merge(number)


def _traffic(folder: Path, stage: int, version: str, start: str, end: str, *, bad: bool) -> None:
    for index, service in enumerate(SERVICES):
        error = 0.15 if bad and service == "search-bot" else 0.02
        arms = [Arm("v7", 800), Arm(version, 800, error=error, model="gpt-4o-mini")]
        write(
            folder / f"{service}-{stage}.csv",
            service,
            arms,
            _at(start),
            _at(end),
            seed=stage * 10 + index,
        )


def _bodies(github: GitHubServer, number: int) -> list[str]:
    return [c["body"] for c in github.state.comments_on(number)]


def _progress(github: GitHubServer, number: int) -> tuple[list[str], str, list[str]]:
    bodies = [c["body"] for c in github.state.comments_on(number)]
    progress = [b for b in bodies if b.endswith("-->") and "autoopt:progress:" in b]
    others = [b for b in bodies if b not in progress]
    assert len(progress) == 1, bodies  # one sticky comment, edited in place
    return bodies, progress[0], others


def test_stages_to_promotion_and_to_rollback(
    tmp_path: Path, git_identity: Path, github: GitHubServer
) -> None:
    bot = make_bot(tmp_path, api_url=github.url, services=SERVICES)
    proposals = events(bot.cycle(now="2026-11-25T12:00:00Z"))
    version = proposals["chat-service"]["target"]["version"]
    assert {e["pull_request"]["number"] for e in proposals.values()} == {1, 2}
    _merge(bot, github, 1, "12:05")
    _merge(bot, github, 2, "12:05")
    git(bot.clone, "pull", "--quiet", "origin", "main")
    metrics = tmp_path / "stage-metrics"
    run = ("--metrics", str(metrics))

    _traffic(metrics, 1, version, "12:05", "12:15", bad=False)
    first = events(bot.cycle(*run, now="2026-11-25T12:15:00Z"))
    assert {s: (e["decision"], e["action"]) for s, e in first.items()} == {
        "chat-service": ("promote", "advance"),
        "search-bot": ("promote", "advance"),
    }
    assert first["chat-service"]["canary"]["weight"] == 5  # the canary before this look
    assert first["chat-service"]["pull_request"]["number"] == 1
    _, progress, _ = _progress(github, 1)
    assert f"### autoopt rollout: `chat-service` v7 → {version}" in progress
    assert "Stage 1 passed" in progress and "now gets 25% of traffic" in progress

    # the emergency stop: judged, reported, not acted on
    _traffic(metrics, 2, version, "12:15", "12:30", bad=True)
    bot.extra_env["AUTOOPT_NOW"] = "2026-11-25T12:30:00Z"
    bot.run("emergency-stop", "--reason", "provider incident")
    git(bot.clone, "pull", "--quiet", "origin", "main")
    held = bot.cycle(*run, now="2026-11-25T12:30:00Z")
    stopped = events(held)
    assert {e["action"] for e in stopped.values()} == {"blocked"}
    assert stopped["search-bot"]["decision"] == "rollback"
    assert "emergency_stop" in {r["code"] for r in stopped["chat-service"]["reasons"]}
    assert held[-1]["emergency_stop"]["reason"] == "provider incident"
    _, progress, _ = _progress(github, 2)
    assert "Judged **rollback** at stage 2, not acted on because of the emergency stop." in progress
    bot.extra_env["AUTOOPT_NOW"] = "2026-11-25T12:31:00Z"
    bot.run("emergency-stop", "--lift", "--reason", "resolved")
    git(bot.clone, "pull", "--quiet", "origin", "main")

    second = events(bot.cycle(*run, now="2026-11-25T12:31:00Z"))
    assert (second["chat-service"]["decision"], second["chat-service"]["action"]) == (
        "promote",
        "advance",
    )
    assert (second["search-bot"]["decision"], second["search-bot"]["action"]) == (
        "rollback",
        "revert",
    )
    assert "error_rate_increase" in second["search-bot"]["metrics"]
    _, progress, others = _progress(github, 2)
    assert "**Rolled back**: `v7` stays stable." in progress
    assert "| 1 | 5% | promote (2026-11-25 12:15 UTC) |" in progress
    assert "| 2 ◀ | 25% | **rollback** (2026-11-25 12:31 UTC) | error_rate_increase:" in progress
    [outcome] = others
    assert outcome.startswith(f"**autoopt rolled back `search-bot` {version}** in ")
    assert "- error_rate_increase: " in outcome

    _traffic(metrics, 3, version, "12:31", "12:50", bad=False)
    assert (
        events(bot.cycle(*run, now="2026-11-25T12:50:00Z"))["chat-service"]["action"] == "advance"
    )
    _traffic(metrics, 4, version, "12:50", "13:00", bad=False)
    last = events(bot.cycle(*run, now="2026-11-25T13:00:00Z"))
    assert (last["chat-service"]["decision"], last["chat-service"]["action"]) == (
        "promote",
        "promote",
    )
    _, progress, others = _progress(github, 1)
    assert f"**Promoted**: `{version}` is the stable version now (was `v7`)." in progress
    for stage, weight in ((1, 5), (2, 25), (3, 50)):
        assert f"| {stage} | {weight}% | promote (" in progress
    assert "| 4 ◀ | 100% | **promote** (2026-11-25 13:00 UTC) |" in progress
    [outcome] = others
    assert outcome.startswith(f"**autoopt promoted `chat-service` {version}** in ")
    assert "after 4 stage(s)" in outcome
    edits = [r for r in github.calls("PATCH", "/issues/comments/") if r.status == 200]
    assert len(edits) >= 4  # the progress comments were edited in place, never re-posted
    config = git(bot.origin, "show", "main:configs/chat-service.yaml")
    assert f"version: {version}" in config.split("previous:")[0]  # the new stable
    assert "canary:" not in git(bot.origin, "show", "main:configs/search-bot.yaml")

    # search-bot's recovery check after its rollback reached its pull request meanwhile
    after = [b for b in _bodies(github, 2) if "autoopt:after:search-bot:" in b]
    assert len(after) == 1, after  # one sticky comment
    assert after[0].startswith(
        f"### autoopt recovery check after the rollback: `search-bot` {version}"
    )

    # the watch window: the new stable regresses against v7 before it and is rolled back,
    # on the pull request the rollout came from (the canary block that named it is gone)
    bad = [Arm(version, 1600, error=0.15, model="gpt-4o-mini")]
    write(metrics / "chat-service-5.csv", "chat-service", bad, _at("13:00"), _at("13:15"), seed=77)
    watched = events(bot.cycle(*run, now="2026-11-25T13:15:00Z"))["chat-service"]
    assert (watched["decision"], watched["action"]) == ("rollback", "restore")
    assert watched["pull_request"]["number"] == 1
    bodies = _bodies(github, 1)
    [watch] = [b for b in bodies if f"autoopt:after:chat-service:{version}" in b]
    assert watch.startswith(f"### autoopt watch window: `chat-service` {version}")
    assert "**Rolled back in the watch window** in " in watch and "`v7` is stable again" in watch
    [rolled] = [b for b in bodies if f"autoopt:outcome:chat-service:{version}:watch" in b]
    assert rolled.startswith(f"**autoopt rolled back `chat-service` {version}** in ")
    assert "during its watch window; v7 is stable again" in rolled
    assert "version: v7" in git(bot.origin, "show", "main:configs/chat-service.yaml")
    trailer = git(bot.origin, "log", "-1", "--format=%(trailers:key=Autoopt-Proposal,valueonly)")
    assert trailer.strip() == "#1"  # the audit log keeps the link for the recovery check
