"""One Prometheus and one VictoriaMetrics per test session, over the same known traffic."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.prometheus import promdata, servers


@pytest.fixture(scope="session")
def traffic() -> promdata.Traffic:
    """Two hours of traffic ending four hours ago (hour-aligned; inside any retention)."""
    t0 = int(time.time()) // 3600 * 3600 - 6 * 3600
    return promdata.generate(t0)


@pytest.fixture(scope="session")
def prometheus_server(
    traffic: promdata.Traffic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[servers.Server]:
    with servers.prometheus(tmp_path_factory.mktemp("prometheus"), traffic.openmetrics()) as s:
        yield s


@pytest.fixture(scope="session")
def victoria_server(
    traffic: promdata.Traffic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[servers.Server]:
    with servers.victoria(tmp_path_factory.mktemp("victoria"), traffic.jsonlines()) as s:
        yield s


@pytest.fixture(params=["prometheus", "victoria-metrics"])
def backend(request: pytest.FixtureRequest) -> servers.Server:
    """Each test that takes it runs against both servers."""
    name = "prometheus_server" if request.param == "prometheus" else "victoria_server"
    server: servers.Server = request.getfixturevalue(name)
    return server
