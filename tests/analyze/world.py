"""A small GitOps repository with ten days of generated metrics whose events are known.

* v1 until 2026-11-16 00:00, then v2: median latency +25%, cheaper ($0.008 against $0.010);
* an error burst 2026-11-18 10:00 .. 13:00 (25% of requests fail, against 1%);
* prompts grow from 2026-11-19 00:00 (tokens in 9,000 → 12,000 on average);
* a daily budget of $20 that the spend at 120 requests an hour will break late in the day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-11-10T00:00:00Z")
DAYS = 10
PER_HOUR = 120
SWITCH = pd.Timestamp("2026-11-16T00:00:00Z")
BURST = (pd.Timestamp("2026-11-18T10:00:00Z"), pd.Timestamp("2026-11-18T13:00:00Z"))
PROMPTS = pd.Timestamp("2026-11-19T00:00:00Z")
NOW = "2026-11-19T15:00:00Z"

SETTINGS = """apiVersion: autoopt/v1
kind: Settings
metadata: {name: analyze-world}
spec:
  metrics: {type: files, path: metrics/}
"""
POLICY = """apiVersion: autoopt/v1
kind: Policy
metadata: {name: chat-cost}
spec:
  target: {service: chat, config: configs/chat.yaml}
  objectives:
    - {metric: cost_per_request, goal: minimize}
  analysis:
    level: 0.05
    correction: holm
    golden:
      values: {error_rate: 0.01, latency_p95_ms: 1500}
  budgets:
    - {period: daily, limit_usd: 20}
    - {period: monthly, limit_usd: 1000}
  triggers:
    - {name: stable-errors, type: threshold, metric: error_rate, above: 0.15, window: 1m,
       priority: critical, action: rollback}
    - {name: spend, type: budget, period: daily, at: 1.0, projected: true, priority: high}
    - {name: nightly, type: schedule, cron: "0 3 * * *", priority: low}
"""
CONFIG = """apiVersion: autoopt/v1
kind: LLMConfig
metadata: {name: chat}
spec:
  stable:
    version: v2
    params: {model: model-b}
"""


def frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = DAYS * 24
    counts = rng.poisson(PER_HOUR, hours)
    offsets = np.concatenate(
        [h * 3600 + np.sort(rng.uniform(0, 3600, c)) for h, c in enumerate(counts)]
    )
    stamps = START + pd.to_timedelta(offsets, unit="s")
    n = stamps.size
    v2 = np.asarray(stamps >= SWITCH)
    burst = np.asarray((stamps >= BURST[0]) & (stamps < BURST[1]))
    grown = np.asarray(stamps >= PROMPTS)
    error = rng.random(n) < np.where(burst, 0.25, 0.01)
    latency = rng.lognormal(np.log(np.where(v2, 1250.0, 1000.0)), 0.3)
    tokens_in = rng.lognormal(np.log(np.where(grown, 12000.0, 9000.0)), 0.1).round()
    cost = np.where(v2, 0.008, 0.010) * rng.lognormal(0, 0.2, n)
    return pd.DataFrame(
        {
            "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "service": "chat",
            "version": np.where(v2, "v2", "v1"),
            "model": np.where(v2, "model-b", "model-a"),
            "latency_ms": latency.round(1),
            "tokens_in": tokens_in.astype(int),
            "tokens_out": rng.integers(80, 200, n),
            "cost_usd": cost.round(6),
            "error": np.where(error, "true", "false"),
            "quality": np.where(
                rng.random(n) < 0.3, rng.normal(88, 5, n).clip(0, 100).round(1), np.nan
            ),
        }
    )


def write(root: Path, *, policy: str = POLICY, config: str = CONFIG) -> Path:
    (root / "policies").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "metrics").mkdir()
    (root / "autoopt.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "policies" / "chat-cost.yaml").write_text(policy, encoding="utf-8")
    (root / "configs" / "chat.yaml").write_text(config, encoding="utf-8")
    frame().to_csv(root / "metrics" / "requests.csv", index=False)
    return root
