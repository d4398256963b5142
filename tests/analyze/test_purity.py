"""analyze is pure: no clock, no files, no global randomness (the import contracts in
pyproject.toml keep I/O libraries out; this keeps out what they cannot see)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "autoopt" / "analyze"
BANNED_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "open", "print"}
BANNED_MODULES = {"random", "time", "os", "pathlib", "io", "logging"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in BANNED_CALLS:
                found.append(f"{path.name}:{node.lineno}: calls {name}()")
        if isinstance(node, ast.Attribute) and node.attr == "random":
            found.append(f"{path.name}:{node.lineno}: uses a global random state (.random)")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            found += [
                f"{path.name}:{node.lineno}: imports {n}"
                for n in names
                if n.split(".")[0] in BANNED_MODULES
            ]
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_clock_no_files_no_global_rng(path: Path) -> None:
    assert _problems(path) == []


def test_the_check_would_catch_a_clock(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import time\nfrom datetime import datetime\nx = datetime.now()\n", encoding="utf-8"
    )
    assert _problems(bad) == ["bad.py:1: imports time", "bad.py:3: calls now()"]
