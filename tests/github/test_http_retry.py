"""The retry helper's arithmetic: backoff and rate-limit waits, from literal responses."""

from __future__ import annotations

import pytest
import requests

from autoopt.gitops.http import RetryPolicy, rate_limit_wait


def response(
    status: int, headers: dict[str, str] | None = None, text: str = ""
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers or {})
    r._content = text.encode()
    return r


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    assert [policy.backoff(a) for a in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


@pytest.mark.parametrize(
    ("status", "headers", "text", "wait"),
    [
        (429, {"Retry-After": "7"}, "", 7.0),
        (403, {"Retry-After": "3"}, "", 3.0),
        (429, {"Retry-After": "-5"}, "", 0.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1042"}, "", 43.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "900"}, "", 1.0),  # already past
        (403, {"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1042"}, "", None),
        (403, {}, '{"message": "You have exceeded a secondary rate limit"}', 60.0),
        (429, {}, "", 60.0),
        (403, {}, '{"message": "Resource not accessible by integration"}', None),
        (500, {"Retry-After": "7"}, "", None),
        (200, {}, "", None),
    ],
)
def test_rate_limit_wait(
    status: int, headers: dict[str, str], text: str, wait: float | None
) -> None:
    assert rate_limit_wait(response(status, headers, text), 1000.0, RetryPolicy()) == wait
