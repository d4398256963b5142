"""The GitHub forge: pull requests, sticky comments, labels and commit statuses over REST v3.

``GitHubForge`` talks to ``api_url`` (``https://api.github.com`` or a GitHub Enterprise
``https://ghe.example/api/v3``) through an injected ``requests.Session``. The caller reads the
token from the environment and passes it in; this module never reads the environment, and the
token appears in no message, log line or repr. Transient failures (5xx, connection errors,
timeouts, rate limits) are retried by ``gitops/http.py``; what still fails becomes one
``ForgeError`` line naming the operation, the HTTP status and GitHub's message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import requests

from autoopt import __version__
from autoopt.errors import ForgeError
from autoopt.gitops.forge import (
    PERMISSIONS,
    CheckRun,
    Issue,
    PRRequest,
    PRState,
    PullRequest,
    StatusState,
    marker_tag,
    tagged,
)
from autoopt.gitops.http import RateLimited, RetryPolicy, Sender, TransportFailure

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 items: far beyond any repository autoopt manages
STATUS_DESCRIPTION_MAX = 140  # GitHub rejects longer commit-status descriptions


class GitHubAPIError(ForgeError):
    """GitHub answered with an error status (after any retries); one line, no token."""

    def __init__(self, text: str, status: int, message: str) -> None:
        super().__init__(text)
        self.status = status
        self.message = message  # GitHub's ``message`` and ``errors[].message``, one line


class _Secret:
    """A string that never shows itself in repr or str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error_message(response: requests.Response) -> str:
    """GitHub's ``message`` plus the ``errors[].message`` details of a 422, on one line."""
    try:
        data = response.json()
    except ValueError:
        return response.reason or _one_line(response.text[:200])  # e.g. an HTML error page
    if not isinstance(data, dict):
        return response.reason or ""
    parts = [str(data.get("message", ""))]
    for item in data.get("errors") or []:
        if isinstance(item, dict) and item.get("message"):
            parts.append(str(item["message"]))
        elif isinstance(item, dict) and item.get("code"):
            parts.append(f"{item.get('field', '')} {item['code']}".strip())
    return _one_line(": ".join(p for p in parts if p))


def _to_pull_request(data: Mapping[str, Any]) -> PullRequest:
    merged = bool(data.get("merged_at"))
    state: PRState = "merged" if merged else ("open" if data["state"] == "open" else "closed")
    labels = tuple(str(label["name"]) for label in data.get("labels") or [])
    user = data.get("user") or {}
    return PullRequest(
        number=int(data["number"]),
        title=str(data["title"]),
        body=str(data.get("body") or ""),
        head=str(data["head"]["ref"]),
        base=str(data["base"]["ref"]),
        state=state,
        url=str(data.get("html_url") or ""),
        labels=labels,
        head_sha=str(data["head"].get("sha") or ""),
        author=str(user.get("login") or ""),
        closed_at=data.get("closed_at"),
    )


def _matches(pr: PullRequest, state: PRState | Literal["all"]) -> bool:
    return state in ("all", pr.state)


class GitHubForge:
    """``Forge`` over GitHub REST v3 (github.com or GitHub Enterprise Server)."""

    shared = True  # every clone sees the same pull requests

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        session: requests.Session | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 5,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        owner, sep, name = repository.partition("/")
        if not (owner and sep and name) or "/" in name:
            raise ForgeError(f"GitHub repository must be OWNER/NAME, got {repository!r}")
        if not token:
            raise ForgeError("no GitHub token: set the variable named by forge.token_env")
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.owner = owner
        self._token = _Secret(token)
        self._clock = clock
        policy = RetryPolicy(max_retries=max_retries)
        # None only from composition roots that have no session of their own
        self._sender = Sender(session or requests.Session(), policy, timeout, sleep, clock)

    def __repr__(self) -> str:
        return f"GitHubForge(api_url={self.api_url!r}, repository={self.repository!r})"

    # -- HTTP --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self._token.reveal()}",
            "User-Agent": f"autoopt/{__version__}",
        }

    def _fail(self, operation: str, detail: str) -> ForgeError:
        text = _one_line(f"GitHub {operation} ({self.repository}) failed: {detail}")
        return ForgeError(text.replace(self._token.reveal(), "***"))

    def _refused(self, operation: str, response: requests.Response) -> GitHubAPIError:
        message = _error_message(response).replace(self._token.reveal(), "***")
        detail = f"HTTP {response.status_code}: {message}".rstrip(": ")
        text = _one_line(f"GitHub {operation} ({self.repository}) failed: {detail}")
        return GitHubAPIError(text, response.status_code, message)

    def _send(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
    ) -> requests.Response:
        """One call with retries; a response that is still an error raises ``ForgeError``."""
        try:
            response = self._sender.send(
                method, url, headers=self._headers(), params=params, json=body
            )
        except TransportFailure as exc:
            raise self._fail(operation, f"{exc} reaching {self.api_url}") from None
        except RateLimited as exc:
            until = datetime.fromtimestamp(self._clock() + exc.wait, UTC).strftime("%H:%M UTC")
            detail = f"rate limited until {until}; try again later"
            raise self._fail(operation, detail) from None
        if response.status_code >= 400:
            raise self._refused(operation, response)
        return response

    def _parse_pr(self, data: Any) -> PullRequest:
        try:
            return _to_pull_request(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._fail("read pull request", f"unexpected response ({exc!r})") from None

    def _url(self, path: str) -> str:
        return f"{self.api_url}/repos/{self.repository}{path}"

    def _json(self, method: str, path: str, operation: str, body: Any = None) -> Any:
        response = self._send(method, self._url(path), operation, body=body)
        try:
            return response.json()
        except ValueError:
            raise self._fail(operation, "the response is not JSON") from None

    def _pages(
        self, path: str, operation: str, params: Mapping[str, str | int]
    ) -> Iterator[Mapping[str, Any]]:
        """Every item of a list call, following ``Link: rel="next"`` on the same host."""
        url: str | None = self._url(path)
        query: Mapping[str, str | int] | None = {**params, "per_page": PER_PAGE}
        origin = urlsplit(self.api_url).netloc
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._send("GET", url, operation, params=query)
            try:
                items = response.json()
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise self._fail(operation, "expected a JSON list")
            yield from items
            url = response.links.get("next", {}).get("url")
            if url is not None and urlsplit(url).netloc != origin:
                raise self._fail(operation, f"pagination left {origin}")
            query = None  # the next link carries the whole query
        raise self._fail(operation, f"more than {MAX_PAGES} pages")

    # -- pull requests -----------------------------------------------------------------------

    def _list(self, state: PRState | Literal["all"], head: str | None) -> list[PullRequest]:
        api_state = {"open": "open", "closed": "closed", "merged": "closed"}.get(state, "all")
        params: dict[str, str | int] = {"state": api_state}
        if head is not None:
            params["head"] = f"{self.owner}:{head}"
        prs = [self._parse_pr(d) for d in self._pages("/pulls", "list pull requests", params)]
        return [pr for pr in prs if _matches(pr, state)]

    def list_prs(self, *, state: PRState | Literal["all"] = "open") -> Sequence[PullRequest]:
        return self._list(state, None)

    def find_pr(self, head: str, *, state: PRState | Literal["all"] = "open") -> PullRequest | None:
        prs = [pr for pr in self._list(state, head) if pr.head == head]
        return max(prs, key=lambda pr: pr.number, default=None)

    def _update(self, pr: PullRequest, request: PRRequest) -> PullRequest:
        """Bring ``pr`` to what ``request`` asks; no call (and no "edited" event) if it is."""
        if (pr.title, pr.body, pr.base) == (request.title, request.body, request.base):
            return pr
        body = {"title": request.title, "body": request.body, "base": request.base}
        operation = f"update pull request #{pr.number}"
        return self._parse_pr(self._json("PATCH", f"/pulls/{pr.number}", operation, body))

    def _create(self, request: PRRequest) -> PullRequest | None:
        """The new pull request, or None when GitHub says one already exists for the head."""
        body = {
            "title": request.title,
            "body": request.body,
            "head": request.head,
            "base": request.base,
            "draft": request.draft,
        }
        try:
            data = self._json("POST", "/pulls", f"create pull request from {request.head}", body)
        except GitHubAPIError as exc:
            if exc.status == 422 and "already exists" in exc.message:
                return None
            raise
        return self._parse_pr(data)

    def upsert_pr(self, request: PRRequest) -> tuple[PullRequest, bool]:
        """Update the open pull request from ``request.head``, or create it; never two.

        When the create meets GitHub's 422 "A pull request already exists" (another run, or
        our own attempt whose answer timed out, got there first) the existing one is updated.
        """
        existing = self.find_pr(request.head, state="open")
        pr = None if existing else self._create(request)
        created = pr is not None
        if pr is None:
            existing = existing or self.find_pr(request.head, state="open")
            if existing is None:
                raise self._fail("create pull request", "GitHub says it exists but lists none")
            pr = self._update(existing, request)
        missing = [label for label in request.labels if label not in pr.labels]
        if missing:
            pr = replace(pr, labels=self._add_labels(pr.number, missing))
        log.info("pull request #%d %s", pr.number, "created" if created else "updated")
        return pr, created

    def close(self, number: int) -> PullRequest:
        """Close #number unmerged (``PATCH …/pulls/{number}`` with ``state: closed``)."""
        operation = f"close pull request #{number}"
        return self._parse_pr(
            self._json("PATCH", f"/pulls/{number}", operation, {"state": "closed"})
        )

    # -- comments, labels, statuses ----------------------------------------------------------

    def comment(self, number: int, body: str, *, marker: str | None = None) -> None:
        """Comment on #number; with ``marker`` the comment carrying it is edited in place."""
        operation = f"comment on #{number}"
        if marker is None:
            self._json("POST", f"/issues/{number}/comments", operation, {"body": body})
            return
        tag, body = marker_tag(marker), tagged(body, marker)
        path = f"/issues/{number}/comments"
        for item in self._pages(path, f"list comments of #{number}", {}):
            if tag in str(item.get("body") or ""):
                if item.get("body") != body:
                    url = f"/issues/comments/{int(item['id'])}"
                    self._json("PATCH", url, f"edit comment on #{number}", {"body": body})
                return
        self._json("POST", path, operation, {"body": body})

    def _add_labels(self, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        body = {"labels": list(labels)}
        operation = f"label #{number}"
        data = self._json("POST", f"/issues/{number}/labels", operation, body)
        try:
            return tuple(str(item["name"]) for item in data)
        except (KeyError, TypeError):
            raise self._fail(operation, "unexpected response (no label names)") from None

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            self._add_labels(number, labels)

    def set_status(
        self, sha: str, state: StatusState, *, context: str, description: str, url: str = ""
    ) -> None:
        if len(description) > STATUS_DESCRIPTION_MAX:
            description = description[: STATUS_DESCRIPTION_MAX - 1] + "…"
        body: dict[str, str] = {"state": state, "context": context, "description": description}
        if url:
            body["target_url"] = url
        self._json("POST", f"/statuses/{sha}", f"set status {context!r} on {sha[:12]}", body)

    # -- pull requests by number, issues, permissions ----------------------------------------

    def get_pr(self, number: int) -> PullRequest:
        return self._parse_pr(self._json("GET", f"/pulls/{number}", f"read pull request #{number}"))

    def _parse_issue(self, data: Any, operation: str) -> Issue:
        try:
            state: Literal["open", "closed"] = "closed" if data["state"] == "closed" else "open"
            return Issue(
                number=int(data["number"]),
                title=str(data["title"]),
                body=str(data.get("body") or ""),
                url=str(data.get("html_url") or ""),
                state=state,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise self._fail(operation, f"unexpected response ({exc!r})") from None

    def find_issue(self, marker: str) -> Issue | None:
        """The open issue carrying ``marker`` (``GET …/issues``, all pages; pull requests, which
        that list includes, are skipped)."""
        tag = marker_tag(marker)
        operation = "list issues"
        found = [
            self._parse_issue(item, operation)
            for item in self._pages("/issues", operation, {"state": "open"})
            if "pull_request" not in item and tag in str(item.get("body") or "")
        ]
        return min(found, key=lambda issue: issue.number, default=None)

    def upsert_issue(
        self, title: str, body: str, *, marker: str, labels: Sequence[str] = ()
    ) -> tuple[Issue, bool]:
        body = tagged(body, marker)
        existing = self.find_issue(marker)
        if existing is None:
            data = {"title": title, "body": body, "labels": list(labels)}
            operation = "create issue"
            return self._parse_issue(
                self._json("POST", "/issues", operation, data), operation
            ), True
        if (existing.title, existing.body) == (title, body):
            return existing, False
        operation = f"update issue #{existing.number}"
        data = self._json(
            "PATCH", f"/issues/{existing.number}", operation, {"title": title, "body": body}
        )
        return self._parse_issue(data, operation), False

    def permission(self, user: str) -> str:
        """``GET …/collaborators/{user}/permission``: the role (``maintain`` and ``triage``
        show only there), else the base permission; ``none`` for an unknown user."""
        operation = f"read the permission of {user}"
        try:
            data = self._json("GET", f"/collaborators/{quote(user, safe='')}/permission", operation)
        except GitHubAPIError as exc:
            if exc.status == 404:
                return "none"
            raise
        if not isinstance(data, dict):
            raise self._fail(operation, "unexpected response (not an object)")
        role = str(data.get("role_name") or "")
        base = str(data.get("permission") or "none")
        return role if role in PERMISSIONS else base if base in PERMISSIONS else "none"

    # -- check runs ---------------------------------------------------------------------------

    def find_check_run(self, sha: str, name: str) -> tuple[int, int] | None:
        """(id, annotations) of the newest check run ``name`` on commit ``sha``, or None."""
        operation = f"list check runs of {sha[:12]}"
        params: dict[str, str | int] = {"check_name": name, "filter": "latest", "per_page": 100}
        url = self._url(f"/commits/{sha}/check-runs")
        response = self._send("GET", url, operation, params=params)
        try:
            runs = response.json()["check_runs"]
            found = [
                (int(run["id"]), int((run.get("output") or {}).get("annotations_count") or 0))
                for run in runs
                if run.get("name") == name
            ]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._fail(operation, "unexpected response (no check_runs)") from None
        return max(found, default=None)

    def upsert_check_run(self, sha: str, name: str, run: CheckRun) -> int:
        """The completed check run ``name`` on ``sha``: the one already there updated in
        place, or a new one; returns its id. GitHub only ever appends annotations to a run, so
        a run that already carries some is replaced by a new one when there are annotations to
        give (the pull request shows the newest run of a name). Annotations go 50 to a
        request, as GitHub accepts them."""
        step = ANNOTATIONS_PER_CALL
        notes = list(run.annotations)
        batches = [notes[i : i + step] for i in range(0, len(notes), step)] or [[]]
        output = {"title": run.title[:1000], "summary": _clip(run.summary), "text": _clip(run.text)}
        body: dict[str, Any] = {
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": run.conclusion,
            "completed_at": run.completed_at,
            "output": {**output, "annotations": batches[0]},
        }
        if run.details_url:
            body["details_url"] = run.details_url
        existing = self.find_check_run(sha, name)
        if existing is None or (existing[1] and notes):
            data = self._json("POST", "/check-runs", f"create check run {name!r}", body)
        else:
            body.pop("head_sha")
            path = f"/check-runs/{existing[0]}"
            data = self._json("PATCH", path, f"update check run {name!r}", body)
        try:
            check_id = int(data["id"])
        except (KeyError, TypeError, ValueError):
            raise self._fail(f"create check run {name!r}", "unexpected response (no id)") from None
        for batch in batches[1:]:
            more = {"output": {**output, "annotations": batch}}
            self._json("PATCH", f"/check-runs/{check_id}", f"annotate check run {name!r}", more)
        return check_id


ANNOTATIONS_PER_CALL = 50  # GitHub's limit per create or update request
OUTPUT_MAX = 65_535  # characters of a check run's output.summary and output.text


def _clip(text: str) -> str:
    if len(text) <= OUTPUT_MAX:
        return text
    cut = "\n\n… (cut: the full review is in the pull-request comment and the job summary)"
    return text[: OUTPUT_MAX - len(cut)] + cut
