"""Random sequences of forge calls, with random 5xx bursts: never two open PRs per branch,
never two sticky comments per marker, and every call lands as asked."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from autoopt.gitops.forge import PRRequest
from autoopt.gitops.github import GitHubForge
from tests.github.ghserver import TOKEN, GitHubServer

HEADS = ("autoopt/chat/v2", "autoopt/chat/v3", "autoopt/search/v9")
MARKERS = ("<!-- a -->", "<!-- b -->", None)

fault = st.tuples(
    st.just("fault"),
    st.sampled_from(["GET", "POST", "PATCH"]),
    st.sampled_from([500, 502, 503]),
    st.integers(1, 3),
)
upsert = st.tuples(st.just("upsert"), st.integers(0, 2), st.sampled_from(["t1", "t2"]))
comment = st.tuples(
    st.just("comment"), st.integers(0, 2), st.integers(0, 2), st.text("xyz", max_size=3)
)
merge = st.tuples(st.just("merge"), st.integers(0, 2))
operations = st.lists(st.one_of(fault, upsert, comment, merge), max_size=12)


def _apply(
    op: tuple[Any, ...], forge: GitHubForge, server: GitHubServer, sticky: dict[Any, str]
) -> None:
    kind = op[0]
    if kind == "fault":
        server.faults.clear()  # at most 3 failures in a row: within the 5 retries
        server.fail(op[1], "/repos/", status=op[2], times=op[3])
    elif kind == "upsert":
        head = HEADS[op[1]]
        pr, _ = forge.upsert_pr(PRRequest(title=op[2], body="b", head=head, base="main"))
        assert (pr.title, pr.state, pr.head) == (op[2], "open", head)
    elif kind == "merge":
        for stored in server.state.open_prs(HEADS[op[1]]):
            server.state.merge(stored["number"])
    else:
        open_prs = server.state.open_prs(HEADS[op[1]])
        if open_prs:
            number, marker = open_prs[0]["number"], MARKERS[op[2]]
            body = f"status {op[3]}"
            forge.comment(number, body, marker=marker)
            if marker is not None:
                sticky[(number, marker)] = f"{body}\n\n{marker}"


def _check(server: GitHubServer, sticky: dict[Any, str]) -> None:
    for head in HEADS:
        assert len(server.state.open_prs(head)) <= 1
    for (number, marker), body in sticky.items():
        marked = [c["body"] for c in server.state.comments_on(number) if marker in c["body"]]
        assert marked == [body]


def test_random_sequences_keep_the_invariants() -> None:
    server = GitHubServer(TOKEN).start()
    session = requests.Session()
    try:

        @settings(max_examples=150, deadline=None)
        @given(operations)
        def run(ops: list[tuple[Any, ...]]) -> None:
            server.reset()
            forge = GitHubForge(
                server.url, "acme/llm-configs", TOKEN, session, sleep=lambda s: None
            )
            sticky: dict[Any, str] = {}
            for op in ops:
                _apply(op, forge, server, sticky)
                _check(server, sticky)

        run()
    finally:
        session.close()
        server.stop()
    assert server.violations == []
