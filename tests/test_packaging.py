"""A normal (non-editable) wheel carries both packages, the policy library and templates."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_policies_and_loads_presets_from_the_installed_package(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = out.glob("autoopt-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "autoopt/_policies/strategies/balanced.yaml" in names
    assert "simulator/__init__.py" in names
    assert "autoopt/cli/main.py" in names
    assert "autoopt/_quickstart/policies/chat-cost.yaml" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import autoopt, sys; from autoopt.spec import presets\n"
        "assert autoopt.__file__.startswith(sys.argv[1]), autoopt.__file__\n"
        "print(sorted(presets()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['aggressive', 'balanced', 'conservative']"
