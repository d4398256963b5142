"""Faults on every operation the pull-request lifecycle added or newly relies on: closing a
pull request, the ``autoopt/evidence`` status, the sticky progress comment (list + edit),
finding a branch's pull requests in any state, and (issue #12) the dashboard issue (list,
create, edit), a pull request by number and a user's permission. Each meets a 502, a 429
with Retry-After, a TCP reset and an HTML error page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autoopt.errors import ForgeError
from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import GitHubServer

HEAD = "autoopt/chat-service/v-0cd1ce85"
SHA = "a" * 40
HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def _close(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    pr = forge.close(number)
    assert (pr.number, pr.state) == (number, "closed")
    assert github.state.prs[number]["state"] == "closed"


def _status(forge: GitHubForge, github: GitHubServer) -> None:
    forge.set_status(SHA, "failure", context="autoopt/evidence", description="stale")
    assert github.state.statuses[-1]["context"] == "autoopt/evidence"


def _progress(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    github.state.add_comment(number, "stage 1\n\n<!-- autoopt:progress:chat-service -->")
    forge.comment(number, "stage 2", marker="autoopt:progress:chat-service")
    [comment] = github.state.comments_on(number)
    assert comment["body"] == "stage 2\n\n<!-- autoopt:progress:chat-service -->"


def _find_any(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    github.state.close(number)
    found = forge.find_pr(HEAD, state="all")
    assert found is not None and found.number == number


def _issue_create(forge: GitHubForge, github: GitHubServer) -> None:
    issue, created = forge.upsert_issue("autoopt dashboard", "rows", marker="autoopt:dashboard")
    assert created and github.state.issues[issue.number]["body"].endswith(
        "<!-- autoopt:dashboard -->"
    )
    assert len(github.state.issues) == 1  # a retried create made one issue


def _issue_edit(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_issue("autoopt dashboard", "old\n\n<!-- autoopt:dashboard -->")
    github.state.add_pr("autoopt/x/v1", body="<!-- autoopt:dashboard -->")  # a PR: skipped
    issue, created = forge.upsert_issue("autoopt dashboard", "new", marker="autoopt:dashboard")
    assert (issue.number, created) == (number, False)
    assert github.state.issues[number]["body"] == "new\n\n<!-- autoopt:dashboard -->"


def _permission(forge: GitHubForge, github: GitHubServer) -> None:
    github.state.permissions["maia"] = "maintain"
    assert forge.permission("maia") == "maintain"


def _get_pr(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    assert forge.get_pr(number).head == HEAD


OPS: dict[str, tuple[str, str, Callable[[GitHubForge, GitHubServer], None]]] = {
    "close": ("PATCH", "/pulls/", _close),
    "status": ("POST", "/statuses/", _status),
    "progress-list": ("GET", "/comments", _progress),
    "progress-edit": ("PATCH", "/issues/comments/", _progress),
    "find-any": ("GET", "/pulls", _find_any),
    # the dashboard issue and the comment commands
    "issue-list": ("GET", "/llm-configs/issues", _issue_edit),
    "issue-create": ("POST", "/llm-configs/issues", _issue_create),
    "issue-edit": ("PATCH", "/llm-configs/issues/", _issue_edit),
    "permission": ("GET", "/permission", _permission),
    "pull-get": ("GET", "/pulls/", _get_pr),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_502_is_retried(
    op: str, forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    method, path, call = OPS[op]
    github.fail(method, path, status=502, body={"message": "Bad Gateway"}, times=2)
    call(forge, github)
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize("op", sorted(OPS))
def test_429_waits_retry_after(
    op: str, forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    method, path, call = OPS[op]
    body = {
        "message": "API rate limit exceeded",
        "documentation_url": "https://docs.github.com/rest",
    }
    github.fail(method, path, status=429, headers={"Retry-After": "9"}, body=body)
    call(forge, github)
    assert sleeps == [9.0]


@pytest.mark.parametrize("op", sorted(OPS))
def test_a_tcp_reset_is_retried(
    op: str, forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    method, path, call = OPS[op]
    github.fail(method, path, reset=True)
    call(forge, github)
    assert sleeps == [1.0]
    assert next(r.status for r in github.calls(method, path)) == -1  # the reset one


@pytest.mark.parametrize("op", sorted(OPS))
def test_an_html_error_page_is_one_clear_line(
    op: str, forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    method, path, call = OPS[op]
    github.fail(method, path, status=502, body=HTML, times=100)
    with pytest.raises(ForgeError) as info:
        call(forge, github)
    text = str(info.value)
    assert text.startswith("GitHub ") and text.endswith(
        "(acme/llm-configs) failed: HTTP 502: Bad Gateway"
    )
    assert "<html>" not in text and "\n" not in text
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
