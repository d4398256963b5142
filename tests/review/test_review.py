"""``autoopt review --base --head`` on real pull-request branches of a real repository: the
predicted impact of a config change, its verdict, a changed policy's decisions, a hand edit
mid-rollout, invalid documents — in Markdown, JSON and text, with the documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.review.helpers import CONFIG, NOW, POLICY, Repos, lower_quality, make_repos

MINI = ("model: gpt-4o\n", "model: gpt-4o-mini\n")
V8 = ("version: v7", "version: v8")


@pytest.fixture
def repos(tmp_path: Path, git_identity: Path) -> Repos:
    return make_repos(tmp_path)


def _simulate(repos: Repos, capsys: pytest.CaptureFixture[str], *sets: str) -> dict[str, object]:
    """What ``simulate --policy chat-cost --set …`` predicts in the CI checkout."""
    from autoopt.cli.main import main

    argv = ["simulate", "--repo", str(repos.ci), "--policy", "chat-cost", "--format", "json"]
    for item in sets:
        argv += ["--set", item]
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_a_model_switch_is_predicted_as_simulate_predicts_it(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(CONFIG, *MINI)
    repos.edit(CONFIG, *V8)
    head = repos.push("switch", "Switch chat-service to gpt-4o-mini")
    data = repos.review_json(capsys, head)
    assert data["conclusion"] == "success"
    assert data["changed"] == [CONFIG]
    (config,) = data["configs"]
    assert (config["service"], config["policy"], config["change"]) == (
        "chat-service",
        "chat-cost",
        "stable",
    )
    assert config["stable"]["version"] == "v7" and config["candidate"]["version"] == "v8"
    assert [(f["field"], f["line"], f["old"], f["new"]) for f in config["fields"]] == [
        ("spec.stable.version", 9, "v7", "v8"),
        ("spec.stable.params.model", 11, "gpt-4o", "gpt-4o-mini"),
    ]
    expected = _simulate(repos, capsys, "model=gpt-4o-mini")["metrics"]
    assert isinstance(expected, dict)
    assert list(config["impact"]) == [
        "cost_per_request",
        "daily_cost_usd",
        "latency_p50_ms",
        "latency_p95_ms",
        "error_rate",
        "quality",
    ]
    for metric, impact in config["impact"].items():
        assert impact == expected[metric], metric  # the same calibrated what-if, number for number
    assert config["impact"]["cost_per_request"]["delta"]["high"] < -0.9
    constraints = {c["metric"]: c for c in config["constraints"]}
    assert set(constraints) == {"quality", "latency_p95_ms", "error_rate"}  # the hard ones
    assert constraints["quality"]["bound"] == "≥ 85"
    assert constraints["quality"]["predicted"] == expected["quality"]["candidate"]  # type: ignore[index]
    assert config["risk"] < config["max_risk"] == 0.10
    assert config["verdict"]["code"] == "within_policy"
    assert config["verdict"]["text"].startswith("within policy: P(a hard constraint is broken) = ")
    assert config["mid_rollout"] is None
    # both temporary checkouts are gone
    assert git(repos.ci, "worktree", "list").count("\n") == 1


def test_the_markdown_comment(repos: Repos, capsys: pytest.CaptureFixture[str]) -> None:
    repos.edit(CONFIG, *MINI)
    repos.edit(CONFIG, *V8)
    head = repos.push("switch", "Switch chat-service to gpt-4o-mini")
    out, _ = repos.review(capsys, head)
    assert out.startswith("## ✅ autoopt review: 1 change(s): within policy\n")
    assert out.count("<!-- autoopt:review -->") == 1
    assert "### `configs/chat-service.yaml` — chat-service, policy `chat-cost`" in out
    assert "Switches the stable version v7 to **v8**." in out
    assert '- `spec.stable.params.model`: `"gpt-4o"` → `"gpt-4o-mini"` (line 11)' in out
    for label in ("cost per request", "cost per day", "latency p50", "latency p95"):
        assert f"\n| {label} | $" in out or f"\n| {label} | " in out
    assert "| quality ≥ 85 | 86.93 [" in out
    assert (
        "**Verdict: ✅ within policy: P(a hard constraint is broken) = 0.0% ≤ maxRisk 10%**" in out
    )


def test_a_model_predicted_below_the_quality_floor_fails(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    # metrics are read in the work tree the review runs in, committed or not
    lower_quality(repos.ci, "gpt-4o-mini", 3.0)  # measured ~84 instead of ~87
    repos.edit(CONFIG, *MINI)
    repos.edit(CONFIG, *V8)
    head = repos.push("switch", "Switch chat-service to gpt-4o-mini")
    data = repos.review_json(capsys, head, code=1)
    assert data["conclusion"] == "failure"
    (config,) = data["configs"]
    quality = next(c for c in config["constraints"] if c["metric"] == "quality")
    assert quality["predicted"]["high"] < 85 and quality["probability"] > 0.99
    assert config["risk"] > 0.99
    assert config["verdict"]["code"] == "breaks_constraint"
    assert config["verdict"]["text"].startswith(
        "breaks a hard constraint with risk 100%: quality ≥ 85"
    )
    out, _ = repos.review(capsys, head, "--format", "text", code=1)
    assert out.splitlines()[0].endswith("1 change(s): breaks a hard constraint (chat-service)")


def test_a_model_without_data_cannot_be_predicted_and_says_why(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(CONFIG, "model: gpt-4o\n", "model: claude-3-5-haiku\n")
    repos.edit(CONFIG, *V8)
    head = repos.push("haiku", "Try claude-3-5-haiku")
    data = repos.review_json(capsys, head)  # exit 0: reviewed, nothing predicted broken
    assert data["conclusion"] == "neutral"
    (config,) = data["configs"]
    assert config["impact"] == {} and config["risk"] is None
    assert config["verdict"] == {
        "conclusion": "neutral",
        "code": "cannot_predict",
        "text": "cannot predict: model 'claude-3-5-haiku' has no data in the metrics of "
        "chat-service and no declared prior (run it on some traffic first, or declare "
        "spec.priors.claude-3-5-haiku in the policy)",
    }


def test_a_changed_policy_shows_what_each_would_decide_today(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(POLICY, "min: 85 ", "min: 88 ")
    head = repos.push("stricter", "Quality floor 88")
    data = repos.review_json(capsys, head)
    assert data["configs"] == []
    (policy,) = data["policies"]
    assert [(f["field"], f["line"], f["old"], f["new"]) for f in policy["fields"]] == [
        ("spec.constraints.0.min", 19, 85.0, 88.0)
    ]
    # each side is what `propose --dry-run` decides on that ref's documents
    old, new = _propose(repos, capsys, "origin/main"), _propose(repos, capsys, head)
    assert (policy["old"]["decision"], policy["new"]["decision"]) == ("propose", "no_change")
    assert policy["old"]["decision"] == old["decision"]
    assert policy["old"]["to"]["version"] == old["to"]["version"]  # type: ignore[index]
    assert policy["new"]["decision"] == new["decision"]
    assert policy["verdict"]["text"] == (
        "the new policy decides no_change (improvement_below_threshold)"
    )


def _propose(repos: Repos, capsys: pytest.CaptureFixture[str], ref: str) -> dict[str, object]:
    from autoopt.cli.main import main

    git(repos.ci, "checkout", "--quiet", "--detach", ref)
    try:
        with pytest.raises(SystemExit):
            main(["propose", "--repo", str(repos.ci), "--policy", "chat-cost", "--dry-run",
                  "--format", "json", "--now", NOW])  # fmt: skip
    finally:
        git(repos.ci, "checkout", "--quiet", "main")
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


CANARY = """  canary:
    version: v8
    params: {model: gpt-4o-mini, temperature: 0.7, max_tokens: 1024, retries: 2, timeout: 30s}
    steps: [5, 25, 50, 100]
    durations: [5m, 10m, 15m]
    step: 1
    step_started_at: 2026-11-25T10:00:00Z
    policy: chat-cost
"""


def test_a_hand_edit_mid_rollout_is_flagged(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(CONFIG, "  paused: false", CANARY + "  paused: false")
    repos.push_main("Start the rollout of v8")
    repos.edit(CONFIG, "temperature: 0.7, max_tokens: 1024", "temperature: 0.2, max_tokens: 1024")
    head = repos.push("colder", "Colder canary")
    data = repos.review_json(capsys, head)
    (config,) = data["configs"]
    assert config["change"] == "canary"
    assert config["mid_rollout"] == (
        "configs/chat-service.yaml is mid-rollout (v8 at step 1, 25% of traffic) and this "
        "change edits spec.canary.params.temperature by Pat Person: the reconciler judges the "
        "next stage on the edited file; finish or roll back the rollout first (autoopt rollback)"
    )
    assert config["verdict"]["conclusion"] == "neutral"  # within policy, but someone must look
    assert data["conclusion"] == "neutral"
    out, _ = repos.review(capsys, head)
    assert "> [!WARNING]\n> configs/chat-service.yaml is mid-rollout" in out


def test_invalid_documents_at_the_head_are_located_and_fail(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(CONFIG, "temperature: 0.7", "temperature: 9")
    head = repos.push("hot", "Very hot")
    data = repos.review_json(capsys, head, code=1)
    assert data["conclusion"] == "failure"
    assert [(p["file"], p["line"], p["col"], p["field"]) for p in data["problems"]] == [
        ("configs/chat-service.yaml", 12, 20, "spec.stable.params.temperature")
    ]
    out, _ = repos.review(capsys, head, code=1)
    assert out.startswith("## ❌ autoopt review: 1 change(s): invalid documents (1 error(s))")
    assert "- **error** `configs/chat-service.yaml:12:20: spec.stable.params.temperature:" in out


def test_a_comment_only_change_and_a_settings_change(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    repos.edit(CONFIG, "  paused: false ", "  paused: false  # reviewed in December ")
    repos.edit("autoopt.yaml", "base_branch: main", "base_branch: trunk")
    head = repos.push("tidy", "Tidy up")
    data = repos.review_json(capsys, head)
    assert data["changed"] == ["autoopt.yaml", CONFIG]
    (config,) = data["configs"]
    assert config["fields"] == [] and config["change"] == "params_unchanged"
    assert config["verdict"]["code"] == "no_params_change"
    assert data["settings"]["fields"] == [
        {"field": "spec.defaults.base_branch", "line": 16, "col": 18, "old": "main", "new": "trunk"}
    ]
    assert data["conclusion"] == "success"


def test_usage_and_user_errors(repos: Repos, capsys: pytest.CaptureFixture[str]) -> None:
    _, err = repos.review(capsys, "", code=2)
    assert "give --head" in err
    _, err = repos.review(capsys, "no-such-branch", code=1)
    assert "error: --head 'no-such-branch': no such commit" in err
    out, _ = repos.review(capsys, "origin/main", "--format", "text")
    assert out.strip().endswith("no change to policies, configs or autoopt.yaml")


def test_a_new_config_and_a_service_without_policy_cannot_be_predicted(
    repos: Repos, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (repos.person / CONFIG).read_text(encoding="utf-8")
    rows = (repos.person / "metrics" / "requests.csv").read_text(encoding="utf-8")
    (repos.person / "configs" / "search-bot.yaml").write_text(
        config.replace("name: chat-service", "name: search-bot"), encoding="utf-8"
    )
    (repos.person / "metrics" / "search-bot.csv").write_text(
        rows.replace(",chat-service,", ",search-bot,"), encoding="utf-8"
    )
    repos.push_main("search-bot, not governed by a policy yet")
    repos.edit("configs/search-bot.yaml", *MINI)
    repos.edit("configs/search-bot.yaml", *V8)
    (repos.person / "configs" / "new-bot.yaml").write_text(
        config.replace("name: chat-service", "name: new-bot"), encoding="utf-8"
    )
    head = repos.push("two-bots", "search-bot on mini; new-bot")
    data = repos.review_json(capsys, head)
    assert data["conclusion"] == "neutral"
    new, search = data["configs"]
    assert (new["path"], new["change"]) == ("configs/new-bot.yaml", "added")
    assert new["verdict"]["text"] == (
        "cannot predict: configs/new-bot.yaml is new: there is no current stable version to "
        "compare it with"
    )
    assert (search["path"], search["policy"]) == ("configs/search-bot.yaml", None)
    assert search["impact"]["cost_per_request"]["delta"]["value"] < -0.9  # still simulated
    assert search["verdict"]["text"] == (
        "cannot predict: no policy targets search-bot, so there are no hard constraints to check"
    )
