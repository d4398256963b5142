"""The Python example in docs/decide.md runs and prints what it says."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "decide.md"


def test_python_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    example = [b for b in blocks if "decision = choose(" in b]
    assert len(example) == 1
    script = tmp_path / "example.py"
    script.write_text(example[0])
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out
    comment = example[0].split("print(decision.proposal.rationale[0])\n", 1)[1]
    promised = " ".join(line.removeprefix("# ") for line in comment.strip().splitlines())
    assert printed == promised + "\n"
