"""Check runs on the GitHub-shaped test server: created, updated (annotations appended, as
GitHub does) and listed per commit, in the shapes of GitHub's own examples."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.github.ghstate import GitHubState
    from tests.github.openapi_check import Operation

COMPLETED = "#/components/examples/check-run-example-of-completed-conclusion"
FIELDS = ("name", "head_sha", "status", "conclusion", "completed_at", "details_url")


def check_run_json(state: GitHubState, run_id: int) -> dict[str, Any]:
    run = state.check_runs[run_id]
    data: dict[str, Any] = copy.deepcopy(state.index.validator.resolve({"$ref": COMPLETED}))[
        "value"
    ]
    data.update(
        id=run_id,
        name=run["name"],
        head_sha=run["head_sha"],
        status=run["status"],
        conclusion=run["conclusion"],
        completed_at=run.get("completed_at"),
        details_url=run.get("details_url", data["details_url"]),
        pull_requests=[],
    )
    output = run["output"]
    data["output"] = {
        "title": output.get("title"),
        "summary": output.get("summary"),
        "text": output.get("text"),
        "annotations_count": len(run["annotations"]),
        "annotations_url": f"{data['url']}/annotations",
    }
    return data


class CheckRunHandlers:
    """``checks/create``, ``checks/update``, ``checks/list-for-ref``."""

    state: GitHubState

    def checks_create(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        run_id = len(self.state.check_runs) + 1
        run = {k: body[k] for k in FIELDS if k in body}
        run.setdefault("status", "completed" if "conclusion" in body else "queued")
        run.setdefault("conclusion", None)
        output = dict(body.get("output") or {})
        run["annotations"] = list(output.pop("annotations", []))
        run["output"] = output
        self.state.check_runs[run_id] = run
        return 201, check_run_json(self.state, run_id)

    def checks_update(self, op: Operation, query: dict[str, str], body: Any) -> tuple[int, Any]:
        from tests.github.ghstate import _not_found

        run_id = int(op.path_params["check_run_id"])
        run = self.state.check_runs.get(run_id)
        if run is None:
            raise _not_found()
        run.update({k: body[k] for k in FIELDS if k in body and k != "head_sha"})
        if "output" in body:
            output = dict(body["output"])
            run["annotations"] += output.pop("annotations", [])  # GitHub appends them
            run["output"] = output
        return 200, check_run_json(self.state, run_id)

    def checks_list_for_ref(
        self, op: Operation, query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        sha = op.path_params["ref"]
        ids = [
            i
            for i, run in sorted(self.state.check_runs.items(), reverse=True)
            if run["head_sha"] == sha and query.get("check_name", run["name"]) == run["name"]
        ]
        runs = [check_run_json(self.state, i) for i in ids]
        return 200, {"total_count": len(runs), "check_runs": runs}
