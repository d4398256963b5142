"""The annotated starter repository written by ``autoopt init`` (and used by the demo).

The files are the quickstart example's, shipped inside the package, with the service, policy
and model names substituted — so the annotated example and what ``init`` writes never drift.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from autoopt.errors import UserError
from autoopt.spec.files import write_atomic
from autoopt.spec.load import load_string

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9._/@+-]*$")
#: The quickstart's search space; the starter's tests switch to one of the cheaper ones.
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-haiku")


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when that reads back as the same string."""
    plain = _PLAIN.match(text) and text.lower() not in {"null", "true", "false", "yes", "no"}
    return text if plain else json.dumps(text)


def starter_policy(text: str, model: str) -> str:
    """The quickstart policy for a service that runs ``model`` today: ``model`` first in the
    search space, and test cases that switch to a model other than ``model`` (a case whose
    "new" model is the current one has nothing to compare and would fail)."""
    if model == MODELS[0]:
        return text
    others = [m for m in MODELS if m != model]
    space = ", ".join(_scalar(m) for m in [model, *others])
    text = text.replace(f"model: [{', '.join(MODELS)}]", f"model: [{space}]", 1)
    cheaper = next(m for m in ("gpt-4o-mini", "claude-3-5-haiku") if m != model)
    floor = next(m for m in ("claude-3-5-haiku", "gpt-4o-mini") if m != model)
    text = text.replace("{model: claude-3-5-haiku}", "{model: @floor@}")
    text = text.replace("{model: gpt-4o-mini}", f"{{model: {_scalar(cheaper)}}}")
    return text.replace("{model: @floor@}", f"{{model: {_scalar(floor)}}}")


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
                text = text.replace("model: gpt-4o\n", f"model: {_scalar(self.model)}\n", 1)
            if rel.startswith("policies/"):
                text = starter_policy(text, self.model)
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
