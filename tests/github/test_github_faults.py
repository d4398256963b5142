"""Retries, rate limits, timeouts and failures: what a flaky or busy GitHub does to the forge."""

from __future__ import annotations

import logging
import socket

import pytest
import requests

from autoopt.errors import ForgeError
from autoopt.gitops.forge import PRRequest
from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import NOW, TOKEN, GitHubServer

HEAD = "autoopt/chat-service/v8"
REQUEST = PRRequest(title="chat-service: v8", body="evidence", head=HEAD, base="main")


def test_5xx_then_success_is_retried_with_backoff(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    github.fail("GET", "/pulls", status=500, times=1)
    github.fail("GET", "/pulls", status=502, body={"message": "Bad Gateway"}, times=1)

    pr, created = forge.upsert_pr(REQUEST)

    assert created and pr.number == 1
    assert sleeps == [1.0, 2.0]
    assert [r.status for r in github.calls("GET", "/pulls")] == [500, 502, 200]


def test_post_5xx_is_retried_and_still_one_pull_request(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    github.fail("POST", "/pulls", status=503, body={"message": "Service Unavailable"}, times=2)
    forge.upsert_pr(REQUEST)
    assert len(github.state.prs) == 1
    assert sleeps == [1.0, 2.0]


def test_persistent_5xx_is_one_clear_line(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    github.fail("GET", "/pulls", status=502, body={"message": "Server Error"}, times=100)

    with pytest.raises(ForgeError) as info:
        forge.list_prs()

    assert (
        str(info.value)
        == "GitHub list pull requests (acme/llm-configs) failed: HTTP 502: Server Error"
    )
    assert len(github.calls("GET", "/pulls")) == 6  # the first try and max_retries=5
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_max_retries_is_configurable(
    github: GitHubServer, session: requests.Session, sleeps: list[float]
) -> None:
    forge = GitHubForge(
        github.url, "acme/llm-configs", TOKEN, session, sleep=sleeps.append, max_retries=1
    )
    github.fail("GET", "/pulls", status=500, times=100)
    with pytest.raises(ForgeError, match="HTTP 500: Server Error"):
        forge.list_prs()
    assert len(github.calls("GET")) == 2
    assert sleeps == [1.0]


def test_429_waits_retry_after(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    body = {
        "message": "API rate limit exceeded",
        "documentation_url": "https://docs.github.com/rest",
    }
    github.fail("POST", "/labels", status=429, headers={"Retry-After": "7"}, body=body)
    number = github.state.add_pr(HEAD)

    forge.add_labels(number, ["autoopt"])

    assert sleeps == [7.0]
    assert github.state.prs[number]["labels"] == ["autoopt"]


def test_403_rate_limit_waits_until_reset(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 42)}
    github.fail(
        "GET",
        "/pulls",
        status=403,
        headers=headers,
        body={"message": "API rate limit exceeded for installation"},
    )

    assert forge.list_prs() == []

    assert sleeps == [43.0]  # until the reset, plus a second of margin


def test_secondary_rate_limit_waits_a_minute(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    github.fail(
        "POST",
        "/comments",
        status=403,
        body={"message": "You have exceeded a secondary rate limit."},
    )
    number = github.state.add_pr(HEAD)
    forge.comment(number, "hi")
    assert sleeps == [60.0]
    assert len(github.state.comments) == 1


def test_rate_limit_too_far_away_fails_at_once(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    github.fail(
        "GET", "/pulls", status=403, headers=headers, body={"message": "API rate limit exceeded"}
    )

    with pytest.raises(ForgeError) as info:
        forge.list_prs()

    assert str(info.value) == (
        "GitHub list pull requests (acme/llm-configs) failed: "
        "rate limited until 09:00 UTC; try again later"
    )
    assert sleeps == []


def test_403_without_rate_limit_is_not_retried(
    forge: GitHubForge, github: GitHubServer, sleeps: list[float]
) -> None:
    body = {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest",
    }
    github.fail("POST", "/statuses/", status=403, body=body)
    with pytest.raises(ForgeError) as info:
        forge.set_status("b" * 40, "success", context="autoopt", description="ok")
    assert str(info.value) == (
        "GitHub set status 'autoopt' on bbbbbbbbbbbb (acme/llm-configs) failed: "
        "HTTP 403: Resource not accessible by integration"
    )
    assert sleeps == []


def test_validation_errors_are_one_line_with_details(
    forge: GitHubForge, github: GitHubServer
) -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": "PullRequest", "field": "base", "code": "invalid"}],
        "documentation_url": "https://docs.github.com/rest",
    }
    github.fail("POST", "/pulls", status=422, body=body)
    with pytest.raises(ForgeError) as info:
        forge.upsert_pr(REQUEST)
    assert str(info.value) == (
        f"GitHub create pull request from {HEAD} (acme/llm-configs) failed: "
        "HTTP 422: Validation Failed: base invalid"
    )


def test_read_timeout_is_retried(
    github: GitHubServer, session: requests.Session, sleeps: list[float]
) -> None:
    forge = GitHubForge(
        github.url, "acme/llm-configs", TOKEN, session, sleep=sleeps.append, timeout=0.5
    )
    github.state.add_pr(HEAD)
    github.fail("GET", "/pulls", status=200, delay=1.2)

    assert [pr.head for pr in forge.list_prs()] == [HEAD]
    assert sleeps == [1.0]
    assert len(github.calls("GET", "/pulls")) == 2


def test_create_that_timed_out_after_succeeding_leaves_one_pull_request(
    github: GitHubServer, session: requests.Session, sleeps: list[float]
) -> None:
    """GitHub created the PR but the answer came too late: the retry meets 422, finds, updates."""
    forge = GitHubForge(
        github.url, "acme/llm-configs", TOKEN, session, sleep=sleeps.append, timeout=0.5
    )
    github.fail("POST", "/pulls", status=201, delay=1.2)

    pr, _ = forge.upsert_pr(REQUEST)

    assert len(github.state.prs) == 1
    assert pr.number == 1 and pr.title == REQUEST.title
    assert [r.status for r in github.calls("POST", "/pulls")] == [201, 422]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_is_one_clear_line(
    session: requests.Session, sleeps: list[float]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    forge = GitHubForge(url, "acme/llm-configs", TOKEN, session, sleep=sleeps.append, max_retries=2)
    with pytest.raises(ForgeError) as info:
        forge.list_prs()
    assert str(info.value) == (
        "GitHub list pull requests (acme/llm-configs) failed: "
        f"could not connect (3 attempts) reaching {url}"
    )
    assert sleeps == [1.0, 2.0]


def test_pagination_never_leaves_the_api_host(forge: GitHubForge, github: GitHubServer) -> None:
    link = '<https://elsewhere.example/repos/acme/llm-configs/pulls?page=2>; rel="next"'
    github.fail("GET", "/pulls", status=200, body=[], headers={"Link": link})
    with pytest.raises(ForgeError, match=r"pagination left 127\.0\.0\.1:\d+"):
        forge.list_prs()


def test_the_token_never_shows(
    forge: GitHubForge,
    github: GitHubServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"message": f"Bad credentials for Bearer {TOKEN}"}  # a server that echoes the token
    github.fail("GET", "/pulls", status=500, times=1)
    github.fail("GET", "/pulls", status=401, body=echo, times=1)
    messages = [repr(forge), str(forge)]
    with pytest.raises(ForgeError) as info:
        forge.list_prs()
    messages += [str(info.value), repr(info.value), repr(vars(forge))]
    captured = capsys.readouterr()
    messages += [captured.out, captured.err, caplog.text]

    assert str(info.value) == (
        "GitHub list pull requests (acme/llm-configs) failed: "
        "HTTP 401: Bad credentials for Bearer ***"
    )
    assert caplog.text  # the retry was logged, without the token
    for text in messages:
        assert TOKEN not in text
    assert repr(forge) == f"GitHubForge(api_url={github.url!r}, repository='acme/llm-configs')"


def test_an_html_error_page_is_named_by_its_reason(
    forge: GitHubForge, github: GitHubServer
) -> None:
    github.fail("GET", "/pulls", status=404, body="<html>Not here</html>")
    with pytest.raises(ForgeError) as info:
        forge.find_pr(HEAD)
    assert (
        str(info.value)
        == "GitHub list pull requests (acme/llm-configs) failed: HTTP 404: Not Found"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "call", "expected"),
    [
        (
            "GET",
            "/pulls",
            {"not": "a list"},
            "list",
            "list pull requests (acme/llm-configs) failed: expected a JSON list",
        ),
        (
            "GET",
            "/pulls",
            [{"number": 1}],
            "list",
            "read pull request (acme/llm-configs) failed: unexpected response (KeyError('state'))",
        ),
        (
            "POST",
            "/labels",
            [{"id": 1}],
            "label",
            "label #1 (acme/llm-configs) failed: unexpected response (no label names)",
        ),
    ],
)
def test_unexpected_shapes_are_forge_errors(
    forge: GitHubForge,
    github: GitHubServer,
    method: str,
    path: str,
    body: object,
    call: str,
    expected: str,
) -> None:
    github.state.add_pr(HEAD)
    github.fail(method, path, status=200, body=body)
    with pytest.raises(ForgeError) as info:
        if call == "list":
            forge.list_prs()
        else:
            forge.add_labels(1, ["x"])
    assert str(info.value) == f"GitHub {expected}"
