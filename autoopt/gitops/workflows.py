"""The GitHub Actions files autoopt ships: the cycle and review workflows and the composite
action.

They are package data (``autoopt/templates/github/``); :func:`workflow_templates` returns them
ready to write into a user's repository (``autoopt init --github``), keyed by the path they go
to, with the workflow pinned to the autoopt version that wrote it.
"""

from __future__ import annotations

import re
from importlib.resources import files

from autoopt import __version__

#: where each file goes in the user's repository → its name under ``autoopt/templates/github``
TEMPLATES = {
    ".github/workflows/autoopt.yml": "autoopt.yml",
    ".github/workflows/autoopt-command.yml": "autoopt-command.yml",
    ".github/workflows/autoopt-review.yml": "review.yml",
    ".github/actions/autoopt/action.yml": "action.yml",
}
VERSION_PLACEHOLDER = "@AUTOOPT_VERSION@"

_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def github_repository(url: str) -> str | None:
    """``OWNER/NAME`` of a github.com remote URL (https, scp-like or ssh), else None."""
    match = _GITHUB_REMOTE.match(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


def workflow_templates(version: str = __version__) -> dict[str, str]:
    """Repository-relative path → file text, for every GitHub Actions file autoopt ships."""
    folder = files("autoopt").joinpath("templates", "github")
    found = {}
    for target, name in TEMPLATES.items():
        text = folder.joinpath(name).read_text(encoding="utf-8")
        found[target] = text.replace(VERSION_PLACEHOLDER, version)
    return found
