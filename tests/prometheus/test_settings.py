"""``metrics: {type: prometheus}`` settings: every mistake located, secrets never inline."""

from __future__ import annotations

from pathlib import Path

from tests.spec.test_bad_input import QUICKSTART, errors_of, validate, write

SETTINGS = """\
apiVersion: autoopt/v1
kind: Settings
metadata: {name: t}
spec:
  metrics:
    type: prometheus
    url: https://mimir.example/prometheus
"""


def repo_with(tmp_path: Path, extra: str) -> Path:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns("metrics"))
    write(root, "autoopt.yaml", SETTINGS + extra)
    return root


def test_a_full_prometheus_settings_block_validates(tmp_path: Path) -> None:
    extra = """\
    timeout: 10s
    step: 30s
    lookback: 6h
    retries: 5
    backoff: 250ms
    auth: {bearer_token_env: MIMIR_TOKEN}
    tls: {ca_file: certs/ca.pem}
    headers: {X-Scope-OrgID: team-a}
    layout:
      preset: otel-genai
      service_label: service_name
      metrics: {cost: llm_cost_usd_total}
      matchers: {env: prod}
"""
    code, output = validate(repo_with(tmp_path, extra))
    assert code == 0, output


def test_mistakes_are_located(tmp_path: Path) -> None:
    extra = """\
    step: 500ms
    auth: {bearer_token_env: "not a name", basic: {username_env: U, password_env: P}}
    headers:
      Authorization: Bearer abc
    layout: {preset: datadog, metrics: {latency: "bad name"}}
"""
    code, output = validate(repo_with(tmp_path, extra))
    assert code == 1
    assert errors_of(output) == [
        "autoopt.yaml:8:11: spec.metrics.step: step must be a whole number of seconds, at least 1s",
        "autoopt.yaml:9:30: spec.metrics.auth.bearer_token_env: String should match pattern "
        "'^[A-Za-z_][A-Za-z0-9_]*$'",
        "autoopt.yaml:11:7: spec.metrics.headers: put no Authorization header here (a secret "
        "in the file); use auth.bearer_token_env or auth.basic",
        "autoopt.yaml:12:22: spec.metrics.layout.preset: Input should be 'autoopt' or 'otel-genai'",
        "autoopt.yaml:12:50: spec.metrics.layout.metrics.latency: String should match "
        "pattern '^[A-Za-z_:][A-Za-z0-9_:]*$'",
    ]


def test_a_preset_name_is_enough(tmp_path: Path) -> None:
    code, output = validate(repo_with(tmp_path, "    layout: otel-genai\n"))
    assert code == 0, output
