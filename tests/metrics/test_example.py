"""The quickstart's metrics are what the seeded generator writes, byte for byte."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import QUICKSTART

FOLDER = QUICKSTART / "metrics"


def test_generator_reproduces_the_committed_file(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", FOLDER / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / "requests.csv")
    assert (tmp_path / "requests.csv").read_bytes() == (FOLDER / "requests.csv").read_bytes()
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) < 2_000_000
