"""`autoopt init --example quickstart DIR`: the tour's own repository, on any date; and the
starter policy of `autoopt init` passes its own tests whatever model the service runs."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli
from autoopt.spec import load_repository
from tests.conftest import QUICKSTART, git

TODAY = datetime.now(UTC).replace(microsecond=0)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-3-5-haiku",
        "llama-3.3-70b-versatile",
        "anthropic/claude-3-5-sonnet",
        "my-model:v2",
        "null",
        "1.5",
    ],
)
def test_the_starter_policy_passes_its_own_tests_for_any_model(tmp_path: Path, model: str) -> None:
    code, out = invoke("init", str(tmp_path), "--service", "support-bot", "--model", model)
    assert code == 0, out
    code, out = invoke("test", "--repo", str(tmp_path))
    assert code == 0, out
    assert out.splitlines()[-1] == "5 passed, 0 failed (1 policy)"
    code, out = invoke("validate", "--repo", str(tmp_path), "--format", "json")
    assert code == 0, out
    repo = load_repository(tmp_path)
    assert repo.configs["support-bot"].document.spec.stable.params.model == model
    space = repo.policies["support-bot-cost"].document.spec.search_space
    models = space["model"]
    assert isinstance(models, list) and models[0] == model, (
        "the model the service runs is in the search space"
    )


def test_the_default_starter_policy_is_the_quickstart_one(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path))[0] == 0
    quickstart = (QUICKSTART / "policies" / "chat-cost.yaml").read_text()
    assert (tmp_path / "policies" / "chat-cost.yaml").read_text() == quickstart


def _evaluate(repo: Path, now: datetime, since: str) -> dict[str, int]:
    code, out = invoke(
        "evaluate", "--repo", str(repo), "--policy", "chat-cost", "--since", since,
        "--now", now.isoformat(), "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    return {c["version"]: c["n"] for c in data["candidates"]}


@pytest.mark.parametrize(
    "ahead", [timedelta(0), timedelta(days=365)], ids=["today", "a-year-ahead"]
)
def test_the_example_is_a_repository_of_its_own_on_any_date(
    tmp_path: Path, git_identity: Path, ahead: timedelta
) -> None:
    now = TODAY + ahead
    tour = tmp_path / "tour"
    code, out = invoke("init", "--example", "quickstart", str(tour), "--now", now.isoformat())
    assert code == 0, out
    origin = (tour / ".git" / "origin.git").resolve()
    assert f"  origin:    {origin} (a bare repository standing in for your Git host)" in out
    assert git(tour, "remote", "get-url", "origin").strip() == str(origin)
    assert git(tour, "status", "--porcelain") == "", "metrics are ignored, the tree is clean"
    log = git(tour, "log", "--format=%H %cI %s", "main").splitlines()
    assert len(log) == 2 and git(origin, "rev-parse", "main").strip() == log[0].split()[0]
    dates = [datetime.fromisoformat(line.split()[1]) for line in log]
    assert dates == [
        now.replace(second=0) - timedelta(days=1, minutes=1),
        dates[0] - timedelta(days=1),
    ]
    # the story ends now: the last day is v7, the day before v6, whatever the date
    assert _evaluate(tour, now, "7d") == {"v6": 4554, "v7": 4483}
    assert set(_evaluate(tour, now, "23h")) == {"v7"}
    text = (tour / "metrics" / "requests.csv").read_text()
    stamps = [line.split(",", 1)[0] for line in text.splitlines()][1:]
    last = max(datetime.fromisoformat(s) for s in stamps if s)
    assert now - timedelta(minutes=2) < last <= now
    # the rows are the quickstart's, only moved in time
    original = (QUICKSTART / "metrics" / "requests.csv").read_text().splitlines()
    moved = (tour / "metrics" / "requests.csv").read_text().splitlines()
    assert [r.split(",", 1)[1:] for r in original] == [r.split(",", 1)[1:] for r in moved]


def test_propose_in_the_example_pushes_to_its_own_origin(
    tmp_path: Path, git_identity: Path
) -> None:
    tour = tmp_path / "tour"
    assert invoke("init", "--example", "quickstart", str(tour))[0] == 0
    code, out = invoke("propose", "--repo", str(tour), "--policy", "chat-cost")
    assert code == 0, out
    origin = (tour / ".git" / "origin.git").resolve()
    branch = "autoopt/chat-service/v-0cd1ce85"
    assert out.rstrip().endswith(f"; pushed {branch} to origin ({origin})"), out
    assert git(origin, "branch", "--list", branch).strip() == branch
    code, out = invoke("merge", "1", "--repo", str(tour))
    assert (code, out) == (0, f"merged #1 ({branch}) into main; pushed main to origin\n")


def test_the_example_refuses_a_directory_with_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = subprocess.run(
        ["autoopt", "init", "--example", "quickstart", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr == f"error: {tmp_path}: exists and is not empty; name a new directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
