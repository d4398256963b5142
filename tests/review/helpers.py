"""A GitOps repository on a bare origin, a reviewer's clone that pushes pull-request branches,
and the CI checkout that runs ``autoopt review`` (in process, through the CLI's choke point)."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autoopt.cli.main import main
from tests.conftest import QUICKSTART, git

NOW = "2026-11-25T12:00:00Z"
CONFIG = "configs/chat-service.yaml"
POLICY = "policies/chat-cost.yaml"


def lower_quality(root: Path, model: str, by: float) -> None:
    """Make every measured quality of ``model`` ``by`` points worse in the metrics."""
    path = root / "metrics" / "requests.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    qi, mi = rows[0].index("quality"), rows[0].index("model")
    for row in rows[1:]:
        if row[mi] == model and row[qi]:
            row[qi] = f"{float(row[qi]) - by:.1f}"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)


@dataclass
class Repos:
    """``origin.git``, the CI checkout ``ci`` and a reviewer's clone ``person``."""

    tmp: Path
    origin: Path
    ci: Path
    person: Path
    env: dict[str, str] = field(default_factory=dict)

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.person / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, (relpath, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def push(self, branch: str, message: str, *, start: str = "main") -> str:
        """Commit the edits on ``branch`` (from ``start``) and push it; returns the sha."""
        git(self.person, "checkout", "--quiet", "-B", branch, f"origin/{start}")
        return self.commit_push(branch, message)

    def commit_push(self, branch: str, message: str) -> str:
        git(self.person, "add", "-A")
        git(self.person, "commit", "--quiet", "-m", message)
        git(self.person, "push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
        git(self.ci, "fetch", "--quiet", "origin")
        return git(self.person, "rev-parse", "HEAD").strip()

    def push_main(self, message: str) -> None:
        """A change straight to main (what the bot's rollout commits do)."""
        git(self.person, "checkout", "--quiet", "-B", "main", "origin/main")
        git(self.person, "add", "-A")
        git(self.person, "commit", "--quiet", "-m", message)
        git(self.person, "push", "--quiet", "origin", "main")
        git(self.ci, "pull", "--quiet", "origin", "main")

    def review(
        self,
        capsys: pytest.CaptureFixture[str],
        head: str,
        *extra: str,
        base: str = "origin/main",
        code: int = 0,
    ) -> tuple[str, str]:
        argv = ["review", "--repo", str(self.ci), "--now", NOW, *extra]
        if base:
            argv += ["--base", base]
        if head:
            argv += ["--head", head]
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            with pytest.raises(SystemExit) as done:
                main(argv)
        out, err = capsys.readouterr()
        assert done.value.code == code, out + err
        return out, err

    def review_json(
        self, capsys: pytest.CaptureFixture[str], head: str, *, code: int = 0
    ) -> dict[str, Any]:
        out, _ = self.review(capsys, head, "--format", "json", code=code)
        data: dict[str, Any] = json.loads(out)
        return data


def make_repos(tmp: Path, *, api_url: str | None = None) -> Repos:
    seed = tmp / "seed"
    shutil.copytree(QUICKSTART, seed)
    (seed / "metrics" / "generate.py").unlink()
    if api_url is not None:
        settings = seed / "autoopt.yaml"
        github = f"type: github\n    repository: acme/llm-configs\n    api_url: {api_url}"
        text = settings.read_text(encoding="utf-8").replace("type: local", github, 1)
        settings.write_text(text, encoding="utf-8")
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "Start the GitOps repository")
    origin = tmp / "origin.git"
    git(tmp, "clone", "--quiet", "--bare", str(seed), str(origin))
    ci, person = tmp / "ci", tmp / "person"
    git(tmp, "clone", "--quiet", str(origin), str(ci))
    git(tmp, "clone", "--quiet", str(origin), str(person))
    return Repos(tmp, origin, ci, person)
