from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from autoopt.errors import MetricsError, UserError
from autoopt.metrics import read_metrics, source_from_settings
from autoopt.metrics.filesource import FilesMetrics, OtelMetrics
from autoopt.spec.models import FilesSource, PriceOverride, SettingsSpec
from tests.metrics.helpers import frame

HEADER = "timestamp,service,version,model,latency_ms,tokens_in,tokens_out,error\n"
GOOD = "2026-11-24T10:00:00Z,chat,v1,gpt-4o,120.5,100,50,false\n"


def files(path: str, **extra: object) -> FilesSource:
    return FilesSource.model_validate({"type": "files", "path": path, **extra})


def test_csv_with_a_broken_line_counts_it_as_unparseable(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(HEADER + GOOD + "too,few\n" + GOOD, encoding="utf-8")
    read = FilesMetrics(files("m.csv"), tmp_path).rows()
    assert read.rows.as_dict() == {
        "accepted": 2,
        "rejected": 1,
        "reasons": {"unparseable": 1},
        "outside": 0,
    }
    assert read.frame["latency_ms"].tolist() == [120.5, 120.5]


def test_gzipped_csv_jsonl_and_parquet_in_a_directory_are_all_read(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    (folder / "nested").mkdir(parents=True)
    with gzip.open(folder / "a.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write(HEADER + GOOD)
    record = {
        **{"timestamp": "2026-11-24T11:00:00Z", "service": "chat", "version": "v2"},
        **{"model": "gpt-4o", "latency_ms": 10, "tokens_in": 1, "tokens_out": 2, "error": 0},
    }
    (folder / "b.jsonl").write_text(json.dumps(record) + "\n{not json\n\n", encoding="utf-8")
    frame(5, version="v3").to_parquet(folder / "nested" / "c.parquet")
    (folder / "README.md").write_text("not metrics", encoding="utf-8")
    read = FilesMetrics(files("metrics/"), tmp_path).rows()
    assert read.rows.as_dict() == {
        "accepted": 7,
        "rejected": 1,
        "reasons": {"unparseable": 1},
        "outside": 0,
    }
    assert sorted(read.frame["version"].unique()) == ["v1", "v2", "v3"]


def test_a_glob_selects_files(tmp_path: Path) -> None:
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        (tmp_path / f"{day}.csv").write_text(HEADER + GOOD, encoding="utf-8")
    read = FilesMetrics(files("2026-11-2[34].csv"), tmp_path).rows()
    assert read.rows.accepted == 2


def test_nothing_to_read_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MetricsError, match=r"^nope/: no such file or directory$"):
        FilesMetrics(files("nope/"), tmp_path).rows()
    (tmp_path / "empty").mkdir()
    with pytest.raises(MetricsError, match="no CSV, JSONL or Parquet files in this directory"):
        FilesMetrics(files("empty"), tmp_path).rows()


def test_a_missing_column_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "day.csv").write_text(HEADER.replace(",error", "") + GOOD[:-7] + "\n", "utf-8")
    with pytest.raises(MetricsError, match=r"^day.csv: missing required column\(s\) error "):
        FilesMetrics(files("day.csv"), tmp_path).rows()


def test_column_mapping_from_settings(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(HEADER.replace("latency_ms", "duration_ms") + GOOD, "utf-8")
    spec = files("m.csv", columns={"latency_ms": "duration_ms"})
    assert FilesMetrics(spec, tmp_path).rows().frame["latency_ms"].tolist() == [120.5]


def test_metrics_override_picks_the_source_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = SettingsSpec.model_validate({"metrics": {"type": "files", "path": "elsewhere"}})
    assert isinstance(source_from_settings(settings, tmp_path, "otel:spans.jsonl"), OtelMetrics)
    over = source_from_settings(settings, tmp_path, "data/*.csv")
    assert isinstance(over, FilesMetrics) and over.spec.path == "data/*.csv"
    prom = source_from_settings(settings, tmp_path, "http://localhost:9090")
    assert prom.description == "prometheus http://localhost:9090"
    with pytest.raises(UserError, match=r"holds aggregates .* not per-request rows"):
        prom.rows()


def test_read_metrics_prices_rows_and_keeps_unknown_models_as_nan(tmp_path: Path) -> None:
    rows = HEADER + GOOD + GOOD.replace("gpt-4o", "in-house-7b") + GOOD.replace("gpt-4o", "ft-1")
    (tmp_path / "m.csv").write_text(rows, encoding="utf-8")
    overrides = {"ft-1": PriceOverride(input_per_mtok=1.0, output_per_mtok=2.0)}
    spec = SettingsSpec(metrics=files("m.csv"), prices=overrides)
    read = read_metrics(source_from_settings(spec, tmp_path))
    cost = dict(zip(read.frame["model"], read.frame["cost_usd"], strict=True))
    assert cost["gpt-4o"] == pytest.approx(100 * 2.5e-6 + 50 * 10e-6)
    assert cost["ft-1"] == pytest.approx(100 * 1e-6 + 50 * 2e-6)
    assert math.isnan(cost["in-house-7b"])
    assert read.pricing.unknown == {"in-house-7b": 1}
    assert read.pricing.warning() == (
        "no price for model(s) in-house-7b (1 rows): their cost is unknown; "
        "add them to spec.prices in autoopt.yaml"
    )


def test_only_bad_rows_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(HEADER + GOOD.replace("120.5", "-1"), encoding="utf-8")
    spec = SettingsSpec.model_validate({"metrics": {"type": "files", "path": "m.csv"}})
    with pytest.raises(
        MetricsError, match=r"no usable rows \(0 accepted, 1 rejected \(bad_latency 1\)\)"
    ):
        read_metrics(source_from_settings(spec, tmp_path))


def test_given_costs_are_kept(tmp_path: Path) -> None:
    data = frame(3)
    data.to_parquet(tmp_path / "m.parquet")
    spec = SettingsSpec.model_validate({"metrics": {"type": "files", "path": "m.parquet"}})
    read = read_metrics(source_from_settings(spec, tmp_path))
    pd.testing.assert_series_equal(read.frame["cost_usd"], data["cost_usd"])
    assert read.pricing.given == 3
