"""``autoopt cycle`` inside a GitHub Actions step, against the GitHub-shaped server: three
policies, three pull requests, never a duplicate; outputs, step summary, annotations."""

from __future__ import annotations

from tests.conftest import git
from tests.cycle.helpers import SERVICES, Bot, events
from tests.github.ghserver import GitHubServer


def test_three_policies_three_pull_requests_never_a_duplicate(
    bot: Bot, github: GitHubServer
) -> None:
    first = bot.cycle()
    found = events(first)
    assert sorted(found) == list(SERVICES)  # one event per service, in a stable order
    assert [e["service"] for e in first if e["event"] == "service"] == list(SERVICES)
    for service, event in found.items():
        assert (event["decision"], event["action"], event["trigger"]) == (
            "propose",
            "created",
            "schedule",
        ), service
        assert event["target"]["params"]["model"] == "gpt-4o-mini"
        assert event["metrics"]["stable"]["n"] == 4483
        assert event["predicted_improvement"]["value"] > 0.1
        assert 0.8 <= event["confidence"] <= 1
        assert {r["code"] for r in event["reasons"]} >= {"proposed"}
        number = event["pull_request"]["number"]
        assert event["pull_request"]["url"] == f"https://github.com/acme/llm-configs/pull/{number}"
    summary = first[-1]
    assert summary["event"] == "summary" and summary["decisions"] == {"propose": 3}
    assert summary["failed"] == [] and summary["emergency_stop"] is None
    assert len(github.state.prs) == 3
    heads = sorted(p["head"] for p in github.state.prs.values())
    assert [h.split("/")[1] for h in heads] == sorted(SERVICES)

    outputs = bot.outputs()
    assert outputs["decision"] == "propose"
    assert outputs["pull-request"] == "1 2 3"
    assert outputs["summary"].startswith(
        "autoopt cycle 2026-11-25 12:00 UTC: 3 service(s): 3 propose"
    )
    step = (bot.tmp / "summary.md").read_text(encoding="utf-8")
    assert step.startswith("### autoopt cycle\n")
    assert "| `search-bot` | search-bot-cost | **propose** | created |" in step

    # the same cycle twice more: the same three pull requests, updated in place at most
    for _ in range(2):
        again = events(bot.cycle())
        assert {e["action"] for e in again.values()} == {"updated"}
        assert {e["pull_request"]["number"] for e in again.values()} == {1, 2, 3}
    assert len(github.state.prs) == 3
    assert all(p["state"] == "open" for p in github.state.prs.values())


def test_dry_run_changes_nothing_and_says_what_it_would_do(bot: Bot, github: GitHubServer) -> None:
    before = git(bot.origin, "for-each-ref")
    text = bot.run("cycle", "--dry-run").stdout
    assert "dry run: nothing changed" in text
    assert "chat-service  chat-cost" in text
    assert "propose   dry_run" in text
    assert github.requests == []  # not one call to the forge
    assert git(bot.origin, "for-each-ref") == before
