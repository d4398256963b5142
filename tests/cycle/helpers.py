"""A GitOps repository with three services, a bare origin, and a GitHub Actions step around it."""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from autoopt.cli.main import cli
from tests.conftest import QUICKSTART, git
from tests.github.ghserver import OWNER, REPO, TOKEN

NOW = "2026-11-25T12:00:00Z"
SERVICES = ("chat-service", "search-bot", "support-bot")

#: A ``schedule`` event as GitHub sends it (the payload of a scheduled run).
SCHEDULE_EVENT = {
    "schedule": "*/15 * * * *",
    "repository": {
        "id": 1296269,
        "name": REPO,
        "full_name": f"{OWNER}/{REPO}",
        "private": False,
        "owner": {"login": OWNER, "id": 1, "type": "Organization"},
        "default_branch": "main",
    },
    "organization": {"login": OWNER, "id": 1},
    "workflow": ".github/workflows/autoopt.yml",
}


def _add_service(root: Path, name: str) -> None:
    config = (root / "configs" / "chat-service.yaml").read_text(encoding="utf-8")
    (root / "configs" / f"{name}.yaml").write_text(
        config.replace("name: chat-service", f"name: {name}"), encoding="utf-8"
    )
    policy = (root / "policies" / "chat-cost.yaml").read_text(encoding="utf-8")
    policy = policy.replace("name: chat-cost", f"name: {name}-cost")
    policy = policy.replace("service: chat-service", f"service: {name}")
    policy = policy.replace("configs/chat-service.yaml", f"configs/{name}.yaml")
    policy = policy.split("  tests:")[0]  # the cases name chat-service's versions
    (root / "policies" / f"{name}-cost.yaml").write_text(policy, encoding="utf-8")
    rows = (root / "metrics" / "requests.csv").read_text(encoding="utf-8")
    (root / "metrics" / f"{name}.csv").write_text(
        rows.replace(",chat-service,", f",{name},"), encoding="utf-8"
    )


def seed(
    path: Path,
    *,
    services: tuple[str, ...] = SERVICES,
    api_url: str | None = None,
    dashboard: bool = True,
) -> Path:
    shutil.copytree(QUICKSTART, path)
    (path / "metrics" / "generate.py").unlink()
    for name in services:
        if name != "chat-service":
            _add_service(path, name)
    if api_url is not None:
        settings = path / "autoopt.yaml"
        github = f"type: github\n    repository: {OWNER}/{REPO}\n    api_url: {api_url}"
        text = re.sub(r"type: local\b", github, settings.read_text(encoding="utf-8"), count=1)
        settings.write_text(text, encoding="utf-8")
    if not dashboard:
        with (path / "autoopt.yaml").open("a", encoding="utf-8") as out:
            out.write("  bot:\n    dashboard: false\n")
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "Start the GitOps repository")
    return path


def lower_quality(path: Path, version: str, by: float) -> None:
    """Make ``version``'s measured quality ``by`` points worse in every metrics file."""
    for file in sorted((path / "metrics").glob("*.csv")):
        with file.open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        qi, vi = rows[0].index("quality"), rows[0].index("version")
        for row in rows[1:]:
            if row[vi] == version and row[qi]:
                row[qi] = f"{float(row[qi]) - by:.1f}"
        with file.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)


@dataclass
class Bot:
    """A clone of a bare origin, and the files of one Actions step (event, outputs, summary)."""

    origin: Path
    clone: Path
    tmp: Path
    actions: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        event = self.tmp / "event.json"
        event.write_text(json.dumps(SCHEDULE_EVENT), encoding="utf-8")
        base = {"GITHUB_TOKEN": TOKEN}
        if self.actions:
            base |= {
                "GITHUB_ACTIONS": "true",
                "CI": "true",
                "GITHUB_EVENT_NAME": "schedule",
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_OUTPUT": str(self.tmp / "output.txt"),
                "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
                "GITHUB_REPOSITORY": f"{OWNER}/{REPO}",
                "GITHUB_ACTOR": "octocat",
            }
        return base | self.extra_env

    def run(self, *args: str, code: int = 0, now: str = NOW) -> Result:
        argv = [*args, "--repo", str(self.clone)]
        if args and args[0] in ("cycle", "propose", "reconcile", "status", "command"):
            argv += ["--now", now]
        result = CliRunner().invoke(cli, argv, env=self.env(), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    def cycle(self, *extra: str, code: int = 0, now: str = NOW) -> list[dict[str, Any]]:
        out = self.run("cycle", "--format", "json", *extra, code=code, now=now).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def outputs(self) -> dict[str, str]:
        """``$GITHUB_OUTPUT`` parsed as the runner parses it (name<<DELIM … DELIM)."""
        text = (self.tmp / "output.txt").read_text(encoding="utf-8")
        found, lines = {}, iter(text.splitlines())
        for line in lines:
            name, _, delimiter = line.partition("<<")
            value = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            found[name] = "\n".join(value)
        return found

    def push_main(self, message: str = "edit") -> None:
        """Commit what a person changed in a second clone, and push it to origin/main."""
        git(self.tmp / "person", "add", "-A")
        git(self.tmp / "person", "commit", "--quiet", "-m", message)
        git(self.tmp / "person", "push", "--quiet", "origin", "main")

    def person(self) -> Path:
        path = self.tmp / "person"
        if not path.exists():
            git(self.tmp, "clone", "--quiet", str(self.origin), str(path))
        else:
            git(path, "pull", "--quiet", "origin", "main")
        return path


def make_bot(
    tmp: Path,
    *,
    api_url: str | None,
    services: tuple[str, ...] = SERVICES,
    dashboard: bool = True,
) -> Bot:
    source = seed(tmp / "seed", services=services, api_url=api_url, dashboard=dashboard)
    origin = tmp / "origin.git"
    git(tmp, "clone", "--quiet", "--bare", str(source), str(origin))
    clone = tmp / "clone"
    git(tmp, "clone", "--quiet", str(origin), str(clone))
    return Bot(origin, clone, tmp)


def events(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["service"]: e for e in lines if e["event"] == "service"}
