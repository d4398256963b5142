"""The round trip: an app records with ``autoopt.client.PrometheusRecorder``, prometheus-client
exposes the metrics, a real Prometheus holds them (each scrape's exposition, time-stamped,
backfilled with promtool), and ``PrometheusSource`` reads back exactly what was recorded."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import requests

from autoopt.client import LLM_LATENCY_BUCKETS, PrometheusRecorder
from autoopt.metrics.promread import moment
from autoopt.metrics.promsource import PrometheusMetrics
from autoopt.metrics.sources import ArmsRequest, Period, SummaryRequest
from autoopt.spec.prometheus import PrometheusSource
from autoopt.values import Window
from tests.prometheus import servers

SCRAPE = 15


def scrapes(t0: int, count: int, seed: int = 3) -> tuple[str, dict[str, list[dict[str, float]]]]:
    """Record seeded traffic through the client, one exposition per scrape interval; the
    expositions as one time-stamped OpenMetrics file, and the requests recorded per version."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    rng = np.random.default_rng(seed)
    registry = CollectorRegistry()
    recorder = PrometheusRecorder(registry)
    for version in ("v1", "v2"):  # as an app does when a version starts serving
        recorder.prepare("chat", version, "m-1")
    truth: dict[str, list[dict[str, float]]] = {"v1": [], "v2": []}
    families: dict[str, tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], list[str]]]] = {}
    for j in range(count + 1):
        for version, slow, fail in (("v1", 0.7, 0.02), ("v2", 1.4, 0.06)):
            for _ in range(rng.poisson(6) if j else 0):
                row = {
                    "latency_ms": round(float(rng.lognormal(math.log(slow * 1000), 0.5)), 3),
                    "tokens_in": int(rng.integers(50, 900)),
                    "tokens_out": int(rng.integers(10, 400)),
                    "error": bool(rng.random() < fail),
                    "quality": round(float(rng.uniform(60, 95)), 2),
                }
                row["cost_usd"] = row["tokens_in"] * 1e-7 + row["tokens_out"] * 4e-7
                recorder.record(service="chat", version=version, model="m-1", **row)  # type: ignore[arg-type]
                truth[version].append({**row, "j": j})
        stamp = t0 + j * SCRAPE
        text = generate_latest(registry).decode()
        for family in text_string_to_metric_families(text):
            kind, series = families.setdefault(family.name, (family.type, {}))
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                key = (sample.name, tuple(sorted(sample.labels.items())))
                series.setdefault(key, []).append(f"{sample.value!r} {stamp}")
    lines = []
    for name, (kind, series) in families.items():
        lines.append(f"# TYPE {name} {kind}")
        for (metric, labels), points in series.items():
            text = ",".join(f'{k}="{v}"' for k, v in labels)
            lines.extend(f"{metric}{{{text}}} {p}" for p in points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n", truth


def test_what_the_client_records_is_what_the_source_reads(tmp_path: Path) -> None:
    t0 = (int(__import__("time").time()) // 3600 - 5) * 3600
    text, truth = scrapes(t0, 240)
    with servers.prometheus(tmp_path / "prom", text) as server:
        spec = PrometheusSource.model_validate(
            {"type": "prometheus", "url": server.url, "step": "15s"}
        )
        src = PrometheusMetrics(spec, tmp_path, session=requests.Session())
        period = Period(end=moment(t0 + 240 * SCRAPE), start=moment(t0))
        (read,) = src.summaries([SummaryRequest("chat", period)])
        stages = {0: Window(moment(t0), moment(t0 + 240 * SCRAPE))}
        arms = src.arms([ArmsRequest("chat", "v1", "v2", stages)]).observations[0]
    assert [s.version for s in read.summaries] == ["v1", "v2"]
    for summary in read.summaries:
        rows = truth[summary.version]
        n = len(rows)
        assert (summary.n, summary.errors) == (n, sum(r["error"] for r in rows))
        mean = {k: sum(r[k] for r in rows) / n for k in ("tokens_out", "cost_usd", "quality")}
        assert summary.metrics["tokens_out_mean"].value == pytest.approx(mean["tokens_out"])
        assert summary.metrics["cost_per_request"].value == pytest.approx(mean["cost_usd"])
        assert summary.metrics["quality"].value == pytest.approx(mean["quality"])
        p95 = summary.metrics["latency_p95_ms"]
        sample = float(np.quantile([r["latency_ms"] for r in rows], 0.95, method="inverted_cdf"))
        assert p95.low <= sample <= p95.high
    (whole,) = arms.intervals
    hist = whole.canary.latency_hist
    assert hist is not None
    assert hist.bounds_ms == (*(b * 1000 for b in LLM_LATENCY_BUCKETS), math.inf)
    successes = [r["latency_ms"] for r in truth["v2"] if not r["error"]]
    assert hist.total == len(successes)  # the judge's histogram holds the successes only
