"""``autoopt review`` inside GitHub Actions on a ``pull_request`` event, against the
GitHub-shaped server (every request checked against GitHub's OpenAPI description): one
sticky comment however often it runs, the check run ``autoopt/review`` with the verdict as its
conclusion and annotations on the changed lines, and the job summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.github.ghserver import OWNER, REPO, TOKEN, GitHubServer
from tests.review.helpers import CONFIG, Repos, lower_quality, make_repos

MARKER = "<!-- autoopt:review -->"


@pytest.fixture
def repos(tmp_path: Path, git_identity: Path, github: GitHubServer) -> Repos:
    return make_repos(tmp_path, api_url=github.url)


def pull_request_event(
    action: str, number: int, head: str, head_sha: str, base_sha: str
) -> dict[str, Any]:
    """A ``pull_request`` event as GitHub sends it (the fields a workflow reads, in their
    places; GitHub sends more)."""
    repository = {
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": REPO,
        "full_name": f"{OWNER}/{REPO}",
        "private": False,
        "owner": {"login": OWNER, "id": 1, "type": "Organization"},
        "html_url": f"https://github.com/{OWNER}/{REPO}",
        "default_branch": "main",
    }
    user = {"login": "pat", "id": 583231, "type": "User"}
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{OWNER}/{REPO}/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "state": "open",
            "title": "Switch chat-service to gpt-4o-mini",
            "user": user,
            "draft": False,
            "merged": False,
            "head": {
                "label": f"pat:{head}",
                "ref": head,
                "sha": head_sha,
                "user": user,
                "repo": repository,
            },
            "base": {
                "label": f"{OWNER}:main",
                "ref": "main",
                "sha": base_sha,
                "user": repository["owner"],
                "repo": repository,
            },
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
        },
        "repository": repository,
        "sender": user,
    }


def actions_env(repos: Repos, event: dict[str, Any]) -> dict[str, str]:
    path = repos.tmp / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_STEP_SUMMARY": str(repos.tmp / "summary.md"),
        "GITHUB_OUTPUT": str(repos.tmp / "output.txt"),
        "GITHUB_REPOSITORY": f"{OWNER}/{REPO}",
        "GITHUB_TOKEN": TOKEN,
    }


class PullRequest:
    """A reviewer's pull request: its branch pushed to origin and known to the server."""

    def __init__(self, repos: Repos, github: GitHubServer, branch: str) -> None:
        self.repos, self.github, self.branch = repos, github, branch
        self.number = github.state.add_pr(branch, "main", title=f"Change {branch}")
        self.base_sha = _sha(repos, "origin/main")

    def push(self, message: str, action: str) -> str:
        if action == "opened":
            sha = self.repos.push(self.branch, message)
        else:  # synchronize: a commit on top of the branch
            sha = self.repos.commit_push(self.branch, message)
        self.github.state.prs[self.number]["sha"] = sha
        event = pull_request_event(action, self.number, self.branch, sha, self.base_sha)
        self.repos.env = actions_env(self.repos, event)
        return sha

    def review(self, capsys: pytest.CaptureFixture[str], code: int = 0) -> tuple[str, str]:
        return self.repos.review(capsys, "", base="", code=code)  # refs from the event

    def comments(self) -> list[str]:
        return [c["body"] for c in self.github.state.comments_on(self.number)]


def _sha(repos: Repos, ref: str) -> str:
    from tests.conftest import git

    return git(repos.ci, "rev-parse", ref).strip()


def runs_on(github: GitHubServer, sha: str) -> list[dict[str, Any]]:
    return [r for r in github.state.check_runs.values() if r["head_sha"] == sha]


def test_a_model_switch_is_posted_once_and_updated_on_the_next_push(
    repos: Repos, github: GitHubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pr = PullRequest(repos, github, "switch")
    repos.edit(CONFIG, "model: gpt-4o\n", "model: gpt-4o-mini\n")
    repos.edit(CONFIG, "version: v7", "version: v8")
    first = pr.push("Switch chat-service to gpt-4o-mini", "opened")
    out, err = pr.review(capsys)
    assert f"posted on #{pr.number}: check run 1 (success)" in err
    (comment,) = pr.comments()
    assert comment == out.rstrip("\n")  # the comment is what the command printed
    assert comment.count(MARKER) == 1 and f"head `{first[:12]}`" in comment
    (run,) = runs_on(github, first)
    assert (run["name"], run["status"], run["conclusion"]) == (
        "autoopt/review",
        "completed",
        "success",
    )
    assert run["output"]["title"] == "1 change(s): within policy"
    assert run["output"]["summary"] == comment
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in run["annotations"]] == [
        (CONFIG, 9, "notice"),
        (CONFIG, 11, "notice"),
    ]
    assert run["annotations"][1]["message"].startswith(
        "spec.stable.params.model: within policy: P(a hard constraint is broken) = "
    )
    summary = (repos.tmp / "summary.md").read_text(encoding="utf-8")
    assert summary == comment + "\n"

    # the same commit reviewed again (a re-run): the same one comment; GitHub only appends
    # annotations to a run, so the newest run (the one the pull request shows) holds them once
    pr.review(capsys)
    assert len(pr.comments()) == 1
    older, newest = runs_on(github, first)
    assert newest["conclusion"] == "success" and len(newest["annotations"]) == 2
    assert newest["annotations"] == older["annotations"]

    # a second push: the one comment is edited in place, a check run on the new head
    repos.edit(CONFIG, "temperature: 0.7", "temperature: 0.3")
    second = pr.push("Colder too", "synchronize")
    pr.review(capsys)
    (comment,) = pr.comments()
    assert f"head `{second[:12]}`" in comment
    assert "`spec.stable.params.temperature`: `0.7` → `0.3` (line 12)" in comment
    (run,) = runs_on(github, second)
    assert run["conclusion"] == "success"
    assert [a["start_line"] for a in run["annotations"]] == [9, 11, 12]
    assert len(github.calls("POST", "/issues/")) == 1  # one comment ever created


def test_a_change_breaking_a_hard_constraint_fails_the_check(
    repos: Repos, github: GitHubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lower_quality(repos.person, "gpt-4o-mini", 3.0)
    repos.push_main("Metrics: gpt-4o-mini re-measured")
    pr = PullRequest(repos, github, "switch")
    repos.edit(CONFIG, "model: gpt-4o\n", "model: gpt-4o-mini\n")
    repos.edit(CONFIG, "version: v7", "version: v8")
    sha = pr.push("Switch chat-service to gpt-4o-mini", "opened")
    pr.review(capsys, code=1)  # the job fails with the check
    (run,) = runs_on(github, sha)
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "1 change(s): breaks a hard constraint (chat-service)"
    levels = {(a["start_line"], a["annotation_level"]) for a in run["annotations"]}
    assert levels == {(9, "failure"), (11, "failure")}
    assert (
        "breaks a hard constraint with risk 100%: quality ≥ 85" in run["annotations"][1]["message"]
    )
    (comment,) = pr.comments()
    assert comment.startswith("## ❌ autoopt review: 1 change(s): breaks a hard constraint")


def test_a_model_without_data_is_neutral_and_says_why(
    repos: Repos, github: GitHubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pr = PullRequest(repos, github, "haiku")
    repos.edit(CONFIG, "model: gpt-4o\n", "model: claude-3-5-haiku\n")
    repos.edit(CONFIG, "version: v7", "version: v9")
    sha = pr.push("Try claude-3-5-haiku", "opened")
    pr.review(capsys)
    (run,) = runs_on(github, sha)
    assert run["conclusion"] == "neutral"
    why = (
        "cannot predict: model 'claude-3-5-haiku' has no data in the metrics of chat-service "
        "and no declared prior"
    )
    assert why in run["annotations"][0]["message"]
    assert {a["annotation_level"] for a in run["annotations"]} == {"warning"}
    (comment,) = pr.comments()
    assert why in comment


def test_a_read_only_token_is_a_warning_and_the_summary_still_written(
    repos: Repos, github: GitHubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pr = PullRequest(repos, github, "switch")
    repos.edit(CONFIG, "model: gpt-4o\n", "model: gpt-4o-mini\n")
    repos.edit(CONFIG, "version: v7", "version: v8")
    pr.push("Switch chat-service to gpt-4o-mini", "opened")
    message = {"message": "Resource not accessible by integration"}
    github.fail("POST", "/comments", status=403, body=message)
    _, err = pr.review(capsys)
    assert "::warning title=autoopt review not posted::GitHub comment on #1" in err
    assert "Resource not accessible by integration" in err and TOKEN not in err
    assert pr.comments() == [] and github.state.check_runs == {}
    assert "within policy" in (repos.tmp / "summary.md").read_text(encoding="utf-8")


def _expand(text: str, event: dict[str, Any]) -> str:
    """The two expressions the review workflow uses, as the runner expands them."""
    pull = event["pull_request"]
    text = text.replace("${{ github.event.pull_request.base.sha }}", pull["base"]["sha"])
    return text.replace("${{ github.event.pull_request.head.sha }}", pull["head"]["sha"])


def test_the_review_workflow_steps_run_as_written(
    repos: Repos, github: GitHubServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from autoopt.cli.main import main
    from autoopt.gitops.workflows import workflow_templates
    from autoopt.spec.yamlio import load_text

    workflow: Any = load_text(workflow_templates()[".github/workflows/autoopt-review.yml"])
    pr = PullRequest(repos, github, "switch")
    repos.edit(CONFIG, "model: gpt-4o\n", "model: gpt-4o-mini\n")
    repos.edit(CONFIG, "version: v7", "version: v8")
    sha = pr.push("Switch chat-service to gpt-4o-mini", "opened")
    event = json.loads((repos.tmp / "event.json").read_text(encoding="utf-8"))
    codes = []
    for step in workflow["jobs"]["review"]["steps"][1:]:
        # the composite action runs: autoopt "$command" $args (split on spaces)
        argv = [step["with"]["command"], *_expand(step["with"]["args"], event).split()]
        with pytest.MonkeyPatch.context() as patch:
            for name, value in repos.env.items():
                patch.setenv(name, value)
            patch.chdir(repos.ci)  # the job's working directory is the checkout
            with pytest.raises(SystemExit) as done:
                main(argv)
        codes.append(done.value.code)
    out, _ = capsys.readouterr()
    assert codes == [0, 0], out
    assert "ok: 3 file(s) valid" in out or "3 file(s) checked: 0 error(s)" in out
    assert [r["conclusion"] for r in runs_on(github, sha)] == ["success"]
    assert len(pr.comments()) == 1
