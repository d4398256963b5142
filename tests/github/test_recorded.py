"""Real GitHub traffic recorded by @octokit/fixtures: our checker and our forge agree with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoopt.errors import ForgeError
from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import GitHubServer
from tests.github.openapi_check import OperationIndex, load_spec

RECORDED: dict[str, Any] = json.loads(
    Path(__file__).with_name("octokit-fixtures-recorded.json").read_text(encoding="utf-8")
)["recordings"]


@pytest.mark.parametrize("name", ["create-status", "add-labels"])
def test_recorded_exchanges_satisfy_the_description(name: str) -> None:
    """The checker accepts what GitHub really sent and received (no false alarms)."""
    recording = RECORDED[name]
    index = OperationIndex(load_spec())
    op = index.match(recording["method"], recording["path"])
    assert op is not None
    body = json.dumps(recording["request"]).encode()
    assert index.check_body(op, "application/json", body) == []
    assert index.check_response(op, recording["status"], recording["response"]) == []


def test_forge_reads_a_recorded_labels_answer(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr("autoopt/x/v2")
    recording = RECORDED["add-labels"]
    github.fail("POST", "/labels", status=200, body=recording["response"])

    assert forge._add_labels(number, ["Foo", "bAr", "baZ"]) == ("Foo", "bAr", "baZ")


def test_forge_reports_a_recorded_validation_error(
    forge: GitHubForge, github: GitHubServer
) -> None:
    recording = RECORDED["validation-failed"]
    github.fail("POST", "/statuses/", status=422, body=recording["response"])

    with pytest.raises(ForgeError) as info:
        forge.set_status("c" * 40, "success", context="autoopt", description="ok")

    assert str(info.value) == (
        "GitHub set status 'autoopt' on cccccccccccc (acme/llm-configs) failed: "
        "HTTP 422: Validation Failed: color invalid"
    )
