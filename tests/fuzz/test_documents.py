"""Fuzzed documents never crash or hang `autoopt validate`, and every problem is located.

The bounded run here (``AUTOOPT_FUZZ_DOCUMENTS`` examples, 200 by default, derandomised so CI
is reproducible) takes a few seconds; the on-demand long run is
``python tests/fuzz/run_documents.py --examples 10000`` (README, Development).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz.documents import (
    SLOW_SECONDS,
    WORST,
    ByteEdit,
    Mutation,
    edits,
    unlocated_lines,
    validate_in_process,
    write_repo,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("AUTOOPT_FUZZ_DOCUMENTS", "200"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each example's repository is written; one pristine run first pays the imports,
    so the time limit measures the document, not the start-up."""
    repo = tmp_path_factory.mktemp("fuzz") / "repo"
    write_repo(repo, [])
    assert validate_in_process(repo).verdict == "ok"
    return repo


@pytest.mark.timeout(1800)  # ~15 s alone; a machine shared by many runs can make it 20x slower
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking 500 KB payloads takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(changes=edits())
def test_fuzzed_documents_are_reported_not_crashed(
    scratch: Path, changes: list[Mutation | ByteEdit]
) -> None:
    write_repo(scratch, changes)
    outcome = validate_in_process(scratch)
    assert outcome.code in (0, 1), outcome.output[-2000:]
    assert outcome.seconds < 3 * SLOW_SECONDS, outcome.seconds  # slack for a loaded machine
    assert outcome.unlocated == (), outcome.output[-2000:]


@pytest.mark.parametrize("name", list(WORST))
def test_hostile_values_as_a_whole_process(tmp_path: Path, name: str) -> None:
    """The worst payloads in a separate process, with a timeout: a hang cannot hide here."""
    repo = tmp_path / "repo"
    write_repo(repo, [Mutation(file=2, kind="value", line=12, payload=WORST[name])])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "autoopt", "validate", "--repo", str(repo)],
        capture_output=True,
        text=True,
        timeout=SLOW_SECONDS * 3,
        env=env,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert unlocated_lines(done.stdout + done.stderr) == ()
    assert len(done.stdout) < 2000  # a 500 KB value is named, not repeated


def test_the_classifier_notices_unlocated_lines() -> None:
    assert unlocated_lines("configs/x.yaml: file not found\nok: 3 file(s) valid\n") == (
        "configs/x.yaml: file not found",
    )
    assert unlocated_lines("configs/x.yaml:3:1: spec: bad\n1 file(s) checked: 1 error(s)") == ()
