from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from autoopt.errors import MetricsError
from autoopt.metrics.filesource import OtelMetrics
from autoopt.spec.models import OtelSource

DATA = Path(__file__).parent / "data"


def test_genai_spans_become_canonical_rows() -> None:
    read = OtelMetrics(OtelSource(type="otel", path="otel-export.jsonl"), DATA).rows()
    # the HTTP span is not an LLM call; the span that ends before it starts is rejected,
    # and the truncated last line is unparseable
    assert read.notes == ["1 non-GenAI span(s) skipped"]
    assert read.rows.as_dict() == {
        "accepted": 2,
        "rejected": 2,
        "reasons": {"bad_latency": 1, "unparseable": 1},
        "outside": 0,
    }
    first, second = read.frame.to_dict(orient="records")
    assert first["timestamp"] == pd.Timestamp("2025-11-25T10:00:00Z")
    assert (first["service"], first["version"], first["model"]) == ("chat-service", "v7", "gpt-4o")
    assert first["latency_ms"] == pytest.approx(1250.0)
    assert (first["tokens_in"], first["tokens_out"]) == (812.0, 164.0)
    assert (first["temperature"], first["max_tokens"]) == (0.7, 1024.0)
    assert first["error"] is False or not first["error"]
    assert math.isnan(first["quality"])
    assert first["cost_usd"] == pytest.approx(812 * 2.5e-6 + 164 * 10e-6)  # priced: gpt-4o
    assert (second["version"], second["model"], bool(second["error"])) == (
        "v6",
        "gpt-4o-mini",
        True,
    )
    assert second["error_type"] == "RateLimitError"
    assert second["latency_ms"] == pytest.approx(400.0)
    assert math.isnan(second["tokens_out"])  # a failed call may carry no output tokens
    assert second["quality"] == 88.5


def test_the_version_attribute_is_configurable(tmp_path: Path) -> None:
    text = (DATA / "otel-export.jsonl").read_text(encoding="utf-8")
    (tmp_path / "x.json").write_text(text.replace('"service.version"', '"deployment.version"'))
    spec = OtelSource(type="otel", path="x.json", version_attribute="deployment.version")
    assert sorted(OtelMetrics(spec, tmp_path).rows().frame["version"]) == ["v6", "v7"]


def test_an_export_without_genai_spans_says_so(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"resourceSpans": []}', encoding="utf-8")
    with pytest.raises(
        MetricsError, match=r"^x.json: no GenAI spans \(gen_ai.\* attributes\) found$"
    ):
        OtelMetrics(OtelSource(type="otel", path="x.json"), tmp_path).rows()
