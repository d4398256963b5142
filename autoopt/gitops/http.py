"""Send one HTTP request with retries: backoff on 5xx and transport errors, waits on rate limits.

Nothing here knows about GitHub's resources; ``gitops/github.py`` turns what comes back into
pull requests and ``ForgeError``. Sleeping and the clock are parameters, so tests never wait.
The helper never sees, logs or formats request headers, so a token in them cannot leak here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger(__name__)

RATE_LIMIT_STATUSES = frozenset({403, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``max_retries`` retries after the first attempt, waits capped."""

    max_retries: int = 5
    base_delay: float = 1.0  # first backoff, doubled on each retry
    max_delay: float = 30.0  # cap on one backoff wait
    max_wait: float = 300.0  # a rate limit asking to wait longer than this is not waited out
    secondary_wait: float = 60.0  # GitHub: wait at least a minute after a secondary rate limit

    def backoff(self, attempt: int) -> float:
        """The wait before retry ``attempt`` (0-based) after a 5xx or a transport error."""
        return float(min(self.max_delay, self.base_delay * 2**attempt))


class TransportFailure(Exception):
    """No response after every retry (connection refused, reset, or timed out)."""

    def __init__(self, attempts: int, cause: requests.RequestException) -> None:
        kind = "timed out" if isinstance(cause, requests.Timeout) else "could not connect"
        super().__init__(f"{kind} ({attempts} attempts)")
        self.attempts = attempts


class RateLimited(Exception):
    """The server asked for a wait longer than ``RetryPolicy.max_wait``."""

    def __init__(self, wait: float, response: requests.Response) -> None:
        super().__init__(f"rate limited for {wait:.0f} s")
        self.wait = wait
        self.response = response


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def rate_limit_wait(response: requests.Response, now: float, policy: RetryPolicy) -> float | None:
    """Seconds to wait when ``response`` is a rate limit, else None (403 may be a plain denial).

    Order follows GitHub's guidance: ``Retry-After`` first; then ``x-ratelimit-remaining: 0``
    with ``x-ratelimit-reset`` (epoch seconds); then a secondary limit named in the message
    (at least a minute); a bare 429 is still a rate limit and backs off.
    """
    if response.status_code not in RATE_LIMIT_STATUSES:
        return None
    headers = response.headers
    retry_after = _header_float(headers, "Retry-After")
    if retry_after is not None:
        return max(0.0, retry_after)
    reset = _header_float(headers, "x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return max(0.0, reset - now) + 1.0
    if "secondary rate limit" in response.text.lower():
        return policy.secondary_wait
    if response.status_code == 429:
        return policy.secondary_wait
    return None


def _retry_delay(
    response: requests.Response, attempt: int, now: float, policy: RetryPolicy
) -> float | None:
    if response.status_code >= 500:
        return policy.backoff(attempt)
    wait = rate_limit_wait(response, now, policy)
    if wait is not None and wait > policy.max_wait:
        raise RateLimited(wait, response)
    return wait


@dataclass(frozen=True)
class Sender:
    """A session plus how to retry on it; ``sleep`` and ``clock`` are injected for tests."""

    session: requests.Session
    policy: RetryPolicy
    timeout: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send until a response that is neither 5xx nor a rate limit, or retries run out.

        Returns the last response (possibly still 5xx or 403/429 when retries ran out); raises
        ``TransportFailure`` when no response ever came and ``RateLimited`` for an over-long
        wait. Headers are never logged.
        """
        policy = self.policy
        for attempt in range(policy.max_retries + 1):
            last = attempt == policy.max_retries
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=dict(headers),
                    params=params,
                    json=json,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise TransportFailure(attempt + 1, exc) from None
                delay = policy.backoff(attempt)
                log.debug("%s %s: %s; retry in %.1f s", method, url, type(exc).__name__, delay)
                self.sleep(delay)
                continue
            retry_in = _retry_delay(response, attempt, self.clock(), policy)
            if retry_in is None or last:
                return response
            log.debug(
                "%s %s: HTTP %d; retry in %.1f s", method, url, response.status_code, retry_in
            )
            self.sleep(retry_in)
        raise AssertionError("unreachable: the last attempt returns or raises")
