"""The annotated starter repository written by ``autoopt init`` (and used by the demo).

The files are the quickstart example's, shipped inside the package, with the service, policy
and model names substituted — so the annotated example and what ``init`` writes never drift.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from autoopt.errors import UserError
from autoopt.spec.files import write_atomic
from autoopt.spec.load import load_string

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def quickstart_root() -> Traversable:
    packaged = importlib.resources.files("autoopt") / "_quickstart"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@dataclass(frozen=True)
class Scaffold:
    service: str = "chat-service"
    model: str = "gpt-4o"
    policy: str | None = None

    @property
    def policy_name(self) -> str:
        return self.policy or f"{self.service.removesuffix('-service')}-cost"

    def files(self) -> dict[str, str]:
        """Relative path → text of every file ``init`` writes."""
        root = quickstart_root()
        for name in (self.service, self.policy_name):
            if not _NAME.match(name):
                raise UserError(f"{name!r} is not a valid name (lowercase letters, digits, . _ -)")
        swaps = [("chat-service", self.service), ("chat-cost", self.policy_name)]
        out = {}
        for rel, target in (
            ("autoopt.yaml", "autoopt.yaml"),
            ("configs/chat-service.yaml", f"configs/{self.service}.yaml"),
            ("policies/chat-cost.yaml", f"policies/{self.policy_name}.yaml"),
        ):
            text = (root / rel).read_text()
            for old, new in swaps:
                text = text.replace(old, new)
            if rel.startswith("configs/"):
                text = text.replace("model: gpt-4o\n", f"model: {self.model}\n", 1)
            if rel == "autoopt.yaml":
                text = text.replace("name: quickstart", f"name: {self.service}-configs")
            load_string(text, path=Path(target), display=target)  # what we write must be valid
            out[target] = text
        return out


def write_scaffold(root: Path, scaffold: Scaffold, *, force: bool = False) -> list[str]:
    """Write the starter files under ``root``; refuse to overwrite unless ``force``."""
    files = scaffold.files()
    existing = sorted(rel for rel in files if (root / rel).exists())
    if existing and not force:
        raise UserError(f"{root}: would overwrite {', '.join(existing)} (use --force)")
    for rel, text in files.items():
        write_atomic(root / rel, text)
    return sorted(files)
