"""PrometheusSource against a real Prometheus and a real VictoriaMetrics over known traffic.

Counts, token and cost means and quality are exact (PromQL's increase over scrape-aligned
windows is exact, counter resets and two instances included); percentiles equal
``histogram_quantile`` over the true buckets, and their intervals hold the true sample
quantile (the bucket resolution is inside the interval).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import requests

from autoopt.metrics.promread import moment
from autoopt.metrics.promsource import PrometheusMetrics
from autoopt.metrics.promstats import histogram_quantile
from autoopt.metrics.sources import ArmsRequest, Period, SummaryRead, SummaryRequest
from autoopt.spec.prometheus import PrometheusSource
from autoopt.values import Window
from tests.prometheus import promdata
from tests.prometheus.servers import Server


def source(server: Server, **settings: object) -> PrometheusMetrics:
    spec = PrometheusSource.model_validate(
        {"type": "prometheus", "url": server.url, "step": "15s", **settings}
    )
    return PrometheusMetrics(spec, Path.cwd(), session=requests.Session())


def ask(
    src: PrometheusMetrics, traffic: promdata.Traffic, start: int, end: int, *services: str
) -> list[SummaryRead]:
    period = Period(end=moment(traffic.time(end)), start=moment(traffic.time(start)))
    return src.summaries([SummaryRequest(s, period) for s in services])


def true_buckets(
    events: promdata.Events, *, successes: bool = False
) -> tuple[tuple[float, ...], np.ndarray]:
    """Per-bucket counts with Prometheus' inclusive upper bounds (``le``)."""
    edges = [-np.inf, *promdata.BOUNDS]
    latency = events.latency[~events.error] if successes else events.latency
    per = [int(((latency > lo) & (latency <= hi)).sum()) for lo, hi in itertools.pairwise(edges)]
    assert sum(per) == latency.size
    return tuple(b * 1000 for b in promdata.BOUNDS), np.array(per, dtype="int64")


@pytest.mark.parametrize(("start", "end"), [(0, 480), (120, 360), (200, 280)])
def test_summaries_match_the_ground_truth(
    backend: Server, traffic: promdata.Traffic, start: int, end: int
) -> None:
    src = source(backend)
    reads = ask(src, traffic, start, end, "chat", "search")
    assert [r.service for r in reads] == ["chat", "search"]
    # one query per quantity for both services: not one per service
    assert len(src.queries) == 9
    for read in reads:
        assert read.window.start == moment(traffic.time(start))
        assert read.window.end == moment(traffic.time(end))
        for summary in read.summaries:
            events = traffic.pooled(
                read.service, summary.version, traffic.time(start), traffic.time(end)
            )
            assert events is not None
            truth = promdata.truth_summary(events)
            assert (summary.n, summary.errors) == (truth["n"], truth["errors"])
            for metric in ("tokens_out_mean", "cost_per_request", "quality"):
                got = summary.metrics[metric]
                assert got.value == pytest.approx(truth[metric], rel=1e-6), metric
                assert got.low <= got.value <= got.high
            rate = summary.metrics["error_rate"]
            assert rate.value == truth["errors"] / truth["n"]
            bounds, counts = true_buckets(events)
            for metric, q in (("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95)):
                got = summary.metrics[metric]
                assert got.value == pytest.approx(histogram_quantile(q, bounds, counts))
                sample = float(np.quantile(events.latency * 1000, q, method="inverted_cdf"))
                assert got.low <= sample <= got.high, (metric, got, sample)


def test_the_server_s_histogram_quantile_agrees(backend: Server, traffic: promdata.Traffic) -> None:
    """Our bucket maths is PromQL's: ask the server for histogram_quantile directly."""
    src = source(backend)
    (read,) = ask(src, traffic, 0, 480, "chat")
    span = 480 * promdata.SCRAPE
    query = (
        "histogram_quantile(0.95, sum by (service, version, le) "
        f'(increase(llm_request_duration_seconds_bucket{{service="chat"}}[{span}s])))'
    )
    found = src.client.query(query, traffic.time(480))
    server = {s["metric"]["version"]: float(s["value"][1]) * 1000 for s in found}
    ours = {s.version: s.metrics["latency_p95_ms"].value for s in read.summaries}
    assert server.keys() == ours.keys() == {"v1", "v2"}
    for version, value in ours.items():
        assert value == pytest.approx(server[version], rel=1e-9)


def test_a_sparse_version_with_an_empty_short_window_is_left_out(
    backend: Server, traffic: promdata.Traffic
) -> None:
    events = traffic.events
    sparse = [
        e for (arm, _), e in events.items() if arm.version == "v2" and arm.service == "search"
    ]
    busy = set(np.concatenate([e.interval for e in sparse]).tolist())
    quiet = next(j for j in range(200, 480) if not busy & set(range(j - 3, j + 1)))
    (read,) = ask(source(backend), traffic, quiet - 4, quiet, "search")
    assert [s.version for s in read.summaries] == ["v1"]


def test_series_that_start_inside_the_window_are_noted(
    backend: Server, traffic: promdata.Traffic
) -> None:
    (read,) = ask(source(backend), traffic, 0, 480, "search")
    (v2,) = [s for s in read.summaries if s.version == "v2"]
    assert any("start inside the window" in n for n in v2.notes)
    (v1,) = [s for s in read.summaries if s.version == "v1"]
    assert not any("start inside the window" in n for n in v1.notes)


def test_lookback_and_step_alignment(backend: Server, traffic: promdata.Traffic) -> None:
    """No --since: the window is the lookback before the end, aligned to the step."""
    src = source(backend, lookback="30m")
    end = moment(traffic.time(480) + 7)  # not on the step: aligned down
    (read,) = src.summaries([SummaryRequest("chat", Period(end=end))])
    assert read.window.end == moment(traffic.time(480))
    assert read.window.end - read.window.start == timedelta(minutes=30)


def test_arms_give_per_interval_counts_and_buckets(
    backend: Server, traffic: promdata.Traffic
) -> None:
    src = source(backend)
    stages = {
        0: Window(moment(traffic.time(100)), moment(traffic.time(200))),
        1: Window(moment(traffic.time(200)), moment(traffic.time(300))),
    }
    asked = [
        ArmsRequest("chat", "v1", "v2", stages, interval=timedelta(minutes=5)),
        ArmsRequest("search", "v1", "v2", stages, interval=timedelta(minutes=5)),
        ArmsRequest("chat", "v1", "v1", {0: stages[1]}, stable_shift=timedelta(minutes=25)),
    ]
    read = src.arms(asked)
    assert len(read.queries) == 6  # requests, errors, buckets; and again with the offset
    chat, search, shifted = read.observations
    assert [i.stage for i in chat.intervals] == [0] * 5 + [1] * 5
    for request, observation in zip(asked[:2], (chat, search), strict=True):
        for k, interval in enumerate(observation.intervals):
            lo = traffic.time(100 + 20 * k)
            for version, arm in (
                (request.stable, interval.stable),
                (request.canary, interval.canary),
            ):
                events = traffic.pooled(request.service, version, lo, lo + 300)
                assert events is not None
                assert (arm.n, arm.errors) == (events.interval.size, int(events.error.sum()))
                assert arm.latency_hist is not None and arm.latencies_ms.size == 0
                assert arm.latency_hist.total == arm.n - arm.errors  # the successes
                _bounds, counts = true_buckets(events, successes=True)
                assert arm.latency_hist.counts.tolist() == counts.tolist()
    # the sparse canary has empty intervals: they are kept while the stable has requests
    assert any(i.canary.n == 0 for i in search.intervals)
    (whole,) = shifted.intervals  # no interval asked: the stage is one piece
    before = traffic.pooled("chat", "v1", traffic.time(100), traffic.time(200))
    after = traffic.pooled("chat", "v1", traffic.time(200), traffic.time(300))
    assert before is not None and after is not None
    assert (whole.stable.n, whole.canary.n) == (before.interval.size, after.interval.size)


def test_nan_values_and_a_missing_version_label_are_one_line_each(
    backend: Server, traffic: promdata.Traffic
) -> None:
    (read,) = ask(source(backend), traffic, 0, 480, "odd")
    (v1,) = read.summaries
    unlabelled = "llm_requests_total: 1 series without a 'version' label left out"
    assert any(n.startswith(unlabelled) for n in read.notes), read.notes
    if backend.kind == "prometheus":  # VictoriaMetrics' import takes no NaN
        nan = [n for n in read.notes if "NaN/Inf" in n]
        assert nan == ["llm_requests_total: 2 NaN/Inf value(s) left out (empty or broken windows)"]
        assert v1.n < 480  # the sub-interval with the NaN samples is not counted
    else:
        assert v1.n == 480


def test_an_unknown_service_is_no_data_with_a_hint(
    backend: Server, traffic: promdata.Traffic
) -> None:
    (read,) = ask(source(backend), traffic, 0, 480, "nosuch")
    assert read.summaries == []
    assert read.notes[-1].startswith(
        "no data: no llm_requests_total series with service='nosuch' had requests in "
    )
    other = source(backend, layout={"preset": "otel-genai"})
    (read,) = ask(other, traffic, 0, 480, "chat")
    assert read.notes[-1].startswith(
        "no data: the server has no series gen_ai_client_operation_duration_seconds_count"
    )
