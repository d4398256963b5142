"""The test server's checks are real: requests that break GitHub's description are caught."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.github.ghserver import TOKEN, GitHubServer
from tests.github.openapi_check import OperationIndex, Validator, load_spec

HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "Authorization": f"Bearer {TOKEN}",
    "User-Agent": "test",
}


@pytest.fixture
def raw() -> Iterator[GitHubServer]:
    """A server whose violations the test inspects itself (and then clears)."""
    server = GitHubServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


def send(
    server: GitHubServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> int:
    response = requests.request(
        method, server.url + path, headers=headers or HEADERS, timeout=5, **kwargs
    )
    return response.status_code


BAD_REQUESTS = [
    ("GET", "/repos/acme/llm-configs/pullz", {}, "no such operation"),
    ("DELETE", "/repos/acme/llm-configs/pulls", {}, "no such operation"),
    (
        "GET",
        "/repos/acme/llm-configs/pulls?state=merged",
        {},
        "'merged' is not one of ['open', 'closed', 'all']",
    ),
    ("GET", "/repos/acme/llm-configs/pulls?per_page=lots", {}, "'lots' is not an integer"),
    (
        "GET",
        "/repos/acme/llm-configs/pulls?colour=red",
        {},
        "query parameter 'colour' is not in the operation",
    ),
    (
        "POST",
        "/repos/acme/llm-configs/pulls",
        {"json": {"title": "t", "head": "h"}},
        "missing required 'base'",
    ),
    (
        "POST",
        "/repos/acme/llm-configs/pulls",
        {"json": {"head": "h", "base": "b", "draft": "yes"}},
        "body.draft: expected boolean",
    ),
    ("POST", "/repos/acme/llm-configs/pulls", {}, "a request body is required"),
    (
        "PATCH",
        "/repos/acme/llm-configs/pulls/1",
        {"json": {"state": "merged"}},
        "body.state: 'merged' is not one of",
    ),
    ("PATCH", "/repos/acme/llm-configs/pulls/one", {"json": {}}, "'one' is not an integer"),
    (
        "POST",
        "/repos/acme/llm-configs/issues/1/labels",
        {"json": {"labels": []}},
        "matches 0 of oneOf",
    ),
    (
        "POST",
        "/repos/acme/llm-configs/issues/1/labels",
        {"json": {"labels": [3]}},
        "matches 0 of oneOf",
    ),
    (
        "POST",
        "/repos/acme/llm-configs/statuses/abc",
        {"json": {"state": "ok"}},
        "body.state: 'ok' is not one of",
    ),
    (
        "POST",
        "/repos/acme/llm-configs/issues/1/comments",
        {
            "data": b"body=x",
            "headers": {**HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
        },
        "is not application/json",
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "expected"), BAD_REQUESTS)
def test_bad_requests_are_recorded(
    raw: GitHubServer, method: str, path: str, kwargs: dict[str, Any], expected: str
) -> None:
    status = send(raw, method, path, **kwargs)
    assert status in (404, 422)
    assert len(raw.violations) == 1
    assert expected in raw.violations[0]


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Accept", "application/json", "Accept is 'application/json'"),
        ("X-GitHub-Api-Version", "2021-01-01", "X-GitHub-Api-Version is '2021-01-01'"),
        ("Authorization", "token nope", "Authorization is not 'Bearer <token>'"),
    ],
)
def test_wrong_headers_are_recorded(
    raw: GitHubServer, header: str, value: str, expected: str
) -> None:
    send(raw, "GET", "/repos/acme/llm-configs/pulls", headers={**HEADERS, header: value})
    assert raw.violations == [f"GET /repos/acme/llm-configs/pulls: {expected}"]


def test_a_good_request_is_clean(raw: GitHubServer) -> None:
    body = {"title": "t", "body": "b", "head": "h", "base": "main", "draft": False}
    assert send(raw, "POST", "/repos/acme/llm-configs/pulls", json=body) == 201
    assert (
        send(raw, "GET", "/repos/acme/llm-configs/pulls?state=all&head=acme:h&per_page=100") == 200
    )
    assert raw.violations == []


def test_validator_keywords() -> None:
    v = Validator({"components": {"schemas": {"n": {"type": "integer", "nullable": True}}}})
    ref = {"$ref": "#/components/schemas/n"}
    assert v.validate(ref, None) == []
    assert v.validate(ref, True) == ["$: expected integer, got boolean"]
    assert v.validate({"type": "string"}, None) == ["$: null is not allowed"]
    obj = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    assert v.validate(obj, {"a": "x"}) == []
    assert v.validate(obj, {"b": 1}) == ["$: missing required 'a'", "$: unexpected property 'b'"]
    typed_extra = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert v.validate(typed_extra, {"k": "v"}) == ["$.k: expected integer, got str"]
    any_of = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert v.validate(any_of, 1.5) == ["$: matches none of anyOf"]
    one_of = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
    assert v.validate(one_of, 3) == ["$: matches 2 of oneOf (exactly 1 expected)"]
    all_of = {"allOf": [{"type": "integer"}, {"enum": [1, 2]}]}
    assert v.validate(all_of, 3) == ["$: 3 is not one of [1, 2]"]
    array = {"type": "array", "minItems": 1, "items": {"type": "string"}}
    assert v.validate(array, []) == ["$: fewer than 1 items"]
    assert v.validate(array, ["a", 2]) == ["$[1]: expected string, got int"]
    capped = {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}}
    assert v.validate(capped, ["abc", "de"]) == []
    assert v.validate(capped, ["a", "b", "c"]) == ["$: more than 2 items"]
    assert v.validate(capped, ["abcd"]) == ["$[0]: longer than 3 characters"]


def test_the_subset_holds_every_operation_the_forge_uses() -> None:
    index = OperationIndex(load_spec())
    ids = {
        index.match(m, p).operation_id  # type: ignore[union-attr]
        for m, p in [
            ("GET", "/repos/o/r/pulls"),
            ("POST", "/repos/o/r/pulls"),
            ("PATCH", "/repos/o/r/pulls/1"),
            ("GET", "/repos/o/r/issues/1/comments"),
            ("POST", "/repos/o/r/issues/1/comments"),
            ("PATCH", "/repos/o/r/issues/comments/1"),
            ("POST", "/repos/o/r/issues/1/labels"),
            ("POST", "/repos/o/r/statuses/abc"),
            ("POST", "/repos/o/r/check-runs"),
            ("PATCH", "/repos/o/r/check-runs/4"),
            ("GET", "/repos/o/r/commits/abc/check-runs"),
        ]
    }
    assert ids == {
        "pulls/list",
        "pulls/create",
        "pulls/update",
        "issues/list-comments",
        "issues/create-comment",
        "issues/update-comment",
        "issues/add-labels",
        "repos/create-commit-status",
        "checks/create",
        "checks/update",
        "checks/list-for-ref",
    }
    assert load_spec()["info"]["version"] == "23.0.2"
