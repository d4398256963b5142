"""The state behind the GitHub-shaped test server, and one handler per GitHub operation.

Replies are rendered from the examples in GitHub's OpenAPI description (``openapi-subset.json``)
with the fields that matter filled from the state, so the forge parses GitHub's real shapes.
"""

from __future__ import annotations

import copy
import threading
import zlib
from typing import Any

from tests.github.ghchecks import CheckRunHandlers
from tests.github.openapi_check import Operation, OperationIndex

OWNER, REPO = "acme", "llm-configs"
BOT = "autoopt-bot"
DOCS = "https://docs.github.com/rest"
CLOSED_AT = "2026-11-25T12:00:00Z"  # when a pull request closed over the API was closed


class Reply(Exception):
    """Raised by a handler to answer with an error status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _not_found() -> Reply:
    return Reply(404, {"message": "Not Found", "documentation_url": DOCS})


class GitHubState:
    """The repository's pull requests, comments, labels and statuses; guarded by ``lock``."""

    def __init__(self, index: OperationIndex) -> None:
        self.index = index
        self.lock = threading.Lock()
        self.prs: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.check_runs: dict[int, dict[str, Any]] = {}  # id → run (ghchecks.py)
        self._next_number = 1
        self._next_comment = 1

    # -- direct manipulation by tests --------------------------------------------------------

    def add_pr(self, head: str, base: str = "main", title: str = "t", body: str = "") -> int:
        number = self._next_number
        self._next_number += 1
        self.prs[number] = {
            "number": number,
            "title": title,
            "body": body,
            "head": head,
            "base": base,
            "state": "open",
            "merged_at": None,
            "closed_at": None,
            "draft": False,
            "labels": [],
            "sha": f"{number:040x}",
        }
        return number

    def merge(self, number: int) -> None:
        self.prs[number].update(state="closed", merged_at="2026-11-25T12:00:00Z")
        self.prs[number]["closed_at"] = "2026-11-25T12:00:00Z"

    def close(self, number: int) -> None:
        self.prs[number].update(state="closed", closed_at="2026-11-25T12:00:00Z")

    def add_comment(self, number: int, body: str) -> int:
        comment_id = self._next_comment
        self._next_comment += 1
        self.comments[comment_id] = {"id": comment_id, "issue": number, "body": body}
        return comment_id

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == number]

    def open_prs(self, head: str) -> list[dict[str, Any]]:
        return [p for p in self.prs.values() if p["head"] == head and p["state"] == "open"]

    # -- rendering in GitHub's shapes --------------------------------------------------------

    def _example(self, operation: str, status: int, path: str, method: str = "GET") -> Any:
        op = self.index.match(method, path)
        assert op is not None, (operation, path)
        return copy.deepcopy(self.index.example(op, status))

    def label_json(self, name: str) -> dict[str, Any]:
        item: dict[str, Any] = self._example("labels", 200, "/repos/a/b/issues/1/labels", "POST")[0]
        item.update(name=name, url=f"https://api.github.com/repos/{OWNER}/{REPO}/labels/{name}")
        item.update(id=zlib.crc32(name.encode()), default=False)
        return item

    def pr_json(self, number: int, simple: bool = False) -> dict[str, Any]:
        pr = self.prs[number]
        data: dict[str, Any]
        if simple:
            data = self._example("list", 200, "/repos/a/b/pulls")[0]
        else:
            data = self._example("update", 200, "/repos/a/b/pulls/1", "PATCH")
        html = f"https://github.com/{OWNER}/{REPO}/pull/{number}"
        data.update(
            id=number,
            number=number,
            title=pr["title"],
            body=pr["body"],
            state=pr["state"],
            html_url=html,
            merged_at=pr["merged_at"],
            closed_at=pr["closed_at"],
            draft=pr["draft"],
            labels=[self.label_json(n) for n in pr["labels"]],
            # a fresh bot PR: nobody assigned or requested (the spec's own example lists a
            # team without the ``type`` its schema requires)
            assignee=None,
            assignees=[],
            requested_reviewers=[],
            requested_teams=[],
        )
        data["user"]["login"] = BOT
        data["head"].update(ref=pr["head"], sha=pr["sha"], label=f"{OWNER}:{pr['head']}")
        data["base"].update(ref=pr["base"], label=f"{OWNER}:{pr['base']}")
        if not simple:
            data["merged"] = pr["merged_at"] is not None
        return data

    def comment_json(self, comment_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._example(
            "comment", 200, "/repos/a/b/issues/comments/1", "PATCH"
        )
        comment = self.comments[comment_id]
        data.update(id=comment_id, body=comment["body"])
        data["user"]["login"] = BOT
        return data


class Handlers(CheckRunHandlers):
    """One method per operationId; each returns (status, JSON) or raises ``Reply``."""

    def __init__(self, state: GitHubState) -> None:
        self.state = state

    def pulls_list(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        state = query.get("state", "open")
        head = query.get("head")
        prs = sorted(self.state.prs.values(), key=lambda p: -p["number"])
        prs = [p for p in prs if state in ("all", p["state"])]
        if head is not None:
            owner, _, ref = head.partition(":")
            prs = [p for p in prs if owner == OWNER and p["head"] == ref]
        if "base" in query:
            prs = [p for p in prs if p["base"] == query["base"]]
        return 200, [self.state.pr_json(p["number"], simple=True) for p in prs]

    def pulls_create(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        head = body["head"].split(":")[-1]
        if self.state.open_prs(head):
            message = f"A pull request already exists for {OWNER}:{head}."
            error = {"resource": "PullRequest", "code": "custom", "message": message}
            raise Reply(
                422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}
            )
        number = self.state.add_pr(head, body["base"], body.get("title", ""), body.get("body", ""))
        self.state.prs[number]["draft"] = bool(body.get("draft", False))
        return 201, self.state.pr_json(number)

    def _pr(self, op: Operation) -> dict[str, Any]:
        number = int(op.path_params.get("pull_number") or op.path_params["issue_number"])
        if number not in self.state.prs:
            raise _not_found()
        return self.state.prs[number]

    def pulls_update(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        pr = self._pr(op)
        for key in ("title", "body", "base", "state"):
            if key in (body or {}):
                pr[key] = body[key]
        if (body or {}).get("state") == "closed" and pr["closed_at"] is None:
            pr["closed_at"] = CLOSED_AT
        return 200, self.state.pr_json(pr["number"])

    def issues_list_comments(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        pr = self._pr(op)
        ids = sorted(c["id"] for c in self.state.comments_on(pr["number"]))
        return 200, [self.state.comment_json(i) for i in ids]

    def issues_create_comment(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        pr = self._pr(op)
        return 201, self.state.comment_json(self.state.add_comment(pr["number"], body["body"]))

    def issues_update_comment(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        comment_id = int(op.path_params["comment_id"])
        if comment_id not in self.state.comments:
            raise _not_found()
        self.state.comments[comment_id]["body"] = body["body"]
        return 200, self.state.comment_json(comment_id)

    def issues_add_labels(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        pr = self._pr(op)
        for item in body["labels"]:
            name = item if isinstance(item, str) else item["name"]
            if name not in pr["labels"]:
                pr["labels"].append(name)
        return 200, [self.state.label_json(n) for n in pr["labels"]]

    def repos_create_commit_status(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        self.state.statuses.append({"sha": op.path_params["sha"], **body})
        data = self.state._example("status", 201, "/repos/a/b/statuses/x", "POST")
        data.update(
            state=body["state"],
            context=body.get("context", "default"),
            description=body.get("description"),
            target_url=body.get("target_url"),
            id=len(self.state.statuses),
        )
        return 201, data
