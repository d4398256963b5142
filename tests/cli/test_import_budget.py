"""Which heavy libraries each command imports, pinned (issue 14 item 4).

Start-up time is mostly imports: scipy.stats alone took a second. Each command runs here in a
fresh interpreter on the quickstart repository, as a user runs it, and the heavy libraries
left in ``sys.modules`` afterwards must be exactly the ones the command needs. A new import
on a command's path fails this test: import it inside the function that needs it, or, when
the command really needs it, add it here and say why. Speed itself is measured by
tests/benchmarks/bench_startup.py, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HEAVY = (
    "duckdb",
    "genai_prices",
    "git",
    "jinja2",
    "numpy",
    "pandas",
    "pyarrow",
    "pymoo",
    "requests",
    "rich",
    "scipy",
    "simpy",
)
RUN = """
import json, sys
from autoopt.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = %r
sys.stderr.write("\\nIMPORTED " + json.dumps([m for m in heavy if m in sys.modules]) + "\\n")
sys.exit(code)
"""

# command → (arguments, the heavy libraries it needs, why)
BUDGET = {
    "help": (["--help"], set(), "click only"),
    "validate": (["validate"], {"genai_prices"}, "a searched model the catalog does not know"),
    "status": (["status"], {"git"}, "rollout state and pauses come from the git history"),
    "evaluate-json": (
        ["evaluate", "--policy", "chat-cost", "--format", "json"],
        {"duckdb", "pyarrow", "numpy", "genai_prices", "git", "pymoo"},
        "DuckDB over the CSV (pyarrow reads it), prices, config history, Pareto ranks",
    ),
    "evaluate": (
        ["evaluate", "--policy", "chat-cost"],
        {"duckdb", "pyarrow", "numpy", "genai_prices", "git", "pymoo", "rich"},
        "as with json, and rich draws the table",
    ),
    "propose-dry-run": (
        ["propose", "--policy", "chat-cost", "--dry-run"],
        {"duckdb", "pyarrow", "numpy", "genai_prices", "git", "pymoo", "jinja2"},
        "as evaluate, and jinja2 renders the pull-request body",
    ),
}


@pytest.mark.parametrize("command", sorted(BUDGET))
def test_command_imports_only_what_it_needs(command: str, local_repo: Path) -> None:
    args, needed, why = BUDGET[command]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUTOOPT_NOW": "2026-11-25T00:00:00Z",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN % (HEAVY,), *args],
        cwd=local_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stderr.rsplit("IMPORTED ", 1)[1].splitlines()[0]
    assert set(json.loads(line)) == needed, why
