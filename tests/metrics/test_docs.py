"""docs/metrics.md is executed: its Python example runs; its reason codes are complete."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def test_the_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    section = DOC[DOC.index("## Python API") :]
    code = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)[0]
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/metrics.md", "exec"), namespace)
    assert namespace["summaries"]


def test_every_rejection_reason_is_documented() -> None:
    from autoopt.metrics.table import REASONS

    for reason in REASONS:
        assert f"`{reason}`" in DOC, reason
