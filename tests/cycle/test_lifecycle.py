"""The whole life of a proposal on the GitHub-shaped server: the evidence status, the canary
block naming its pull request, superseded and stale proposals closed (their bot-only branches
deleted), and a branch whose pull request failed recovered on the next cycle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.cycle.helpers import Bot, events, lower_quality, make_bot
from tests.github.ghserver import GitHubServer


@pytest.fixture
def one(tmp_path: Path, git_identity: Path, github: GitHubServer) -> Bot:
    # these tests follow pull requests by number; the dashboard issue, which takes numbers from
    # the same sequence on GitHub, has tests of its own (test_dashboard.py)
    return make_bot(tmp_path, api_url=github.url, services=("chat-service",), dashboard=False)


def _branches(bot: Bot) -> list[str]:
    out = git(bot.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/autoopt")
    return out.split()


def _comments(github: GitHubServer, number: int) -> list[str]:
    return [c["body"] for c in github.state.comments_on(number)]


def test_superseded_then_stale_each_closed_with_a_comment(one: Bot, github: GitHubServer) -> None:
    first = events(one.cycle())["chat-service"]
    assert (first["decision"], first["action"]) == ("propose", "created")
    [branch] = _branches(one)
    head = git(one.origin, "rev-parse", branch).strip()
    assert f"refs/heads/{branch}" and first["commit"] == head
    assert "    proposal: '#1'\n" in git(one.origin, "show", f"{branch}:configs/chat-service.yaml")
    [status] = [s for s in github.state.statuses if s["sha"] == head]
    assert (status["context"], status["state"]) == ("autoopt/evidence", "success")
    assert status["description"].startswith(f"propose {first['target']['version']}: improvement +")

    # a person narrows the search space: a newer proposal supersedes #1
    person = one.person()
    policy = person / "policies" / "chat-cost.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("max_tokens: [256, 512, 1024]", "max_tokens: [1024]"), "utf-8")
    one.push_main("Keep max_tokens at 1024")
    git(one.clone, "pull", "--quiet", "origin", "main")
    second = events(one.cycle())["chat-service"]
    assert (second["action"], second["pull_request"]["number"]) == ("created", 2)
    assert second["target"]["version"] != first["target"]["version"]
    assert github.state.prs[1]["state"] == "closed" and github.state.prs[2]["state"] == "open"
    [closing] = _comments(github, 1)
    assert closing.startswith("**autoopt closed this proposal: a newer one supersedes it — #2.**")
    assert closing.endswith("<!-- autoopt:closed -->")  # invisible on GitHub
    assert branch not in _branches(one)  # only the bot had committed to it
    assert [s["state"] for s in github.state.statuses if s["sha"] == head] == ["success", "failure"]

    # the evidence moves: gpt-4o-mini's measured quality drops, the open proposal is stale
    person = one.person()
    lower_quality(person, "v6", 20)
    one.push_main("New quality scores")
    git(one.clone, "pull", "--quiet", "origin", "main")
    third = events(one.cycle())["chat-service"]
    assert (third["decision"], third["action"]) == ("no_change", "closed")
    assert third["pull_request"]["number"] == 2
    assert "improvement_below_threshold" in {r["code"] for r in third["reasons"]}
    assert github.state.prs[2]["state"] == "closed"
    [stale] = _comments(github, 2)
    assert stale.startswith("**autoopt closed this proposal: the evidence no longer supports it.**")
    assert "- `improvement_below_threshold`: " in stale
    assert _branches(one) == []

    # nothing more to do: no comment, no pull request, no branch
    fourth = events(one.cycle())["chat-service"]
    assert (fourth["decision"], fourth["action"]) == ("no_change", "no_change")
    assert len(github.state.prs) == 2 and len(github.state.comments) == 2


def test_a_person_commit_keeps_the_branch_of_a_closed_proposal(
    one: Bot, github: GitHubServer
) -> None:
    one.cycle()
    [branch] = _branches(one)
    person = one.person()
    git(person, "fetch", "--quiet", "origin", branch)
    git(person, "checkout", "--quiet", "-b", "work", f"origin/{branch}")
    (person / "NOTES.md").write_text("why we want this\n", encoding="utf-8")
    git(person, "add", "NOTES.md")
    git(person, "commit", "--quiet", "-m", "Notes")
    git(person, "push", "--quiet", "origin", f"work:{branch}")
    git(person, "checkout", "--quiet", "main")
    lower_quality(person, "v6", 20)
    one.push_main("New quality scores")
    git(one.clone, "pull", "--quiet", "origin", "main")
    event = events(one.cycle())["chat-service"]
    assert event["action"] == "closed" and github.state.prs[1]["state"] == "closed"
    assert _branches(one) == [branch]  # a person's commit is on it: kept
    [comment] = _comments(github, 1)
    assert "has commits by Pat Person <pat@example.com>, so it was kept" in comment


def test_a_branch_pushed_when_the_forge_failed_is_recovered_next_cycle(
    one: Bot, github: GitHubServer
) -> None:
    github.fail("POST", "/pulls", status=502, body={"message": "Bad Gateway"}, times=100)
    done = one.run("cycle", "--format", "json", code=1)  # the service failed: exit code 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.stderr.startswith("::error title=autoopt chat-service::GitHub create pull request")
    event = events(lines)["chat-service"]
    assert event["failed"] is True and event["action"] == "failed"
    assert event["error"].endswith("failed: HTTP 502: Bad Gateway")
    assert lines[-1]["failed"] == ["chat-service"]
    assert github.state.prs == {}
    [branch] = _branches(one)  # the push went through before the forge failed
    github.faults.clear()

    again = events(one.cycle())["chat-service"]
    assert (again["action"], again["pull_request"]["number"]) == ("recovered", 1)
    assert github.state.prs[1]["head"] == branch
    assert "    proposal: '#1'\n" in git(one.origin, "show", f"{branch}:configs/chat-service.yaml")
    assert events(one.cycle())["chat-service"]["action"] == "updated"
    assert len(github.state.prs) == 1


def test_an_orphan_branch_is_deleted_when_the_evidence_moved_on(
    one: Bot, github: GitHubServer
) -> None:
    github.fail("POST", "/pulls", status=502, body={"message": "Bad Gateway"}, times=100)
    one.cycle(code=1)
    github.faults.clear()
    person = one.person()
    lower_quality(person, "v6", 20)
    one.push_main("New quality scores")
    git(one.clone, "pull", "--quiet", "origin", "main")
    event = events(one.cycle())["chat-service"]
    assert event["decision"] == "no_change"
    assert "(pushed, never opened)" in " ".join(event["notes"])
    assert _branches(one) == [] and github.state.prs == {}


def test_markers_are_invisible_html_comments(tmp_path: Path, git_identity: Path) -> None:
    from autoopt.gitops.forge import marker_tag, tagged

    assert marker_tag("autoopt:progress:chat-service") == "<!-- autoopt:progress:chat-service -->"
    assert marker_tag("<!-- autoopt:x -->") == "<!-- autoopt:x -->"
    assert tagged("body", "autoopt:x") == "body\n\n<!-- autoopt:x -->"
    assert tagged("<!-- autoopt:x --> body", "autoopt:x") == "<!-- autoopt:x --> body"
    bot = make_bot(tmp_path, api_url=None, services=("chat-service",))
    assert bot.clone.exists()
