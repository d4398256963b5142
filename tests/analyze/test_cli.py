"""``autoopt analyze`` end to end on a repository whose metrics have known events."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoopt.cli.main import cli, main
from tests.analyze import world
from tests.conftest import QUICKSTART


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world.write(tmp_path_factory.mktemp("analyze") / "repo")


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The real entry point, error choke point included: exit code and stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["analyze", *args])
    return int(info.value.code or 0), capsys.readouterr().err


@pytest.fixture(scope="module")
def found(repo: Path) -> dict[str, Any]:
    result = _run("--service", "chat", "--repo", str(repo), "--now", world.NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _hour(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).strftime("%d %H")


def test_the_promotion_is_a_change_point_and_a_pre_change_regression(found: dict[str, Any]) -> None:
    latency = found["change_points"]["latency_p95_ms"]
    assert [_hour(c["time"]) for c in latency] == ["16 00"]
    assert latency[0]["relative"] == pytest.approx(0.25, abs=0.06)
    pre = next(b for b in found["baselines"] if b["kind"] == "pre_change")
    assert "v2 since the promotion at 2026-11-16 00:00 against v1" in pre["label"]
    rows = {c["metric"]: c for c in pre["comparisons"]}
    assert rows["latency_p95_ms"]["significant"] and rows["latency_p95_ms"]["direction"] == "worse"
    assert rows["latency_p95_ms"]["test"] == "mann_whitney"
    assert rows["cost_per_request"]["direction"] == "better"
    assert rows["cost_per_request"]["relative"] == pytest.approx(-0.2, abs=0.03)
    assert not rows["error_rate"]["significant"]


def test_the_error_burst_is_an_anomaly_with_its_expected_range(found: dict[str, Any]) -> None:
    burst = [a for a in found["anomalies"] if a["metric"] == "error_rate"]
    assert {_hour(a["time"]) for a in burst} == {"18 10", "18 11", "18 12"}
    assert {a["detector"] for a in burst} == {"zscore", "iqr", "mad"}
    for anomaly in burst:
        assert anomaly["expected"]["low"] <= 0.01 <= anomaly["expected"]["high"] < anomaly["value"]
        assert anomaly["severity"] == "critical"
    assert not [
        a for a in found["anomalies"] if a["metric"] != "error_rate" and a["severity"] != "minor"
    ]


def test_longer_prompts_are_drift_and_the_rest_is_stable(found: dict[str, Any]) -> None:
    states = {d["feature"]: d["state"] for d in found["drift"]}
    assert states == {
        "tokens_in": "drift",
        "tokens_out": "stable",
        "model_share:model-a": "stable",  # the switch was three days ago: no longer "recent"
        "model_share:model-b": "stable",
        "traffic": "stable",
    }
    tokens = next(d for d in found["drift"] if d["feature"] == "tokens_in")
    for track in tokens["detectors"]:
        assert [_hour(t) for t in track["changes"]] == ["19 00"]
        assert track["after"] == pytest.approx(12000 * 1.005, rel=0.02)  # lognormal mean


def test_the_daily_budget_runs_out_tonight(found: dict[str, Any]) -> None:
    daily = next(b for b in found["budgets"] if b["period"] == "daily")
    # 15 hours at ~120 requests × $0.00813 (lognormal, mean ×1.02) ≈ $14.9
    assert daily["spent_usd"] == pytest.approx(15 * 120 * 0.008 * 1.02, rel=0.05)
    assert daily["alert"] == 0.5
    assert daily["projected_alert"] == 1.0
    runs_out = daily["exhausts_at"]
    assert runs_out["earliest"] <= runs_out["value"] <= runs_out["latest"]
    assert _hour(runs_out["value"]) in {"19 20", "19 21"}
    monthly = next(b for b in found["budgets"] if b["period"] == "monthly")
    assert monthly["exhausts_at"]["value"] is None and monthly["alert"] is None


def test_golden_values_and_the_initial_week(found: dict[str, Any]) -> None:
    kinds = {b["kind"]: b for b in found["baselines"]}
    golden = {c["metric"]: c for c in kinds["golden"]["comparisons"]}
    assert set(golden) == {"error_rate", "latency_p95_ms"}
    assert golden["latency_p95_ms"]["reference"] == 1500
    assert golden["latency_p95_ms"]["significant"]
    assert "2026-11-16 00:00 .. 2026-11-18 15:00" in kinds["initial"]["label"]
    assert kinds["rolling"]["unavailable"] is None and kinds["peak"]["unavailable"] is None


def test_text_and_markdown_say_the_same(repo: Path) -> None:
    common = ("--service", "chat", "--repo", str(repo), "--now", world.NOW)
    text = _run(*common).output
    markdown = _run(*common, "--format", "markdown").output
    assert "analyze chat (policy chat-cost, stable v2) as of 2026-11-19 15:00 UTC" in text
    assert "  latency p95   2026-11-16 00:00" in text
    assert "2026-11-18 10:00  error rate  " in text
    assert markdown.startswith("### analyze chat (policy chat-cost, stable v2)")
    assert "| metric | current | baseline | change | p | adjusted p | verdict |" in markdown
    assert "| tokens_in | drift |" in markdown


def test_plots_as_svg_and_png(repo: Path, tmp_path: Path) -> None:
    common = ("--service", "chat", "--repo", str(repo), "--now", world.NOW)
    svg, png = tmp_path / "chat.svg", tmp_path / "chat.png"
    assert _run(*common, "--plot", str(svg)).exit_code == 0
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    panels = root.findall(f"{ns}svg")
    titles = [p.find(f"{ns}text").text for p in panels]  # type: ignore[union-attr]
    assert titles[-1] == "chat: daily spend against $20.00"
    assert "chat: error rate" in titles
    marks = [c for c in root.iter(f"{ns}circle") if c.get("fill") == "#e45756"]
    assert len(marks) == 9  # three bursting hours × three detectors
    assert _run(*common, "--plot", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_a_clear_error(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(capsys, "--service", "nope", "--repo", str(repo))
    assert (code, err) == (
        1,
        "error: no metrics for service 'nope' (files metrics/; services seen: chat)\n",
    )
    code, err = _main(
        capsys, "--service", "chat", "--repo", str(repo), "--plot", str(tmp_path / "x.gif")
    )
    assert code == 1 and "the file must end in .svg or .png" in err
    assert not (tmp_path / "x.gif").exists()
    code, err = _main(capsys, "--service", "chat", "--repo", str(repo), "--since", "yesterday-ish")
    assert code == 1 and "--since 'yesterday-ish'" in err
    code, err = _main(capsys, "--repo", str(repo))
    assert code == 2 and "Missing option '--service'" in err


def test_a_bad_trigger_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = world.POLICY.replace('cron: "0 3 * * *"', 'cron: "0 25 * * *"')
    root = world.write(tmp_path / "repo", policy=policy)
    code, err = _main(capsys, "--service", "chat", "--repo", str(root))
    assert code == 1
    line = next(i for i, text in enumerate(policy.splitlines(), 1) if "0 25" in text)
    assert f"policies/chat-cost.yaml:{line}:" in err
    assert "hour: '25' is outside 0-23" in err


def test_the_quickstart_without_budgets_or_golden(tmp_path: Path) -> None:
    result = _run(
        "--service",
        "chat-service",
        "--repo",
        str(QUICKSTART),
        "--now",
        "2026-11-25T00:00:00Z",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    kinds = {b["kind"]: b for b in data["baselines"]}
    assert kinds["golden"]["unavailable"] == "none declared (spec.analysis.golden)"
    assert kinds["initial"]["unavailable"].startswith("v7 was first served 2026-11-24 00:00")
    assert data["budgets"] == []
    cost = data["change_points"]["cost_per_request"]
    assert [_hour(c["time"]) for c in cost] == ["24 00"]  # v6 → v7 (gpt-4o-mini → gpt-4o)
