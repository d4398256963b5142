"""The dashboard issue: created once by the first cycle, edited in place by the next ones,
never duplicated; one row per service with why nothing is happening; the same Markdown from
``autoopt status --format markdown``; the local forge keeps the same view as a file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from autoopt.cycle import dashboard
from autoopt.gitops.local import LocalForge
from autoopt.gitops.repo import GitRepo
from autoopt.rollout.state import read_state
from tests.conftest import QUICKSTART
from tests.cycle.helpers import Bot
from tests.github.ghserver import GitHubServer

TAG = "<!-- autoopt:dashboard -->"


def _boards(github: GitHubServer) -> list[dict[str, Any]]:
    return [i for i in github.state.issues.values() if TAG in i["body"]]


def _row(body: str, service: str) -> list[str]:
    line = next(x for x in body.splitlines() if x.startswith(f"| `{service}` |"))
    return [c.strip() for c in line.strip("|").split(" | ")]


def test_created_once_and_updated_in_place_over_cycles(bot: Bot, github: GitHubServer) -> None:
    bot.cycle()
    [board] = _boards(github)
    assert board["title"] == "autoopt dashboard" and board["labels"] == ["autoopt"]
    body = board["body"]
    assert "| service | stable | canary | last verdict | open proposal |" in body
    service, stable, canary, verdict, proposal, why = _row(body, "chat-service")
    assert service == "`chat-service`" and stable.startswith("`v7` (")
    assert "model=gpt-4o" in stable
    assert (canary, verdict, why) == ("—", "—", "—")
    [number] = [n for n, p in github.state.prs.items() if p["head"].startswith("autoopt/chat-")]
    assert proposal.startswith(f"#{number} autoopt(chat-service): model gpt-4o → ")
    assert (
        "Last cycle: 2026-11-25 12:00:00 UTC — autoopt cycle 2026-11-25 12:00 UTC: 3 service"
        in body
    )

    bot.run("pause", "search-bot", "--reason", "incident 42")
    bot.cycle(now="2026-11-25T12:15:00Z")
    bot.cycle(now="2026-11-25T12:30:00Z")
    [again] = _boards(github)  # the same issue, edited: never a second one
    assert again["number"] == board["number"]
    created = [r for r in github.calls("POST") if r.path.endswith("/repos/acme/llm-configs/issues")]
    assert len(created) == 1
    edited = [r for r in github.calls("PATCH") if r.path.endswith(f"/issues/{board['number']}")]
    assert edited and all(r.status == 200 for r in edited)
    paused = _row(again["body"], "search-bot")
    assert paused[5] == "paused: incident 42"
    assert "Last cycle: 2026-11-25 12:30:00 UTC" in again["body"]

    # status prints the same Markdown between cycles (the record travels in the body)
    shown = bot.run("status", "--format", "markdown", now="2026-11-25T12:31:00Z").stdout
    assert shown.rstrip("\n") == again["body"].replace(f"\n\n{TAG}", "").rstrip("\n")


def test_the_local_forge_keeps_the_same_view_as_a_file(local_bot: Bot) -> None:
    bot = local_bot
    bot.actions = False
    bot.run("emergency-stop", "--reason", "provider outage")
    bot.cycle()
    bot.cycle(now="2026-11-25T12:15:00Z")
    forge = LocalForge(GitRepo(bot.clone), now=datetime.now(UTC))
    [issue] = forge.list_issues()  # one file, however many cycles
    stored = json.loads((forge.issues / f"{issue.number}.json").read_text(encoding="utf-8"))
    assert stored["body"] == issue.body and TAG in issue.body
    assert "> **Emergency stop**: EMERGENCY STOP set by " in issue.body
    assert _row(issue.body, "chat-service")[5].startswith("emergency stop: provider outage")
    assert forge.list_prs(state="all") == []  # the issue is not a pull request
    shown = bot.run("status", "--format", "markdown", now="2026-11-25T12:16:00Z").stdout
    assert shown.rstrip("\n") == issue.body.replace(f"\n\n{TAG}", "").rstrip("\n")


def test_why_nothing_happens_and_failures_are_shown() -> None:
    last = dashboard.LastCycle(
        "2026-11-25T12:00:00Z",
        "autoopt cycle …: 2 service(s); 1 failed (b)",
        {
            "a": dashboard.Outcome(
                "no_change", "no_change", (("insufficient_data", "only 40 requests"),)
            ),
            "b": dashboard.Outcome("skipped", "failed", (), "metrics: no such file x.csv"),
        },
        ("b",),
    )
    body = dashboard.markdown(dashboard.Dashboard((), None, last))
    assert "- **b failed**: metrics: no such file x.csv" in body
    assert dashboard.record_of(body) == last  # read back exactly, with "--" kept out
    assert "--" not in body.split("<!-- autoopt:last-cycle ", 1)[1].split(" -->")[0]

    state = read_state(QUICKSTART)
    for outcome, why in (
        (last.services["a"], "not enough data: only 40 requests"),
        (last.services["b"], "failed: metrics: no such file x.csv"),
        (dashboard.Outcome("no_change", "cooldown", (("cooldown", "closed 1h ago"),)),
         "cooldown: closed 1h ago"),
        (dashboard.Outcome("hold", "none", (("insufficient_data", "n=12"),)),
         "not enough data: n=12"),
        (dashboard.Outcome("propose", "created"), "—"),
        (None, "not judged by a cycle yet"),
    ):  # fmt: skip
        record = dashboard.LastCycle("t", "s", {} if outcome is None else {"chat-service": outcome})
        [row] = dashboard.build(state, [], record).rows
        assert row.why == why
