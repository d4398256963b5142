"""Pure ``str -> str`` edits of an LLMConfig that the rollout workflow needs.

Most are the targeted line edits of :mod:`autoopt.spec.edit`; the two it does not have
(restore ``previous`` after a regression in the watch window, and make an older version
stable for ``rollback --to``) are ruamel round-trip edits here that change only their keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ruamel.yaml.comments import CommentedMap

from autoopt.spec import edit
from autoopt.spec.yamlio import dump_text, load_text


def iso(moment: datetime) -> str:
    """``2026-11-25T10:00:00Z``: UTC, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec(tree: Any) -> CommentedMap:
    spec = tree["spec"]
    assert isinstance(spec, CommentedMap)
    return spec


def _put_after(mapping: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``mapping[key]``; a new key goes right after ``after`` (or at the end)."""
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping)
    position = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(position, key, value)


def _release(version: str, params: Any) -> CommentedMap:
    release = CommentedMap()
    release["version"] = version
    release["params"] = params
    return release


def advance_step(text: str, *, now: datetime) -> str:
    """Move the canary to its next step and restart the stage clock."""
    return edit.advance_step(text, now=now)


def promote_full(text: str, *, now: datetime, watch_until: datetime | None) -> str:
    """End a rollout by promotion: canary → stable, the old stable kept in ``previous``."""
    return edit.promote(text, now=now, watch=None if watch_until is None else watch_until - now)


def drop_canary(text: str) -> str:
    """End a rollout by reverting: the canary goes, the stable stays."""
    return edit.revert(text)


def end_watch(text: str) -> str:
    """The watch window passed without a regression: forget ``previous``."""
    return edit.clear_previous(text)


def restore_previous(text: str) -> str:
    """Revert a full promotion during its watch window: ``previous`` becomes stable again."""
    tree = load_text(text)
    spec = _spec(tree)
    previous = spec["previous"]
    spec["stable"]["version"] = previous["version"]
    spec["stable"]["params"] = previous["params"]
    del spec["previous"]
    return dump_text(tree)


def set_stable(text: str, *, version: str, params: Mapping[str, Any]) -> str:
    """Make ``version`` with ``params`` the stable release; any canary or previous goes."""
    tree = load_text(text)
    spec = _spec(tree)
    spec["stable"]["version"] = version
    spec["stable"]["params"] = _mapping(params)
    for key in ("canary", "previous"):
        if key in spec:
            del spec[key]
    return dump_text(tree)


def set_paused(text: str, *, paused: bool, reason: str | None) -> str:
    """Set ``paused`` (and ``pause_reason`` when pausing; removed when resuming)."""
    return edit.pause(text, reason=reason) if paused else edit.resume(text)


def _mapping(params: Mapping[str, Any]) -> CommentedMap:
    out = CommentedMap()
    for key, value in params.items():
        out[key] = _mapping(value) if isinstance(value, Mapping) else value
    return out
