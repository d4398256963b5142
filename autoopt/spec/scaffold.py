"""The annotated starter repository written by ``autoopt init`` (and used by the demo).

The files are the quickstart example's, shipped inside the package, with the service, policy
and model names substituted — so the annotated example and what ``init`` writes never drift.

``init`` never overwrites a file without ``--force``. Run in a repository that already has a
valid ``autoopt.yaml`` it adds a service: the new policy and config only, in the folders those
settings name, and the settings file is kept as it is.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from autoopt.errors import UserError
from autoopt.spec.files import write_atomic
from autoopt.spec.load import load_string
from autoopt.spec.models import Settings

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SETTINGS = "autoopt.yaml"
_LOCAL_FORGE = "    type: local               # local (kept inside .git, no network) | github\n"
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
    repository: str | None = None  # OWNER/NAME: the settings point the forge at GitHub

    @property
    def policy_name(self) -> str:
        return self.policy or f"{self.service.removesuffix('-service')}-cost"

    def files(self, *, config_dir: str = "configs", policy_dir: str = "policies") -> dict[str, str]:
        """Relative path → text of every file ``init`` writes (settings, config, policy)."""
        root = quickstart_root()
        for name in (self.service, self.policy_name):
            if not _NAME.match(name):
                raise UserError(f"{name!r} is not a valid name (lowercase letters, digits, . _ -)")
        config_rel = f"{config_dir}/{self.service}.yaml"
        swaps = [("chat-service", self.service), ("chat-cost", self.policy_name)]
        out = {}
        for rel, target in (
            (SETTINGS, SETTINGS),
            ("configs/chat-service.yaml", config_rel),
            ("policies/chat-cost.yaml", f"{policy_dir}/{self.policy_name}.yaml"),
        ):
            text = (root / rel).read_text()
            for old, new in swaps:
                text = text.replace(old, new)
            text = text.replace(f"configs/{self.service}.yaml", config_rel)
            if rel.startswith("configs/"):
                text = text.replace("model: gpt-4o\n", f"model: {_scalar(self.model)}\n", 1)
            if rel.startswith("policies/"):
                text = starter_policy(text, self.model)
            if rel == SETTINGS:
                text = self._settings(text)
            load_string(text, path=Path(target), display=target)  # what we write must be valid
            out[target] = text
        return out

    def _settings(self, text: str) -> str:
        text = text.replace("name: quickstart", f"name: {self.service}-configs")
        if self.repository is None:
            return text
        github = (
            "    type: github              # local (kept inside .git, no network) | github\n"
            f"    repository: {self.repository:<17}# OWNER/NAME on GitHub\n"
            "    token_env: GITHUB_TOKEN   # the variable holding the token (never the token)\n"
        )
        if _LOCAL_FORGE not in text:
            raise AssertionError("the quickstart settings no longer name the local forge")
        return text.replace(_LOCAL_FORGE, github, 1)


@dataclass(frozen=True)
class InitResult:
    written: tuple[str, ...]  # relative paths, sorted
    kept: tuple[str, ...] = ()  # the existing settings, left as they are
    unchanged: tuple[str, ...] = ()  # ``extra`` files already exactly as they would be written
    settings: Settings | None = field(default=None, compare=False)  # the kept settings, if any


def _existing_settings(root: Path) -> Settings | None:
    """The valid settings already at ``root`` (None when there is no ``autoopt.yaml``)."""
    path = root / SETTINGS
    if not path.exists():
        return None
    try:
        document = load_string(path.read_text(encoding="utf-8"), path=path, kind="Settings")
    except (UserError, UnicodeDecodeError, OSError):
        raise UserError(
            f"{root}: would overwrite {SETTINGS}, which is not a valid Settings document "
            "(use --force)"
        ) from None
    assert isinstance(document.document, Settings)
    return document.document


def write_scaffold(
    root: Path,
    scaffold: Scaffold,
    *,
    force: bool = False,
    extra: Mapping[str, str] | None = None,
) -> InitResult:
    """Write the starter files (and ``extra``: relative path → text) under ``root``.

    Refuses to overwrite a file unless ``force``; an ``extra`` file that is already exactly
    as it would be written is kept. Without ``force``, a valid ``autoopt.yaml`` is kept and
    the service is added in the folders it names.
    """
    settings = None if force else _existing_settings(root)
    if settings is None:
        files = scaffold.files()
    else:
        defaults = settings.spec.defaults
        files = scaffold.files(config_dir=defaults.config_dir, policy_dir=defaults.policy_dir)
        del files[SETTINGS]
    unchanged = []
    for rel, text in (extra or {}).items():
        path = root / rel
        if not force and path.is_file() and path.read_text(encoding="utf-8") == text:
            unchanged.append(rel)
        else:
            files[rel] = text
    existing = sorted(rel for rel in files if (root / rel).exists())
    if existing and not force:
        raise UserError(f"{root}: would overwrite {', '.join(existing)} (use --force)")
    for rel, text in files.items():
        write_atomic(root / rel, text)
    kept = (SETTINGS,) if settings is not None else ()
    return InitResult(tuple(sorted(files)), kept, tuple(sorted(unchanged)), settings)
