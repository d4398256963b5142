"""``evaluate``, ``propose`` and ``status`` on a repository whose metrics are in Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoopt.cli.main import main
from autoopt.metrics.promread import moment
from tests.conftest import git
from tests.prometheus import promdata
from tests.prometheus.servers import Server

CONFIG = """\
apiVersion: autoopt/v1
kind: LLMConfig
metadata: {{name: chat}}
spec:
  stable:
    version: {version}
    params: {{model: {model}, temperature: 0.5, max_tokens: 1024}}
  paused: false
"""
POLICY = """\
apiVersion: autoopt/v1
kind: Policy
metadata: {name: chat-cost}
spec:
  target: {service: chat, config: configs/chat.yaml}
  objectives:
    - {metric: cost_per_request, goal: minimize, weight: 0.6}
    - {metric: quality, goal: maximize, weight: 0.4}
  constraints:
    - {metric: error_rate, max: 0.2}
  strategy: balanced
  search_space:
    model: [gpt-4o, gpt-4o-mini]
"""


def settings(url: str, extra: str = "") -> str:
    return (
        "apiVersion: autoopt/v1\nkind: Settings\nmetadata: {name: t}\nspec:\n"
        f"  metrics:\n    type: prometheus\n    url: {url}\n    step: 15s\n{extra}"
    )


@pytest.fixture
def repo(tmp_path: Path, git_identity: Path, backend: Server) -> Path:
    """A config whose history holds v1 (gpt-4o-mini) before the current v2 (gpt-4o)."""
    root = tmp_path / "repo"
    (root / "configs").mkdir(parents=True)
    (root / "policies").mkdir()
    (root / "autoopt.yaml").write_text(settings(backend.url), encoding="utf-8")
    (root / "policies" / "chat-cost.yaml").write_text(POLICY, encoding="utf-8")
    config = root / "configs" / "chat.yaml"
    config.write_text(CONFIG.format(version="v1", model="gpt-4o-mini"), encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "chat on gpt-4o-mini (v1)")
    config.write_text(CONFIG.format(version="v2", model="gpt-4o"), encoding="utf-8")
    git(root, "commit", "--quiet", "-am", "chat on gpt-4o (v2)")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_evaluate_reads_prometheus(
    repo: Path, traffic: promdata.Traffic, capsys: pytest.CaptureFixture[str]
) -> None:
    since, until = moment(traffic.time(0)).isoformat(), moment(traffic.time(480)).isoformat()
    code, out, err = run(
        capsys, "evaluate", "--repo", str(repo), "--policy", "chat-cost",
        "--since", since, "--until", until, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["source"].startswith("prometheus http://127.0.0.1:")
    assert [c["version"] for c in data["candidates"]] == ["v1", "v2"]
    truth = traffic.pooled("chat", "v1", traffic.time(0), traffic.time(480))
    assert truth is not None
    assert data["candidates"][0]["n"] == truth.interval.size
    assert data["candidates"][0]["params"]["model"] == "gpt-4o-mini"
    first = 'sum by (service, version) (increase(llm_requests_total{service="chat"}[120s]))'
    assert data["queries"][0] == first
    assert len(data["queries"]) == 9


def test_propose_dry_run_decides_from_prometheus(
    repo: Path, traffic: promdata.Traffic, capsys: pytest.CaptureFixture[str]
) -> None:
    now = moment(traffic.time(480)).isoformat()
    code, out, err = run(
        capsys, "propose", "--repo", str(repo), "--policy", "chat-cost", "--dry-run",
        "--now", now, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    # v1 (gpt-4o-mini) costs a fifteenth of v2 (gpt-4o) for a little less quality
    assert data["decision"] == "propose", data["reasons"]
    assert data["to"]["params"]["model"] == "gpt-4o-mini"
    assert data["predicted"]["cost_per_request"]["delta"] < -0.8


def test_status_works_on_a_prometheus_repository(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "status", "--repo", str(repo), "--format", "json")
    assert code == 0, err
    assert [s["service"] for s in json.loads(out)["services"]] == ["chat"]


def _evaluate(repo: Path, traffic: promdata.Traffic, *more: str) -> list[str]:
    since, until = moment(traffic.time(0)).isoformat(), moment(traffic.time(480)).isoformat()
    return ["evaluate", "--repo", str(repo), "--policy", "chat-cost", "--since", since,
            "--until", until, *more]  # fmt: skip


def test_a_backend_that_is_down_is_exit_1_and_one_line(
    repo: Path, traffic: promdata.Traffic, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.prometheus.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    (repo / "autoopt.yaml").write_text(settings(url, "    retries: 1\n    backoff: 10ms\n"))
    code, out, err = run(capsys, *_evaluate(repo, traffic))
    assert code == 1 and out == ""
    assert err.startswith(f"error: prometheus {url}/api/v1/query_range: cannot connect (")
    assert err.strip().endswith("(after 2 attempts)") and err.count("\n") == 1


def test_a_wrong_url_is_exit_1_with_the_server_s_message(
    repo: Path, backend: Server, traffic: promdata.Traffic, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, *_evaluate(repo, traffic, "--metrics", backend.url + "/nope"))
    assert code == 1
    assert err.startswith(f"error: prometheus {backend.url}/nope/api/v1/query_range: HTTP 40")
    assert err.count("\n") == 1


def test_no_data_for_the_service_is_exit_1_with_a_hint(
    repo: Path, traffic: promdata.Traffic, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml = repo / "autoopt.yaml"
    yaml.write_text(yaml.read_text() + "    layout: {preset: autoopt, service_label: app}\n")
    code, _out, err = run(capsys, *_evaluate(repo, traffic))
    assert code == 1
    assert "no metrics for service 'chat'" in err
    assert "(is the service label 'app' right?)" in err and err.count("\n") == 1
