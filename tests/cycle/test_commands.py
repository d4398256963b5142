"""Comment commands from real-shaped ``issue_comment`` events, on the GitHub-shaped server: a
maintainer's commands act (the commit is theirs, with an Autoopt-Actor trailer) and are
answered; a user without write permission — even one the event calls ``OWNER`` — gets a reply
and nothing changes; the permission is asked of the API."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from tests.conftest import git
from tests.cycle.helpers import Bot, events
from tests.github.ghserver import OWNER, REPO, GitHubServer

MAINTAINER = {"login": "maia", "id": 1001, "type": "User"}
READER = {"login": "rex", "id": 1002, "type": "User"}


def _event(number: int, body: str, user: dict[str, Any], *, pr: bool, action: str = "created"):  # type: ignore[no-untyped-def]
    """An ``issue_comment`` event as GitHub sends it (the fields trimmed to a real subset)."""
    issue: dict[str, Any] = {
        "url": f"https://api.github.com/repos/{OWNER}/{REPO}/issues/{number}",
        "html_url": f"https://github.com/{OWNER}/{REPO}/{'pull' if pr else 'issues'}/{number}",
        "number": number,
        "title": "autoopt: chat-service",
        "user": {"login": "autoopt-bot", "id": 9, "type": "Bot"},
        "labels": [{"name": "autoopt"}],
        "state": "open",
        "locked": False,
        "comments": 1,
        "author_association": "NONE",
        "body": "…",
    }
    if pr:
        issue["pull_request"] = {
            "url": f"https://api.github.com/repos/{OWNER}/{REPO}/pulls/{number}",
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
            "merged_at": None,
        }
    return {
        "action": action,
        "issue": issue,
        "comment": {
            "id": 5000 + number,
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}#issuecomment-1",
            "body": body,
            "user": {**user, "site_admin": False},
            "created_at": "2026-11-25T12:05:00Z",
            "updated_at": "2026-11-25T12:05:00Z",
            # what the event claims is never trusted: the API is asked
            "author_association": "OWNER",
        },
        "repository": {"id": 1296269, "name": REPO, "full_name": f"{OWNER}/{REPO}"},
        "sender": user,
    }


def _say(bot: Bot, github: GitHubServer, number: int, body: str, user: dict[str, Any], *,
         pr: bool = True, **kwargs: Any) -> str:  # fmt: skip
    """Post ``body`` as ``user`` on #number and run ``autoopt command``; autoopt's reply."""
    path = bot.tmp / "comment.json"
    path.write_text(json.dumps(_event(number, body, user, pr=pr, **kwargs)), encoding="utf-8")
    before = {c["id"] for c in github.state.comments_on(number)}
    bot.extra_env["GITHUB_EVENT_NAME"] = "issue_comment"
    bot.run("command", "--event", str(path))
    replies = [c["body"] for c in github.state.comments_on(number) if c["id"] not in before]
    assert len(replies) <= 1
    return replies[0] if replies else ""


def _head(bot: Bot) -> str:
    return git(bot.origin, "rev-parse", "main").strip()


def _merge(bot: Bot, github: GitHubServer, number: int) -> None:
    person = bot.person()
    git(person, "fetch", "--quiet", "origin", github.state.prs[number]["head"])
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-25T12:05:00Z",
           "GIT_COMMITTER_DATE": "2026-11-25T12:05:00Z"}  # fmt: skip
    subprocess.run(
        ["git", "merge", "--quiet", "--no-ff", "-m", f"Merge #{number}", "FETCH_HEAD"],
        cwd=person, env=env, check=True, capture_output=True,
    )  # fmt: skip
    git(person, "push", "--quiet", "origin", "main")
    github.state.merge(number)


def test_a_maintainer_pauses_and_resumes_on_the_pull_request(
    bot: Bot, github: GitHubServer
) -> None:
    github.state.permissions.update(maia="maintain", rex="read")
    bot.cycle()
    head = _head(bot)

    reply = _say(bot, github, 1, "/autoopt pause spam", READER)
    assert reply.startswith("> /autoopt pause spam\n\n@rex: `/autoopt pause` needs write, ")
    assert "GitHub says yours is `read`. Nothing was changed." in reply
    assert _head(bot) == head
    asked = github.calls("GET", "/collaborators/rex/permission")
    assert len(asked) == 1 and asked[0].status == 200

    reply = _say(bot, github, 1, "/autoopt pause incident 42", MAINTAINER)
    assert reply.startswith("> /autoopt pause incident 42\n\n@maia: chat-service: paused (commit ")
    assert "until `/autoopt resume`. Reason: incident 42" in reply
    config = git(bot.origin, "show", "main:configs/chat-service.yaml")
    assert "paused: true" in config and "pause_reason: incident 42" in config
    author = git(bot.origin, "log", "-1", "--format=%an <%ae>|%cn").strip()
    assert author == "maia <1001+maia@users.noreply.github.com>|autoopt[bot]"
    actor = git(bot.origin, "log", "-1", "--format=%(trailers:key=Autoopt-Actor,valueonly)")
    assert actor.strip() == "maia (comment on #1)"
    history = bot.run("history", "chat-service").stdout.splitlines()[0]
    assert " pause " in f" {history} " and "by maia (comment on #1)" in history
    [event] = [
        e for e in bot.cycle(now="2026-11-25T12:15:00Z") if e.get("service") == "chat-service"
    ]
    assert (event["decision"], event["reasons"][0]["code"]) == ("skipped", "paused")

    reply = _say(bot, github, 1, "/autoopt resume", MAINTAINER)
    assert "@maia: chat-service: running (commit " in reply
    assert "paused: false" in git(bot.origin, "show", "main:configs/chat-service.yaml")

    assert _say(bot, github, 1, "/autoopt pause x", MAINTAINER, action="edited") == ""
    assert _say(bot, github, 1, "/autoopt pause x", {**MAINTAINER, "type": "Bot"}) == ""
    assert _say(bot, github, 1, "thanks! /autoopt pause", MAINTAINER) == ""
    assert "paused: false" in git(bot.origin, "show", "main:configs/chat-service.yaml")


def test_help_recheck_and_commands_on_the_dashboard(bot: Bot, github: GitHubServer) -> None:
    github.state.permissions.update(maia="admin")
    bot.cycle()
    [board] = [n for n, i in github.state.issues.items() if "autoopt:dashboard" in i["body"]]

    reply = _say(bot, github, 2, "/autoopt help", READER)  # help is for everyone
    assert "| `/autoopt pause [reason]` |" in reply and "| `/autoopt recheck` |" in reply
    assert "`frobnicate` is not an autoopt command." in _say(
        bot, github, 2, "/autoopt frobnicate", MAINTAINER
    )

    reply = _say(bot, github, 2, "/autoopt recheck", MAINTAINER)
    assert reply.startswith("> /autoopt recheck\n\n@maia: rechecked `search-bot` now:\n\n")
    assert "- `search-bot` (search-bot-cost): **propose**, updated #2" in reply

    reply = _say(bot, github, board, "/autoopt pause", MAINTAINER, pr=False)
    assert "name the service first, e.g. `/autoopt pause chat-service …`" in reply
    reply = _say(bot, github, board, "/autoopt pause support-bot quota", MAINTAINER, pr=False)
    assert "@maia: support-bot: paused (commit " in reply
    assert "pause_reason: quota" in git(bot.origin, "show", "main:configs/support-bot.yaml")
    body = github.state.issues[board]["body"]  # the dashboard followed at once
    assert "| `support-bot` |" in body and "paused: quota" in body

    other = github.state.add_issue("a bug", "something")
    reply = _say(bot, github, other, "/autoopt pause support-bot", MAINTAINER, pr=False)
    assert f"on its pull requests and on the dashboard issue #{board}" in reply

    stranger = {"login": "nobody-here", "id": 77, "type": "User"}
    reply = _say(bot, github, 2, "/autoopt recheck", stranger)  # GitHub answers 404: no user
    assert "GitHub says yours is `none`. Nothing was changed." in reply


def test_a_maintainer_rolls_back_a_merged_proposal(bot: Bot, github: GitHubServer) -> None:
    github.state.permissions.update(maia="write", rex="triage")
    found = events(bot.cycle())
    version = found["chat-service"]["target"]["version"]
    _merge(bot, github, 1)
    git(bot.clone, "pull", "--quiet", "origin", "main")
    assert f"version: {version}" in git(bot.origin, "show", "main:configs/chat-service.yaml")

    head = _head(bot)
    assert "yours is `triage`" in _say(bot, github, 1, "/autoopt rollback", READER)
    assert _head(bot) == head

    reply = _say(bot, github, 1, "/autoopt rollback complaints from support", MAINTAINER)
    assert f"@maia: chat-service: {version} rolled back; v7 is stable (commit " in reply
    assert reply.endswith("reason: complaints from support")
    assert "canary:" not in git(bot.origin, "show", "main:configs/chat-service.yaml")
    author = git(bot.origin, "log", "-1", "--format=%an").strip()
    assert author == "maia"
    [mine] = [c for c in github.state.comments_on(1) if "rolled back by hand" in c["body"]] or [
        None
    ]
    assert mine is None  # the reply on this pull request says it; no second comment
