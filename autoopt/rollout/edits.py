"""Pure ``str -> str`` edits of an LLMConfig that the rollout workflow needs.

Most are the targeted line edits of :mod:`autoopt.spec.edit`; the two it does not have
(restore ``previous`` after a regression in the watch window, and make an older version
stable for ``rollback --to``) are ruamel round-trip edits here that change only their keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ruamel.yaml.comments import CommentedMap

from autoopt.spec import edit
from autoopt.spec.yamlio import dump_text, load_text


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


def advance_step(text: str, *, now: datetime, tree: Any = None) -> str:
    """Move the canary to its next step and restart the stage clock.

    With the document's already-parsed ruamel ``tree`` (from loading the repository) the two
    scalars are replaced in place without parsing again — the same bytes as
    :func:`autoopt.spec.edit.advance_step` (a test holds them equal), about 50× faster, which
    matters with a thousand services. Anything unusual falls back to the full edit.
    """
    fast = _advance_in_place(text, tree, now) if tree is not None else None
    return fast if fast is not None else edit.advance_step(text, now=now)


def _advance_in_place(text: str, tree: Any, now: datetime) -> str | None:
    try:
        canary = tree["spec"]["canary"]
        step = canary["step"]
        positions = [canary.lc.value("step"), canary.lc.value("step_started_at")]
    except (KeyError, TypeError, AttributeError):
        return None
    if not isinstance(step, int) or isinstance(step, bool):
        return None
    lines = text.splitlines(True)
    for (line_no, col), value in zip(
        positions, (str(step + 1), edit.format_time(now)), strict=True
    ):
        replaced = _replace_plain(lines[line_no], col, value)
        if replaced is None:
            return None
        lines[line_no] = replaced
    return "".join(lines)


def _replace_plain(line: str, col: int, value: str) -> str | None:
    """Replace the plain scalar at ``col``; a comment after it keeps its column if it can."""
    body = line.rstrip("\r\n")
    end = col
    while end < len(body) and not body[end].isspace():
        end += 1
    token = body[col:end]
    if not token or token[0] in "'\"[{&*!|>" or "#" in token:
        return None
    rest = line[end:]
    spaces = len(rest) - len(rest.lstrip(" "))
    tail = rest.lstrip(" ")
    if tail.strip() and not tail.startswith("#"):
        return None  # the scalar goes on after a space (e.g. ``2026-11-25 10:00:00``)
    if tail.startswith("#"):
        rest = " " * max(1, spaces + (end - col) - len(value)) + tail
    return line[:col] + value + rest


def promote_full(text: str, *, now: datetime, watch_until: datetime | None) -> str:
    """End a rollout by promotion: canary → stable, the old stable kept in ``previous``."""
    return edit.promote(text, now=now, watch=None if watch_until is None else watch_until - now)


def drop_canary(text: str, *, tree: Any = None) -> str:
    """End a rollout by reverting: the canary goes, the stable stays.

    With the parsed ``tree`` the block's lines are cut without parsing again (the same bytes
    as :func:`autoopt.spec.edit.revert`, held equal by a test); otherwise the full edit.
    """
    fast = _cut_canary(text, tree) if tree is not None else None
    return fast if fast is not None else edit.revert(text)


def _cut_canary(text: str, tree: Any) -> str | None:
    """Delete ``spec.canary`` and its value; comments after it at the key's depth or less
    and blank lines stay (they belong to what follows)."""
    try:
        spec = tree["spec"]
        keys = list(spec)
        index = keys.index("canary")
        start, col = (int(v) for v in spec.lc.key("canary"))
        end = int(spec.lc.key(keys[index + 1])[0])
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return None
    lines = text.splitlines(True)
    if not text.endswith("\n") or end > len(lines):
        return None
    while end > start + 1 and edit.outside_block(lines[end - 1], col):
        end -= 1
    del lines[start:end]
    return "".join(lines)


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
