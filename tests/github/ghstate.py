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
        self.issues: dict[int, dict[str, Any]] = {}  # numbers shared with the pull requests
        self.permissions: dict[str, str] = {}  # login → role_name (absent: not a user)
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

    def add_issue(self, title: str, body: str, labels: list[str] | None = None) -> int:
        number = self._next_number
        self._next_number += 1
        self.issues[number] = {
            "number": number, "title": title, "body": body, "state": "open",
            "labels": list(labels or []),
        }  # fmt: skip
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

    def issue_json(self, number: int) -> dict[str, Any]:
        issue = self.issues[number]
        data: dict[str, Any] = self._example("issue", 200, "/repos/a/b/issues/1", "PATCH")
        data.update(
            id=number,
            number=number,
            title=issue["title"],
            body=issue["body"],
            state=issue["state"],
            html_url=f"https://github.com/{OWNER}/{REPO}/issues/{number}",
            labels=[self.label_json(n) for n in issue["labels"]],
            assignee=None,
            assignees=[],
            milestone=None,
            closed_at=None,
            state_reason=None,
        )
        data.pop("pull_request", None)
        data["user"]["login"] = BOT
        return data

    def issue_list_json(self, number: int) -> dict[str, Any]:
        """An item of ``GET …/issues``: an issue, or a pull request as that list shows one."""
        if number in self.issues:
            return self.issue_json(number)
        pr = self.prs[number]
        data: dict[str, Any] = self._example("issues", 200, "/repos/a/b/issues")[0]
        data.update(
            id=number, number=number, title=pr["title"], body=pr["body"], state=pr["state"],
            labels=[self.label_json(n) for n in pr["labels"]], assignee=None, assignees=[],
            milestone=None, closed_at=pr["closed_at"], state_reason=None,
        )  # fmt: skip
        data["pull_request"] = {
            "url": f"https://api.github.com/repos/{OWNER}/{REPO}/pulls/{number}",
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
            "diff_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}.diff",
            "patch_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}.patch",
            "merged_at": pr["merged_at"],
        }
        data["user"]["login"] = BOT
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

    def _thread(self, op: Operation) -> int:
        """The number of the issue or pull request an issue-comment call names."""
        number = int(op.path_params["issue_number"])
        if number not in self.state.prs and number not in self.state.issues:
            raise _not_found()
        return number

    def pulls_get(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self.state.pr_json(self._pr(op)["number"])

    def issues_list_for_repo(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        state = query.get("state", "open")
        numbers = sorted({*self.state.issues, *self.state.prs}, reverse=True)
        items = [self.state.issue_list_json(n) for n in numbers]
        return 200, [i for i in items if state == "all" or i["state"] == state]

    def issues_create(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        labels = [x if isinstance(x, str) else x["name"] for x in body.get("labels") or []]
        number = self.state.add_issue(str(body["title"]), body.get("body") or "", labels)
        return 201, self.state.issue_json(number)

    def issues_update(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        number = int(op.path_params["issue_number"])
        if number not in self.state.issues:
            raise _not_found()
        for key in ("title", "body", "state"):
            if key in (body or {}):
                self.state.issues[number][key] = body[key]
        return 200, self.state.issue_json(number)

    def repos_get_collaborator_permission_level(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        login = op.path_params["username"]
        role = self.state.permissions.get(login)
        if role is None:
            raise _not_found()
        data: dict[str, Any] = self.state._example(
            "permission", 200, f"/repos/a/b/collaborators/{login}/permission"
        )
        base = {"maintain": "write", "triage": "read"}.get(role, role)
        data.update(permission=base, role_name=role)
        # the description's own example lacks the user's role_name its schema requires
        data["user"].update(login=login, role_name=role)
        return 200, data

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
        ids = sorted(c["id"] for c in self.state.comments_on(self._thread(op)))
        return 200, [self.state.comment_json(i) for i in ids]

    def issues_create_comment(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        number = self._thread(op)
        return 201, self.state.comment_json(self.state.add_comment(number, body["body"]))

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
