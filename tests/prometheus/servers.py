"""Real Prometheus and VictoriaMetrics servers on 127.0.0.1, started by the tests.

Prometheus reads a TSDB backfilled with ``promtool tsdb create-blocks-from openmetrics``;
VictoriaMetrics gets the same series through its ``/api/v1/import`` API. Both bind a free
port under a temporary directory and are stopped (by their own process) at the end. A missing
binary fails the test under ``CI=true`` (``.ci/run`` installs the Debian packages
``prometheus`` and ``victoria-metrics``) and skips with the reason elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests


def need(name: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"{name} is not installed (.ci/run installs the Debian packages prometheus, victoria-metrics)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true needs it")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    kind: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"server not ready after {seconds}s: {log.read_text(errors='replace')[-2000:]}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def prometheus(directory: Path, openmetrics: str) -> Iterator[Server]:
    """Prometheus over a TSDB backfilled from ``openmetrics`` (no scrape targets)."""
    promtool, binary = need("promtool"), need("prometheus")
    directory.mkdir(parents=True, exist_ok=True)
    data, tsdb = directory / "data.om", directory / "tsdb"
    data.write_text(openmetrics, encoding="utf-8")
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    config = directory / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n", encoding="utf-8")
    port, log = free_port(), directory / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=100y",
                "--web.enable-lifecycle",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/-/ready", process, log)
        yield Server("prometheus", url, process, log)
    finally:
        _stop(process)


@contextmanager
def victoria(directory: Path, jsonlines: str) -> Iterator[Server]:
    """VictoriaMetrics (single node) with the series imported through its API."""
    binary = need("victoria-metrics")
    directory.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), directory / "victoria.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"-storageDataPath={directory / 'vm'}",
                f"-httpListenAddr=127.0.0.1:{port}",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                "-search.disableCache",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/health", process, log)
        answer = requests.post(f"{url}/api/v1/import", data=jsonlines.encode(), timeout=120)
        answer.raise_for_status()
        requests.get(f"{url}/internal/force_flush", timeout=60).raise_for_status()
        yield Server("victoria-metrics", url, process, log)
    finally:
        _stop(process)
