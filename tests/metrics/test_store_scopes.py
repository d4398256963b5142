"""A file source asked about many services in turn (as ``autoopt cycle`` asks) keeps every
service's scoped rows after the first few scopes: the answers are the same as from a fresh
source per service — summaries, row accounting with rejected rows, profiles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from autoopt.metrics.filesource import FilesMetrics
from autoopt.metrics.sources import SummaryRequest
from autoopt.metrics.summary import period_of
from autoopt.spec.models import FilesSource
from tests.reconcile.traffic import Arm, write

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SERVICES = [f"svc-{i}" for i in range(6)]


def _file(tmp: Path) -> Path:
    path = tmp / "m.csv"
    for i, service in enumerate(SERVICES):
        arms = [Arm("v1", 300 + 40 * i), Arm("v2", 200, error=0.05 * i, model="gpt-4o-mini")]
        write(path, service, arms, START, END, seed=i, append=i > 0)
    with path.open("a", encoding="utf-8") as handle:  # bad rows of one service, and of none
        handle.write("2026-11-25T09:00:00Z,svc-3,v1,gpt-4o,-5,200,150,0.001,false,80\n")
        handle.write("not a time,svc-4,v1,gpt-4o,100,200,150,0.001,false,80\n")
        handle.write("2026-11-25T09:00:00Z,,v1,gpt-4o,100,200,150,0.001,false,80\n")
    return path


def _source(path: Path) -> FilesMetrics:
    return FilesMetrics(FilesSource(type="files", path=str(path)), path.parent)


def test_many_scopes_answer_as_fresh_sources_do(tmp_path: Path) -> None:
    path = _file(tmp_path)
    period = period_of(None, None, END)
    shared = _source(path)
    shared.rows()  # the cycle reads every row first
    for service in SERVICES * 2:  # past the first scopes: answered from the kept rows
        (got,) = shared.summaries([SummaryRequest(service, period)])
        (fresh,) = _source(path).summaries([SummaryRequest(service, period)])
        assert got.summaries == fresh.summaries, service
        assert got.rows.as_dict() == fresh.rows.as_dict(), service
        assert shared.profiles(service) == _source(path).profiles(service), service
    assert shared.store._all is not None  # the kept table was used
    (three,) = shared.summaries([SummaryRequest("svc-3", period)])
    assert three.rows.rejected >= 1
