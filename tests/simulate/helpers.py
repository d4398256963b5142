"""Shared bits of the simulate tests: the data files and running the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoopt.cli.main import main

DATA = Path(__file__).parent / "data"
TWO_MODELS = DATA / "two-models.yaml"
BROKEN = DATA / "broken.yaml"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``autoopt ARGS`` through the real entry point (choke point included)."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err
