"""Load a whole GitOps repository and check what no single document can check alone."""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autoopt.errors import Location, Problem, SpecError, shorten
from autoopt.spec.load import Loaded, decode, load_document, load_string
from autoopt.spec.models import LLMConfig, Policy, Settings, Strategy, StrategyOverride

SETTINGS_FILE = "autoopt.yaml"
YAML_SUFFIXES = (".yaml", ".yml")


def library_root() -> Traversable:
    """The shipped policy library: inside the wheel, or ``policies/`` in a source checkout."""
    packaged = importlib.resources.files("autoopt") / "_policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "policies"


def presets() -> dict[str, Strategy]:
    """The strategy presets shipped with autoopt, by name (a new dict on every call)."""
    return dict(_presets())


@functools.cache
def _presets() -> dict[str, Strategy]:
    """Parsed once per process: the shipped files do not change while it runs."""
    found: dict[str, Strategy] = {}
    folder = library_root() / "strategies"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(YAML_SUFFIXES):
            display = f"<autoopt>/policies/strategies/{entry.name}"
            text = decode(entry.read_bytes(), display)
            loaded = load_string(text, path=Path(entry.name), kind="Strategy", display=display)
            found[loaded.document.metadata.name] = loaded.document
    return found


def resolve_strategy(ref: str | StrategyOverride, strategies: dict[str, Strategy]) -> Strategy:
    """The strategy a policy asks for, with its overrides merged; ``KeyError`` if unknown."""
    if isinstance(ref, str):
        return strategies[ref]
    base = strategies[ref.extends]
    data: dict[str, Any] = base.model_dump(mode="json")
    for section in ("thresholds", "rollout", "triggers", "judge"):
        override = getattr(ref, section)
        if override is not None:
            data["spec"][section].update(override.model_dump(mode="json", exclude_none=True))
    data["metadata"]["name"] = f"{ref.extends}.custom"
    return Strategy.model_validate(data)


@dataclass
class Repository:
    """Every document of a repository, validated, plus warnings that are not errors."""

    root: Path
    settings: Settings
    settings_file: Loaded[Settings] | None
    policies: dict[str, Loaded[Policy]] = field(default_factory=dict)
    configs: dict[str, Loaded[LLMConfig]] = field(default_factory=dict)
    strategies: dict[str, Strategy] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    broken: set[Path] = field(default_factory=set)  # files that failed to load

    def strategy_for(self, policy: Policy) -> Strategy:
        return resolve_strategy(policy.spec.strategy, self.strategies)

    def policy(self, name_or_path: str) -> Loaded[Policy]:
        """A policy by ``metadata.name`` or by path relative to the repository."""
        if name_or_path in self.policies:
            return self.policies[name_or_path]
        wanted = (self.root / name_or_path).resolve()
        for loaded in self.policies.values():
            if loaded.path.resolve() == wanted:
                return loaded
        known = ", ".join(sorted(self.policies)) or "none"
        raise SpecError([Problem(Location(name_or_path), "", f"no such policy (known: {known})")])

    def config_for(self, policy: Policy) -> Loaded[LLMConfig]:
        return self.configs[policy.spec.target.service]


def _yaml_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in YAML_SUFFIXES:
                yield path


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _collect(
    paths: Iterable[Path], root: Path, problems: list[Problem], broken: set[Path] | None = None
) -> list[Loaded[Any]]:
    loaded = []
    for path in paths:
        try:
            loaded.append(load_document(path, display=_rel(root, path)))
        except SpecError as exc:
            problems.extend(exc.problems)
            if broken is not None:
                broken.add(path.resolve())
    return loaded


def inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` if it stays inside ``root`` after resolving symlinks, else None
    (also for a path the system cannot resolve: a symlink loop, a name too long)."""
    if Path(relative).is_absolute() or relative.startswith("~"):
        return None
    try:
        candidate = (root / relative).resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return None
    return candidate


_MAGIC = ("*", "?", "[")


def _glob_base(path: str) -> str | None:
    """The part of a (glob) path before its first wildcard; None when a ``..`` follows it."""
    parts = Path(path).parts
    for index, part in enumerate(parts):
        if any(m in part for m in _MAGIC):
            if ".." in parts[index:]:
                return None
            return str(Path(*parts[:index])) if index else "."
    return path


def named_paths(settings: Settings) -> list[tuple[tuple[str, ...], str]]:
    """Every folder or file the settings name, by the fields that name them."""
    spec = settings.spec
    found: list[tuple[tuple[str, ...], str]] = [
        (("spec", "defaults", "policy_dir"), spec.defaults.policy_dir),
        (("spec", "defaults", "config_dir"), spec.defaults.config_dir),
    ]
    if spec.metrics.type in ("files", "otel"):
        found.append((("spec", "metrics", "path"), spec.metrics.path))
    return found


def _outside_settings(root: Path, loaded: Loaded[Settings] | None) -> list[Problem]:
    if loaded is None:
        return []
    problems = []
    for parts, value in named_paths(loaded.document):
        base = _glob_base(value)
        if base is None or inside(root, base) is None:
            hint = " (give --metrics SRC for a source elsewhere)" if "metrics" in parts else ""
            problems.append(
                Problem(
                    loaded.where(*parts),
                    ".".join(parts),
                    f"{shorten(value)!r} is outside the repository{hint}",
                )
            )
    return problems


def _outside_files(root: Path, files: list[Path]) -> tuple[list[Path], list[Problem]]:
    """The files that resolve inside ``root``, and a problem for each that does not."""
    kept, problems = [], []
    for path in files:
        if inside(root, str(path.relative_to(root))) is None:
            problems.append(
                Problem(
                    Location(_rel(root, path), 1, 1),
                    "",
                    "is a symlink to outside the repository; autoopt reads only files inside it",
                )
            )
        else:
            kept.append(path)
    return kept, problems


def default_settings(root: Path) -> Settings:
    """The settings of a repository without ``autoopt.yaml``."""
    return Settings.model_validate(
        {"apiVersion": "autoopt/v1", "kind": "Settings", "metadata": {"name": root.name or "repo"}}
    )


def document_files(root: Path, settings: Settings) -> list[Path]:
    """The policy and config files of a repository (its settings name the folders); a folder
    outside the repository is not read."""
    defaults = settings.spec.defaults
    files: list[Path] = []
    for folder in (defaults.policy_dir, defaults.config_dir):
        if inside(root, folder) is not None:
            files.extend(p for p in _yaml_files(root / folder) if p not in files)
    return files


def count_documents(root: Path) -> int:
    """How many documents ``load_repository(root)`` reads, even when some are invalid."""
    settings_path = root / SETTINGS_FILE
    try:
        loaded = load_document(settings_path, kind="Settings") if settings_path.is_file() else None
    except SpecError:
        loaded = None
    settings = loaded.document if loaded is not None else default_settings(root)
    return int(settings_path.is_file()) + len(document_files(root, settings))


def load_repository(root: str | Path, extra: Iterable[Path] = ()) -> Repository:
    """Load ``autoopt.yaml``, ``policies/**`` and ``configs/**`` under ``root``.

    Raises :class:`SpecError` with every problem of every file.
    """
    base = Path(root)
    problems: list[Problem] = []
    settings_file: Loaded[Settings] | None = None
    settings_path = base / SETTINGS_FILE
    if settings_path.exists():
        found = _collect([settings_path], base, problems)
        settings_file = found[0] if found else None
    settings = settings_file.document if settings_file else default_settings(base)
    problems.extend(_outside_settings(base, settings_file))
    files, outside = _outside_files(base, document_files(base, settings))
    problems.extend(outside)
    files += [p for p in extra if p not in files]
    if not files and not settings_path.exists():
        raise SpecError([_nothing_here(base, settings)])
    repo = Repository(root=base, settings=settings, settings_file=settings_file)
    docs = _collect(files, base, problems, repo.broken)
    repo.strategies = dict(presets())
    _sort(repo, docs, problems)
    _cross_check(repo, problems)
    if [p for p in problems if p.severity == "error"]:
        raise SpecError(problems)
    repo.warnings.extend(problems)
    return repo


def _nothing_here(root: Path, settings: Settings) -> Problem:
    defaults = settings.spec.defaults
    return Problem(
        Location(str(root.resolve())),
        "",
        f"not an autoopt repository: no {SETTINGS_FILE}, and no YAML files under "
        f"{defaults.policy_dir}/ or {defaults.config_dir}/ (run `autoopt init`, or give --repo)",
    )


def _sort(repo: Repository, docs: list[Loaded[Any]], problems: list[Problem]) -> None:
    for loaded in docs:
        doc = loaded.document
        name = doc.metadata.name
        if isinstance(doc, Settings):
            problems.append(
                Problem(loaded.where("kind"), "kind", "Settings belongs in autoopt.yaml")
            )
            continue
        table: dict[str, Any] = {  # type: ignore[assignment]
            "Policy": repo.policies,
            "LLMConfig": repo.configs,
            "Strategy": repo.strategies,
        }[doc.kind]
        previous = table.get(name)
        if isinstance(previous, Loaded):
            problems.append(
                Problem(
                    loaded.where("metadata", "name"),
                    "metadata.name",
                    f"duplicate {doc.kind} name {name!r} (also in {previous.display})",
                )
            )
            continue
        table[name] = doc if isinstance(doc, Strategy) else loaded


def _cross_check(repo: Repository, problems: list[Problem]) -> None:
    by_path = {c.path.resolve(): c for c in repo.configs.values()}  # one pass, not one per policy
    for loaded in repo.policies.values():
        _check_policy(repo, loaded, problems, by_path)
    for config in repo.configs.values():
        canary = config.document.spec.canary
        if canary is not None and canary.policy is not None and canary.policy not in repo.policies:
            problems.append(
                Problem(
                    config.where("spec", "canary", "policy"),
                    "spec.canary.policy",
                    f"no policy named {canary.policy!r} in this repository",
                    "warning",
                )
            )


def _check_policy(
    repo: Repository,
    loaded: Loaded[Policy],
    problems: list[Problem],
    by_path: dict[Path, Loaded[LLMConfig]],
) -> None:
    spec = loaded.document.spec
    target = spec.target
    where = loaded.where("spec", "target", "config")
    path = inside(repo.root, target.config)
    if path is None:
        problems.append(
            Problem(where, "spec.target.config", f"{target.config!r} is outside the repository")
        )
    elif not path.is_file():
        problems.append(Problem(where, "spec.target.config", f"{target.config!r} does not exist"))
    elif path not in repo.broken:  # a broken config already reported its own problems
        config = by_path.get(path)
        if config is None:
            problems.append(
                Problem(
                    where,
                    "spec.target.config",
                    f"{target.config!r} is not an LLMConfig under "
                    f"{repo.settings.spec.defaults.config_dir}/",
                )
            )
        elif config.document.metadata.name != target.service:
            problems.append(
                Problem(
                    loaded.where("spec", "target", "service"),
                    "spec.target.service",
                    f"service {target.service!r} does not match {config.display} "
                    f"(metadata.name is {config.document.metadata.name!r})",
                )
            )
    _check_strategy(repo, loaded, problems)
    if not spec.tests:
        problems.append(
            Problem(
                loaded.where("spec"),
                "spec.tests",
                "policy has no tests (see `autoopt test`)",
                "warning",
            )
        )


def _check_strategy(repo: Repository, loaded: Loaded[Policy], problems: list[Problem]) -> None:
    ref = loaded.document.spec.strategy
    name = ref if isinstance(ref, str) else ref.extends
    parts: tuple[str, ...] = (
        ("spec", "strategy") if isinstance(ref, str) else ("spec", "strategy", "extends")
    )
    if name not in repo.strategies:
        known = ", ".join(sorted(repo.strategies))
        problems.append(
            Problem(
                loaded.where(*parts), ".".join(parts), f"unknown strategy {name!r} (known: {known})"
            )
        )
        return
    try:
        resolve_strategy(ref, repo.strategies)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(
                Problem(
                    loaded.where("spec", "strategy"), "spec.strategy", f"after overrides: {message}"
                )
            )
