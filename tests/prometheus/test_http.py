"""Auth, headers, TLS, retries, the circuit breaker and the servers' own error messages,
through a gateway in front of a real Prometheus (and against a port nobody listens on)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests

from autoopt.errors import MetricsError
from autoopt.metrics.promhttp import PromClient
from autoopt.metrics.promread import moment
from autoopt.metrics.promsource import PrometheusMetrics
from autoopt.metrics.sources import Period, SummaryRequest
from autoopt.spec.prometheus import PrometheusSource
from tests.prometheus import promdata
from tests.prometheus.proxy import Gate, gateway, self_signed
from tests.prometheus.servers import Server, free_port

TOKEN = "s3cr3t-t0ken-value"


class Clock:
    """Time for the breaker, moved by the test (and by the client's backoff sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(
    url: str, env: dict[str, str] | None = None, clock: Clock | None = None, **more: object
) -> PromClient:
    spec = PrometheusSource.model_validate({"type": "prometheus", "url": url, **more})
    clock = clock or Clock()
    return PromClient(
        spec, requests.Session(), env or {}, Path.cwd(), sleep=clock.sleep, clock=clock
    )


def ask(src: PrometheusMetrics, traffic: promdata.Traffic) -> int:
    period = Period(end=moment(traffic.time(480)), start=moment(traffic.time(0)))
    (read,) = src.summaries([SummaryRequest("chat", period)])
    return sum(s.n for s in read.summaries)


def test_bearer_token_from_the_named_variable_and_tenant_header(
    prometheus_server: Server, traffic: promdata.Traffic
) -> None:
    gate = Gate(prometheus_server.url, f"Bearer {TOKEN}", {"X-Scope-OrgID": "team-a"})
    with gateway(gate) as url:
        spec = PrometheusSource.model_validate(
            {
                "type": "prometheus", "url": url, "step": "15s",
                "auth": {"bearer_token_env": "PROM_TOKEN"},
                "headers": {"X-Scope-OrgID": "team-a"},
            }
        )  # fmt: skip
        src = PrometheusMetrics(spec, Path.cwd(), env={"PROM_TOKEN": TOKEN})
        assert ask(src, traffic) > 0
    assert gate.seen and all(h["Authorization"] == f"Bearer {TOKEN}" for _p, h in gate.seen)
    assert {p for p, _h in gate.seen} == {"/api/v1/query_range", "/api/v1/query"}


def test_basic_auth_and_a_wrong_password_gives_the_server_s_message(
    prometheus_server: Server,
) -> None:
    expected = "Basic " + base64.b64encode(b"autoopt:right").decode()
    with gateway(Gate(prometheus_server.url, expected)) as url:
        auth = {"basic": {"username_env": "U", "password_env": "P"}}
        good = client(url, {"U": "autoopt", "P": "right"}, auth=auth)
        assert good.query("vector(1)", 0)[0]["value"][1] == "1"
        bad = client(url, {"U": "autoopt", "P": "wrong"}, auth=auth)
        with pytest.raises(MetricsError) as info:
            bad.query("vector(1)", 0)
    message = str(info.value)
    assert (
        message
        == f"prometheus {url}/api/v1/query: HTTP 401 Unauthorized: auth: invalid credentials"
    )
    assert bad.calls == 1  # a 4xx is not retried


def test_a_missing_secret_names_the_variable_and_never_a_secret(prometheus_server: Server) -> None:
    with pytest.raises(MetricsError, match=r"environment variable PROM_TOKEN .* is not set"):
        client(prometheus_server.url, {}, auth={"bearer_token_env": "PROM_TOKEN"})


def test_wrong_url_and_bad_query_give_the_server_s_message(prometheus_server: Server) -> None:
    wrong = client(prometheus_server.url + "/nothing-here")
    with pytest.raises(MetricsError, match=r"/nothing-here/api/v1/query: HTTP 404 Not Found"):
        wrong.query("vector(1)", 0)
    with pytest.raises(MetricsError, match=r"HTTP 400 Bad Request: bad_data: .*parse error"):
        client(prometheus_server.url).query("sum by (", 0)


def test_retries_with_backoff_then_succeeds(prometheus_server: Server) -> None:
    gate = Gate(prometheus_server.url, fail=2, status=503)
    clock = Clock()
    with gateway(gate) as url:
        found = client(url, clock=clock, retries=3, backoff="1s").query("vector(2)", 0)
    assert found[0]["value"][1] == "2"
    assert clock.slept == [1.0, 2.0]  # exponential
    assert len(gate.seen) == 3


def test_a_backend_that_is_down_is_one_clear_line_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    down = client(url, retries=2, backoff="1s")
    with pytest.raises(MetricsError) as info:
        down.query("vector(1)", 0)
    assert str(info.value).startswith(f"prometheus {url}/api/v1/query: cannot connect (")
    assert str(info.value).endswith("(after 3 attempts)")
    assert "\n" not in str(info.value) and down.calls == 3


def test_circuit_breaker_opens_after_five_failures_and_half_opens(
    prometheus_server: Server,
) -> None:
    gate = Gate(prometheus_server.url, fail=5, status=502)
    clock = Clock()
    with gateway(gate) as url:
        flaky = client(url, clock=clock, retries=10, backoff="1s")
        with pytest.raises(MetricsError, match="opened the circuit breaker"):
            flaky.query("vector(1)", 0)
        assert flaky.calls == 5 and flaky.breaker.state == "open"
        with pytest.raises(MetricsError, match="next try in"):
            flaky.query("vector(1)", 0)
        assert flaky.calls == 5  # open: nothing sent
        clock.now += 61
        assert flaky.breaker.state == "half-open"
        assert flaky.query("vector(3)", 0)[0]["value"][1] == "3"  # the trial succeeds
        assert flaky.breaker.state == "closed"
        for _ in range(4):  # a failure followed by a success does not add up
            gate.fail = 1
            flaky.query("vector(1)", 0)
        assert flaky.breaker.state == "closed"
        gate.fail = 5
        with pytest.raises(MetricsError, match="opened the circuit breaker"):
            flaky.query("vector(1)", 0)
        clock.now += 61
        gate.fail = 1  # the half-open trial fails: open again at once, no second try
        sent = flaky.calls
        with pytest.raises(MetricsError, match="opened the circuit breaker"):
            flaky.query("vector(1)", 0)
        assert flaky.calls == sent + 1 and flaky.breaker.state == "open"


def test_tls_with_the_ca_file_and_without_it(prometheus_server: Server, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with gateway(Gate(prometheus_server.url), tls=(cert, key)) as url:
        trusted = client(url, tls={"ca_file": str(cert)})
        assert trusted.query("vector(4)", 0)[0]["value"][1] == "4"
        with pytest.raises(MetricsError, match="TLS error"):
            client(url).query("vector(4)", 0)
        skipping = client(url, tls={"insecure_skip_verify": True})
        assert skipping.query("vector(5)", 0)[0]["value"][1] == "5"
    with pytest.raises(MetricsError, match=r"tls\.ca_file nope\.pem: no such file"):
        client(url, tls={"ca_file": "nope.pem"})


def test_credentials_in_the_url_are_never_shown() -> None:
    spec = PrometheusSource.model_validate(
        {"type": "prometheus", "url": "http://user:hunter2@127.0.0.1:1/prom"}
    )
    src = PrometheusMetrics(spec, Path.cwd())
    assert src.description == "prometheus http://127.0.0.1:1/prom"
