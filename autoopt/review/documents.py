"""The documents of one ref: loaded and validated as ``autoopt validate`` checks them, and the
fields that differ between two versions of a document, located at the head."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoopt.errors import Problem, SpecError
from autoopt.review.model import FieldChange
from autoopt.spec.load import Loaded
from autoopt.spec.repository import SETTINGS_FILE, YAML_SUFFIXES, Repository, load_repository

DEFAULT_DIRS = ("policies", "configs")


@dataclass(frozen=True)
class Snapshot:
    """One ref's documents: the repository when it is valid, and every problem found."""

    root: Path
    repo: Repository | None
    problems: tuple[Problem, ...]

    def dirs(self) -> tuple[str, str]:
        if self.repo is None:
            return DEFAULT_DIRS
        defaults = self.repo.settings.spec.defaults
        return defaults.policy_dir, defaults.config_dir

    def config_at(self, path: str) -> Loaded[Any] | None:
        return _by_display(self.repo.configs.values() if self.repo else (), path)

    def policy_at(self, path: str) -> Loaded[Any] | None:
        return _by_display(self.repo.policies.values() if self.repo else (), path)

    def policy_for(self, service: str) -> Loaded[Any] | None:
        if self.repo is None:
            return None
        found = [p for _, p in sorted(self.repo.policies.items())]
        return next((p for p in found if p.document.spec.target.service == service), None)


def _by_display(items: Any, path: str) -> Loaded[Any] | None:
    return next((item for item in items if Path(item.display).as_posix() == path), None)


def snapshot(root: Path) -> Snapshot:
    """Load ``root`` as ``validate`` does: every error, the warnings, rule conditions and
    search-space models no config runs and the price catalog does not know."""
    from autoopt.decide.rules import rule_problems
    from autoopt.metrics.pricing import price_for
    from autoopt.spec.search import unknown_models

    try:
        repo = load_repository(root, extra=())
    except SpecError as exc:
        return Snapshot(root, None, tuple(exc.problems))
    problems = list(repo.warnings)
    prices = repo.settings.spec.prices
    problems += unknown_models(repo, lambda model: price_for(model, overrides=prices) is not None)
    for _name, policy in sorted(repo.policies.items()):
        problems += rule_problems(policy)
    return Snapshot(root, repo, tuple(problems))


def reviewed(path: str, dirs: tuple[str, ...]) -> bool:
    """``autoopt.yaml`` and the YAML files under the policy and config folders."""
    if path == SETTINGS_FILE:
        return True
    if not path.endswith(YAML_SUFFIXES):
        return False
    return any(path.startswith(f"{d.strip('/')}/") for d in dirs if d not in ("", "."))


def field_changes(old: Loaded[Any] | None, new: Loaded[Any] | None) -> tuple[FieldChange, ...]:
    """Every leaf field whose value differs (lists compare whole), located at the head when
    it is there (else at its nearest parent there, or the base's location for a deletion)."""
    before = dict(_leaves(_data(old)))
    after = dict(_leaves(_data(new)))
    found = []
    for parts in sorted(set(before) | set(after), key=lambda p: _order(p, after, before)):
        if before.get(parts, _ABSENT) == after.get(parts, _ABSENT):
            continue
        where = new if new is not None else old
        assert where is not None
        found.append(
            FieldChange(
                ".".join(str(p) for p in parts),
                where.where(*parts),
                _shown(before.get(parts, _ABSENT)),
                _shown(after.get(parts, _ABSENT)),
            )
        )
    return tuple(found)


_ABSENT = object()


def _shown(value: Any) -> Any:
    return None if value is _ABSENT else value


def _data(loaded: Loaded[Any] | None) -> Mapping[str, Any]:
    if loaded is None:
        return {}
    data: Mapping[str, Any] = loaded.document.model_dump(mode="json", exclude_unset=True)
    return data


def _leaves(
    data: Any, prefix: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Leaf values by path; list items by index (an item added or removed is one change)."""
    if isinstance(data, Mapping) and data:
        for key, value in data.items():
            yield from _leaves(value, (*prefix, str(key)))
    elif isinstance(data, list) and data:
        for index, value in enumerate(data):
            yield from _leaves(value, (*prefix, index))
    else:
        yield prefix, data


def _order(
    parts: tuple[str | int, ...], *docs: dict[tuple[str | int, ...], Any]
) -> tuple[int, int]:
    """Document order (the head's, then the base's for deleted fields)."""
    for rank, doc in enumerate(docs):
        keys = list(doc)
        if parts in doc:
            return rank, keys.index(parts)
    return len(docs), 0
