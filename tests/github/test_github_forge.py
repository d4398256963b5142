"""GitHubForge against the GitHub-shaped server: pull requests, comments, labels, statuses."""

from __future__ import annotations

import pytest
import requests

from autoopt.errors import ForgeError
from autoopt.gitops.forge import CheckRun, Forge, PRRequest
from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import NOW, TOKEN, GitHubServer
from tests.github.trim_openapi import OPERATIONS

HEAD = "autoopt/chat-service/v8"


def request(title: str = "chat-service: v8", **kwargs: object) -> PRRequest:
    fields: dict[str, object] = {"title": title, "body": "evidence", "head": HEAD, "base": "main"}
    fields.update(kwargs)
    return PRRequest(**fields)  # type: ignore[arg-type]


def test_is_a_forge(forge: GitHubForge) -> None:
    as_protocol: Forge = forge
    assert as_protocol is forge


def test_upsert_creates_a_pull_request_with_labels(
    forge: GitHubForge, github: GitHubServer
) -> None:
    pr, created = forge.upsert_pr(request(labels=("autoopt", "cost")))

    assert created is True
    assert (pr.number, pr.title, pr.body, pr.head, pr.base) == (
        1,
        "chat-service: v8",
        "evidence",
        HEAD,
        "main",
    )
    assert pr.state == "open"
    assert pr.labels == ("autoopt", "cost")
    assert pr.url == "https://github.com/acme/llm-configs/pull/1"
    assert pr.head_sha == f"{1:040x}"
    assert pr.author == "autoopt-bot"
    create = github.calls("POST", "/pulls")[0]
    assert create.body == {
        "title": "chat-service: v8",
        "body": "evidence",
        "head": HEAD,
        "base": "main",
        "draft": False,
    }
    assert github.calls("GET", "/pulls")[0].query["head"] == [f"acme:{HEAD}"]


def test_upsert_twice_updates_the_same_pull_request(
    forge: GitHubForge, github: GitHubServer
) -> None:
    first, created_first = forge.upsert_pr(request())
    second, created_second = forge.upsert_pr(request(title="chat-service: v8 (again)", body="new"))

    assert (created_first, created_second) == (True, False)
    assert second.number == first.number
    assert (second.title, second.body) == ("chat-service: v8 (again)", "new")
    assert len(github.state.prs) == 1
    assert len(github.calls("POST", "/pulls")) == 1


def test_upsert_without_changes_sends_no_edit(forge: GitHubForge, github: GitHubServer) -> None:
    forge.upsert_pr(request(labels=("autoopt",)))
    pr, created = forge.upsert_pr(request(labels=("autoopt",)))
    assert (pr.number, created, pr.labels) == (1, False, ("autoopt",))
    assert github.calls("PATCH") == []
    assert len(github.calls("POST", "/labels")) == 1


def test_upsert_creates_a_draft(forge: GitHubForge, github: GitHubServer) -> None:
    forge.upsert_pr(request(draft=True))
    assert github.state.prs[1]["draft"] is True
    assert github.calls("POST", "/pulls")[0].body["draft"] is True


def test_upsert_after_a_merge_opens_a_new_one(forge: GitHubForge, github: GitHubServer) -> None:
    old = github.state.add_pr(HEAD)
    github.state.merge(old)

    pr, created = forge.upsert_pr(request())

    assert created is True
    assert pr.number == old + 1


def test_upsert_answers_422_already_exists_by_updating(
    forge: GitHubForge, github: GitHubServer
) -> None:
    """Another run opened the PR between our look and our create: still exactly one PR."""
    existing = github.state.add_pr(HEAD, title="other run")
    github.fail("GET", "/pulls", status=200, body=[])  # our look misses it

    pr, created = forge.upsert_pr(request())

    assert (pr.number, pr.title, created) == (existing, "chat-service: v8", False)
    assert [r.status for r in github.calls("POST", "/pulls")] == [422]
    assert len(github.state.open_prs(HEAD)) == 1


def test_find_pr_by_state(forge: GitHubForge, github: GitHubServer) -> None:
    merged = github.state.add_pr(HEAD)
    github.state.merge(merged)
    closed = github.state.add_pr(HEAD)
    github.state.close(closed)
    opened = github.state.add_pr(HEAD)
    github.state.add_pr("autoopt/other/v1")

    def number(state: str) -> int | None:
        pr = forge.find_pr(HEAD, state=state)  # type: ignore[arg-type]
        return None if pr is None else pr.number

    assert (number("open"), number("closed"), number("merged"), number("all")) == (
        opened,
        closed,
        merged,
        opened,
    )
    merged_pr = forge.find_pr(HEAD, state="merged")
    assert merged_pr is not None and merged_pr.closed_at == "2026-11-25T12:00:00Z"
    assert forge.find_pr("autoopt/nothing/v1") is None


def test_list_prs_follows_link_pagination(forge: GitHubForge, github: GitHubServer) -> None:
    for i in range(250):
        github.state.add_pr(f"autoopt/svc-{i}/v1")
    github.state.close(7)

    prs = forge.list_prs(state="open")

    assert len(prs) == 249
    assert len({pr.number for pr in prs}) == 249
    pages = github.calls("GET", "/pulls")
    assert len(pages) == 3
    assert pages[0].query["per_page"] == ["100"]
    assert [r.query.get("page") for r in pages] == [None, ["2"], ["3"]]
    assert len(forge.list_prs(state="all")) == 250


def test_plain_comment_is_posted_each_time(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    forge.comment(number, "hello")
    forge.comment(number, "hello")
    assert [c["body"] for c in github.state.comments_on(number)] == ["hello", "hello"]


def test_sticky_comment_is_edited_in_place(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    github.state.add_comment(number, "a human says hi")
    marker = "<!-- autoopt:stage -->"

    forge.comment(number, f"{marker}\nstage 1: hold", marker=marker)
    forge.comment(number, f"{marker}\nstage 1: promote", marker=marker)
    forge.comment(number, f"{marker}\nstage 1: promote", marker=marker)  # unchanged: no edit

    bodies = [c["body"] for c in github.state.comments_on(number)]
    assert bodies == ["a human says hi", f"{marker}\nstage 1: promote"]
    assert len(github.calls("POST", "/comments")) == 1
    assert len(github.calls("PATCH", "/issues/comments/")) == 1


def test_sticky_marker_is_added_when_the_body_lacks_it(
    forge: GitHubForge, github: GitHubServer
) -> None:
    number = github.state.add_pr(HEAD)
    forge.comment(number, "first", marker="<!-- m -->")
    forge.comment(number, "second", marker="<!-- m -->")
    assert [c["body"] for c in github.state.comments_on(number)] == ["second\n\n<!-- m -->"]


def test_sticky_comment_found_on_a_later_page(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    for i in range(150):
        github.state.add_comment(number, "<!-- m --> old" if i == 120 else f"comment {i}")

    forge.comment(number, "<!-- m --> new", marker="<!-- m -->")

    assert github.state.comments[121]["body"] == "<!-- m --> new"
    assert len(github.state.comments) == 150
    assert len(github.calls("GET", "/comments")) == 2


def test_add_labels(forge: GitHubForge, github: GitHubServer) -> None:
    number = github.state.add_pr(HEAD)
    forge.add_labels(number, ["autoopt"])
    forge.add_labels(number, ["autoopt", "rollout"])
    forge.add_labels(number, [])  # nothing to do, no request (GitHub wants at least one)
    assert github.state.prs[number]["labels"] == ["autoopt", "rollout"]
    assert len(github.calls("POST", "/labels")) == 2


def test_set_status(forge: GitHubForge, github: GitHubServer) -> None:
    sha = "a" * 40
    forge.set_status(sha, "pending", context="autoopt/rollout", description="stage 1 of 4")
    forge.set_status(
        sha, "success", context="autoopt/rollout", description="x" * 200, url="https://ci.example/1"
    )

    first, second = github.state.statuses
    assert first == {
        "sha": sha,
        "state": "pending",
        "context": "autoopt/rollout",
        "description": "stage 1 of 4",
    }
    assert second["target_url"] == "https://ci.example/1"
    assert len(second["description"]) == 140 and second["description"].endswith("…")


def test_comment_on_a_missing_pull_request_is_one_clear_line(forge: GitHubForge) -> None:
    with pytest.raises(ForgeError) as info:
        forge.comment(999, "hello")
    assert (
        str(info.value) == "GitHub comment on #999 (acme/llm-configs) failed: HTTP 404: Not Found"
    )


def test_enterprise_api_prefix(session: requests.Session, sleeps: list[float]) -> None:
    server = GitHubServer(TOKEN, prefix="/api/v3").start()
    try:
        ghe = GitHubForge(server.url, "acme/llm-configs", TOKEN, session, sleep=sleeps.append)
        pr, created = ghe.upsert_pr(request())
        assert created and pr.number == 1
        assert all(r.path.startswith("/api/v3/repos/acme/llm-configs/") for r in server.requests)
        assert len(ghe.list_prs()) == 1
    finally:
        server.stop()
    assert server.violations == []


@pytest.mark.parametrize(
    ("repository", "token", "message"),
    [
        ("acme", TOKEN, "GitHub repository must be OWNER/NAME, got 'acme'"),
        ("acme/a/b", TOKEN, "GitHub repository must be OWNER/NAME, got 'acme/a/b'"),
        ("acme/x", "", "no GitHub token: set the variable named by forge.token_env"),
    ],
)
def test_bad_construction(
    session: requests.Session, repository: str, token: str, message: str
) -> None:
    with pytest.raises(ForgeError) as info:
        GitHubForge("https://api.github.com", repository, token, session)
    assert str(info.value) == message


def test_now_is_injected(forge: GitHubForge) -> None:
    assert forge._clock() == NOW


def test_the_subset_is_exactly_what_the_forge_uses(
    forge: GitHubForge, github: GitHubServer
) -> None:
    pr, _ = forge.upsert_pr(request(labels=("autoopt",)))
    forge.upsert_pr(request(title="changed"))
    forge.comment(pr.number, "a", marker="<!-- m -->")
    forge.comment(pr.number, "b", marker="<!-- m -->")
    forge.set_status(pr.head_sha, "success", context="autoopt", description="ok")
    forge.list_prs()
    assert forge.get_pr(pr.number).number == pr.number
    forge.upsert_issue("dashboard", "one", marker="autoopt:dashboard")
    forge.upsert_issue("dashboard", "two", marker="autoopt:dashboard")
    github.state.permissions["maia"] = "write"
    assert forge.permission("maia") == "write"
    run = CheckRun("success", "ok", "fine", "2026-11-25T12:00:00Z")
    forge.upsert_check_run(pr.head_sha, "autoopt/review", run)  # created
    forge.upsert_check_run(pr.head_sha, "autoopt/review", run)  # found and updated

    used = set()
    for r in github.requests:
        op = github.index.match(r.method, r.path)
        assert op is not None
        used.add((op.template, op.method))
    assert used == {(path, method) for path, method in OPERATIONS}
    assert set(github.index.validator.spec["paths"]) == {path for path, _ in OPERATIONS}


def _notes(count: int) -> tuple[dict[str, object], ...]:
    return tuple(
        {
            "path": "configs/a.yaml",
            "start_line": i + 1,
            "end_line": i + 1,
            "annotation_level": "notice",
            "message": f"note {i}",
        }
        for i in range(count)
    )


def test_a_check_run_takes_annotations_fifty_a_request_and_never_doubles_them(
    forge: GitHubForge, github: GitHubServer
) -> None:
    sha = "a" * 40
    run = CheckRun("failure", "t", "s", "2026-11-25T12:00:00Z", annotations=_notes(120))
    first = forge.upsert_check_run(sha, "autoopt/review", run)
    assert len(github.calls("POST", "/check-runs")) == 1  # 50 with the create
    assert len(github.calls("PATCH", f"/check-runs/{first}")) == 2  # 50 + 20 appended
    assert len(github.state.check_runs[first]["annotations"]) == 120
    # again on the same commit: the old run has annotations, so a fresh run holds the new ones
    second = forge.upsert_check_run(sha, "autoopt/review", run)
    assert second != first and len(github.state.check_runs[second]["annotations"]) == 120
    # without annotations the newest run is updated in place
    calm = CheckRun("success", "t", "s", "2026-11-25T12:00:00Z")
    assert forge.upsert_check_run(sha, "autoopt/review", calm) == second
    assert github.state.check_runs[second]["conclusion"] == "success"
    assert len(github.state.check_runs) == 2
