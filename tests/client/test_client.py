"""autoopt.client on real files: the split, stickiness, reloads, and safe metric rows."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import autoopt.client
from autoopt.client import Client, RecordError, bucket, record
from autoopt.errors import SpecError, UserError

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: chat-service
spec:
  stable:
    version: v7
    params: {{model: gpt-4o, temperature: 0.7, max_tokens: 1024}}
{canary}  paused: {paused}
"""

CANARY = """\
  canary:
    version: v8
    params: {{model: gpt-4o-mini, temperature: 0.5}}
    steps: [5, 25, 50, 100]
    durations: [5m, 10m, 15m]
    step: {step}
    step_started_at: 2026-11-25T10:00:00Z
"""


def write(path: Path, step: int | None = 0, paused: bool = False) -> Path:
    canary = CANARY.format(step=step) if step is not None else ""
    path.write_text(CONFIG.format(canary=canary, paused=str(paused).lower()))
    return path


KEYS = [f"user-{i}" for i in range(100_000)]


@pytest.mark.parametrize(("step", "weight"), [(0, 5), (1, 25), (2, 50)])
def test_split_over_100000_keys_is_within_half_a_point_of_the_weight(
    tmp_path: Path, step: int, weight: int
) -> None:
    client = Client(write(tmp_path / "c.yaml", step))
    canary = sum(client.choose(k).role == "canary" for k in KEYS)
    assert abs(100 * canary / len(KEYS) - weight) <= 0.5


def test_a_key_on_the_canary_stays_there_as_the_weight_grows(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", 0)
    client = Client(path, check_every=0)
    at_5 = {k for k in KEYS[:20_000] if client.choose(k).role == "canary"}
    assert all(client.choose(k).role == "canary" for k in at_5)  # same answer twice
    write(path, 1)
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    at_25 = {k for k in KEYS[:20_000] if client.choose(k).role == "canary"}
    assert at_5 < at_25
    assert len(at_25) > 4 * len(at_5)


def test_variants_carry_version_and_params(tmp_path: Path) -> None:
    client = Client(write(tmp_path / "c.yaml", 0))
    chosen = {client.choose(k) for k in KEYS[:200]}
    assert len(chosen) == 2
    stable = next(v for v in chosen if v.role == "stable")
    canary = next(v for v in chosen if v.role == "canary")
    assert (stable.version, canary.version) == ("v7", "v8")
    for key in KEYS[:200]:
        expected = "canary" if bucket("chat-service:v8", key) < 5 else "stable"
        assert client.choose(key).role == expected
    assert dict(stable.params) == {"model": "gpt-4o", "temperature": 0.7, "max_tokens": 1024}
    assert dict(canary.params) == {"model": "gpt-4o-mini", "temperature": 0.5}
    assert client.service == "chat-service"
    assert all(client.choose(k.encode()) == client.choose(k) for k in KEYS[:200])
    assert client.choose(12345) == client.choose("12345")
    with pytest.raises(TypeError):
        stable.params["model"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(("step", "paused"), [(None, False), (2, True)])
def test_everyone_gets_stable_without_a_live_canary(
    tmp_path: Path, step: int | None, paused: bool
) -> None:
    client = Client(write(tmp_path / "c.yaml", step, paused))
    assert {client.choose(k).version for k in KEYS[:2000]} == {"v7"}


def test_a_broken_edit_keeps_the_last_good_config(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", 1)
    client = Client(path, check_every=0)
    path.write_text("spec: [unclosed\n")
    assert client.choose("user-1").version in {"v7", "v8"}
    assert isinstance(client.last_error, SpecError)
    assert "c.yaml:2:1: YAML: expected ',' or ']'" in str(client.last_error)
    write(path, None)
    assert client.choose("user-1").version == "v7"
    assert client.last_error is None
    assert client.config.spec.canary is None


def test_a_bad_file_at_start_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        Client(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: autoopt/v1\nkind: Policy\nmetadata: {name: x}\nspec: {}\n")
    with pytest.raises(SpecError, match="expected kind 'LLMConfig'"):
        Client(bad)


def test_choose_is_cheap_when_the_file_did_not_change(tmp_path: Path) -> None:
    client = Client(write(tmp_path / "c.yaml", 1), check_every=3600)
    first = client.config
    write(tmp_path / "c.yaml", 2)
    assert client.config is first  # not re-read within check_every


ROW = dict(
    service="chat-service",
    version="v8",
    model="gpt-4o-mini",
    latency_ms=812.5,
    tokens_in=950,
    tokens_out=210,
    error=False,
)


def test_record_appends_one_canonical_json_line(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "requests.jsonl"
    path.parent.mkdir()
    when = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)
    record(path, **ROW, quality=91.0, ttft_ms=120.0, cost_usd=0.0004, timestamp=when)
    record(str(path), **ROW, timestamp=1_764_064_800.5)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {
        "timestamp": "2026-11-25T10:00:00.123Z",
        "service": "chat-service",
        "version": "v8",
        "model": "gpt-4o-mini",
        "latency_ms": 812.5,
        "ttft_ms": 120.0,
        "tokens_in": 950,
        "tokens_out": 210,
        "cost_usd": 0.0004,
        "error": False,
        "quality": 91.0,
    }
    assert json.loads(lines[1])["timestamp"] == "2025-11-25T10:00:00.500Z"
    assert "quality" not in json.loads(lines[1])


def test_record_converts_timestamps_to_utc(tmp_path: Path) -> None:
    east = timezone(timedelta(hours=2))
    row = record(io.StringIO(), **ROW, timestamp=datetime(2026, 1, 1, 12, 0, tzinfo=east))
    assert row["timestamp"] == "2026-01-01T10:00:00.000Z"
    naive = record(io.StringIO(), **ROW, timestamp=datetime(2026, 1, 1, 12, 0))
    assert naive["timestamp"] == "2026-01-01T12:00:00.000Z"
    now = datetime.fromisoformat(record(io.StringIO(), **ROW)["timestamp"])
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_record_to_open_files(tmp_path: Path) -> None:
    text = io.StringIO()
    record(text, **ROW, variant="canary")
    assert json.loads(text.getvalue())["variant"] == "canary"
    with open(tmp_path / "m.jsonl", "ab") as binary:
        record(binary, **ROW)
    assert json.loads((tmp_path / "m.jsonl").read_text())["error"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"latency_ms": -1.0}, "latency_ms must be between 0 and inf, got -1.0"),
        ({"latency_ms": float("nan")}, "latency_ms must be between 0 and inf, got nan"),
        ({"quality": 101.0}, "quality must be between 0 and 100, got 101.0"),
        ({"tokens_in": 1.5}, "tokens_in must be a non-negative integer, got 1.5"),
        ({"tokens_out": -3}, "tokens_out must be a non-negative integer, got -3"),
        ({"error": "no"}, "error must be True or False, got 'no'"),
        ({"service": ""}, "service must be a non-empty string, got ''"),
        ({"cost_usd": "0.1"}, "cost_usd must be a number, got '0.1'"),
    ],
)
def test_record_refuses_rows_that_are_not_metrics(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "m.jsonl"
    with pytest.raises(RecordError) as caught:
        record(path, **{**ROW, **change})  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert not path.exists()  # nothing half-written


def test_record_from_many_threads_writes_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    shared = open(tmp_path / "shared.jsonl", "a")  # noqa: SIM115 — shared by the threads

    def work(worker: int) -> None:
        for i in range(400):
            record(path, **{**ROW, "tokens_in": worker * 1000 + i, "model": "m" * 300})
            record(shared, **{**ROW, "tokens_in": worker * 1000 + i})

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shared.close()
    for file in (path, tmp_path / "shared.jsonl"):
        rows = [json.loads(line) for line in file.read_text().splitlines()]
        assert sorted(r["tokens_in"] for r in rows) == sorted(
            w * 1000 + i for w in range(8) for i in range(400)
        )


def test_the_client_imports_nothing_heavy() -> None:
    code = (
        "import sys, autoopt.client; "
        "print(sorted(m for m in ('numpy', 'pandas', 'git', 'pymoo', 'scipy', 'duckdb') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, check=False, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_public_api_is_pinned() -> None:
    assert sorted(autoopt.client.__all__) == [
        "Client",
        "LLM_LATENCY_BUCKETS",
        "PrometheusRecorder",
        "RecordError",
        "Variant",
        "bucket",
        "metric_row",
        "record",
    ]
