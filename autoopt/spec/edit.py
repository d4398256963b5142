"""Edits of an LLMConfig as pure ``str -> str`` functions that change only the lines they must.

ruamel's round-trip dump keeps most formatting, but it moves or drops comments that sit
between blocks when a block is inserted or deleted. So the edits here are targeted line edits:
the ruamel tree (from :func:`autoopt.spec.yamlio.load_text`) tells where every key starts, and
the edit replaces, inserts or deletes exactly those lines. New blocks are rendered with the
project's one YAML set-up, in the document's own indentation. Every result is re-validated
with the LLMConfig model, so an edit can never produce an invalid config.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap

from autoopt.errors import UserError
from autoopt.spec.durations import format_duration
from autoopt.spec.load import load_string, parse
from autoopt.spec.models import LLMConfig
from autoopt.spec.yamlio import new_yaml

KeyPath = tuple[str, ...]


def outside_block(line: str, col: int) -> bool:
    """Whether ``line``, after a block whose key is at column ``col``, belongs to what follows:
    a blank line, or a comment at the key's depth or less."""
    stripped = line.strip()
    if not stripped:
        return True
    indent = len(line) - len(line.lstrip(" "))
    return stripped.startswith("#") and indent <= col


class EditError(UserError):
    """The config is not in a state where this edit makes sense (e.g. no rollout to advance)."""


# --------------------------------------------------------------------------- text helpers


def format_time(when: datetime) -> str:
    """``2026-11-25T10:00:00Z``: UTC, whole seconds, the spelling used in configs."""
    if when.tzinfo is None:
        raise ValueError("times written to configs must be timezone-aware")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def scalar(value: Any) -> str:
    """A value as a YAML flow scalar, quoted only when it must be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    out = io.StringIO()
    new_yaml().dump({"k": value}, out)
    return out.getvalue().removeprefix("k: ").rstrip("\n").removesuffix("\n...")


def render_block(data: Mapping[str, Any], indent: int) -> list[str]:
    """``data`` as block-style YAML lines, each indented by ``indent`` spaces."""
    out = io.StringIO()
    new_yaml().dump(CommentedMap(data), out)
    pad = " " * indent
    return [pad + line if line.strip() else line for line in out.getvalue().splitlines(True)]


class _Doc:
    """The lines of a document and the ruamel tree that says where each key is."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.tree = parse(text, "<config>")

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def node(self, path: KeyPath) -> Any:
        node: Any = self.tree
        for part in path:
            if not isinstance(node, CommentedMap) or part not in node:
                return None
            node = node[part]
        return node

    def key_pos(self, path: KeyPath) -> tuple[int, int]:
        parent = self.node(path[:-1])
        line, col = parent.lc.key(path[-1])
        return int(line), int(col)

    def extent(self, path: KeyPath) -> tuple[int, int]:
        """Lines ``[start, end)`` of key ``path`` and its value, without trailing comments."""
        start, col = self.key_pos(path)
        parent: CommentedMap = self.node(path[:-1])
        keys = list(parent)
        index = keys.index(path[-1])
        if index + 1 < len(keys):
            end = int(parent.lc.key(keys[index + 1])[0])
        elif len(path) > 1:
            end = self.extent(path[:-1])[1]
        else:
            end = len(self.lines)
        while end > start + 1 and outside_block(self.lines[end - 1], col):
            end -= 1
        return start, end

    def child_indent(self, path: KeyPath) -> int:
        """The column at which keys of the mapping at ``path`` start."""
        node = self.node(path)
        if isinstance(node, CommentedMap) and len(node):
            return int(node.lc.key(next(iter(node)))[1])
        return self.key_pos(path)[1] + 2 if path else 0

    def set_scalar(self, path: KeyPath, value: str) -> None:
        """Replace the one-line scalar at ``path`` by ``value``; keep the comment's column."""
        parent = self.node(path[:-1])
        line_no, col = (int(v) for v in parent.lc.value(path[-1]))
        line = self.lines[line_no]
        end = _scalar_end(line, col)
        rest = line[end:]
        spaces = len(rest) - len(rest.lstrip(" "))
        tail = rest.lstrip(" ")
        if tail.startswith("#"):
            pad = max(1, spaces + (end - col) - len(value))
            rest = " " * pad + tail
        self.lines[line_no] = line[:col] + value + rest

    def set_key(self, path: KeyPath, value: str) -> None:
        """Set a scalar key, appending it at the end of its mapping when absent."""
        if path[-1] in self.node(path[:-1]):
            self.set_scalar(path, value)
            return
        self.insert_after_children(path[:-1], [f"{path[-1]}: {value}\n"])

    def insert_after_children(self, path: KeyPath, lines: Sequence[str]) -> None:
        parent: CommentedMap = self.node(path)
        indent = self.child_indent(path)
        at = self.extent((*path, list(parent)[-1]))[1]
        self.lines[at:at] = [" " * indent + ln if ln.strip() else ln for ln in lines]

    def insert_after(self, path: KeyPath, lines: Sequence[str]) -> None:
        at = self.extent(path)[1]
        self.lines[at:at] = list(lines)

    def delete(self, path: KeyPath) -> None:
        start, end = self.extent(path)
        del self.lines[start:end]

    def block(self, path: KeyPath, indent: int) -> list[str]:
        """The lines of key ``path``, re-indented so the key sits at column ``indent``."""
        start, end = self.extent(path)
        shift = indent - self.key_pos(path)[1]
        out = []
        for line in self.lines[start:end]:
            if shift >= 0 or not line.strip():
                out.append(" " * shift + line if line.strip() else line)
            else:
                out.append(line[-shift:])
        return out


def _scalar_end(line: str, col: int) -> int:
    body = line.rstrip("\r\n")
    if col < len(body) and body[col] in "'\"":
        quote, i = body[col], col + 1
        while i < len(body):
            if body[i] == "\\" and quote == '"':
                i += 2
                continue
            if body[i] == quote:
                if quote == "'" and body[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(body)
    hash_at = body.find(" #", col)
    return len(body[:hash_at].rstrip()) if hash_at >= 0 else len(body.rstrip())


def _validated(text: str) -> str:
    load_string(text, path=_NOWHERE, kind="LLMConfig", display="<edited config>")
    return text


def _config(text: str) -> LLMConfig:
    loaded = load_string(text, path=_NOWHERE, kind="LLMConfig", display="<config>")
    document: LLMConfig = loaded.document
    return document


_NOWHERE = Path("<config>")

# --------------------------------------------------------------------------- the edits


@dataclass(frozen=True)
class NewCanary:
    """What a rollout starts with: the canary's version and params and the stage plan."""

    version: str
    params: Mapping[str, Any]
    steps: Sequence[int]
    durations: Sequence[timedelta | str]
    policy: str | None = None
    strategy: Literal["canary", "blue-green", "ab"] = "canary"
    proposal: str | None = None


def start_rollout(text: str, canary: NewCanary, *, now: datetime) -> str:
    """Add a ``canary`` block right after ``stable``: the rollout starts at step 0."""
    active = _config(text).spec.canary
    if active is not None:
        raise EditError(f"a rollout of {active.version} is already active; end it first")
    doc = _Doc(text)
    indent = doc.child_indent(("spec",))
    unit = max(doc.child_indent(("spec", "stable")) - indent, 2)
    lines = [" " * indent + "canary:\n"]
    lines += render_block({"version": canary.version}, indent + unit)
    lines.append(" " * (indent + unit) + "params:\n")
    lines += render_block(dict(canary.params), indent + 2 * unit)
    fields = [
        ("strategy", canary.strategy if canary.strategy != "canary" else None),
        ("steps", "[" + ", ".join(str(s) for s in canary.steps) + "]"),
        ("durations", "[" + ", ".join(scalar(d) for d in canary.durations) + "]"),
        ("step", "0"),
        ("step_started_at", format_time(now)),
        ("policy", scalar(canary.policy) if canary.policy else None),
        ("proposal", scalar(canary.proposal) if canary.proposal else None),
    ]
    lines += [" " * (indent + unit) + f"{k}: {v}\n" for k, v in fields if v is not None]
    doc.insert_after(("spec", "stable"), lines)
    return _validated(doc.text)


def advance_step(text: str, *, now: datetime, step: int | None = None) -> str:
    """Move the canary to ``step`` (default: the next one) and restart the stage clock."""
    canary = _config(text).spec.canary
    if canary is None:
        raise EditError("no rollout is active: nothing to advance")
    target = canary.step + 1 if step is None else step
    if not 0 <= target < len(canary.steps):
        raise EditError(f"step {target} is out of range (0..{len(canary.steps) - 1})")
    doc = _Doc(text)
    doc.set_key(("spec", "canary", "step"), str(target))
    doc = _Doc(doc.text)
    doc.set_key(("spec", "canary", "step_started_at"), format_time(now))
    return _validated(doc.text)


def promote(text: str, *, now: datetime, watch: timedelta | None = None) -> str:
    """Make the canary the stable version; the old stable is kept as ``previous``."""
    if _config(text).spec.canary is None:
        raise EditError("no rollout is active: nothing to promote")
    doc = _Doc(text)
    indent = doc.child_indent(("spec",))
    unit = max(doc.child_indent(("spec", "stable")) - indent, 2)
    old_params = doc.block(("spec", "stable", "params"), indent + unit)
    old_version = doc.node(("spec", "stable", "version"))
    new_params = doc.block(("spec", "canary", "params"), indent + unit)
    new_version = doc.node(("spec", "canary", "version"))
    previous = [" " * indent + "previous:\n"]
    previous.append(" " * (indent + unit) + f"version: {scalar(str(old_version))}\n")
    previous += old_params
    previous.append(" " * (indent + unit) + f"promoted_at: {format_time(now)}\n")
    if watch is not None:
        previous.append(" " * (indent + unit) + f"watch_until: {format_time(now + watch)}\n")
    if doc.node(("spec", "previous")) is not None:
        doc.delete(("spec", "previous"))
        doc = _Doc(doc.text)
    start, end = doc.extent(("spec", "stable", "params"))
    doc.lines[start:end] = new_params
    doc = _Doc(doc.text)
    doc.set_scalar(("spec", "stable", "version"), scalar(str(new_version)))
    doc = _Doc(doc.text)
    start, end = doc.extent(("spec", "canary"))
    doc.lines[start:end] = previous
    return _validated(doc.text)


def revert(text: str) -> str:
    """End the rollout without promoting: the canary block goes, stable stays."""
    if _config(text).spec.canary is None:
        raise EditError("no rollout is active: nothing to revert")
    doc = _Doc(text)
    doc.delete(("spec", "canary"))
    return _validated(doc.text)


def end_rollout(
    text: str,
    outcome: Literal["promote", "revert"],
    *,
    now: datetime,
    watch: timedelta | None = None,
) -> str:
    """Promote or revert, by name (what the reconciler calls)."""
    if outcome == "promote":
        return promote(text, now=now, watch=watch)
    return revert(text)


def clear_previous(text: str) -> str:
    """Drop ``previous`` once the watch window is over."""
    doc = _Doc(text)
    if doc.node(("spec", "previous")) is None:
        return text
    doc.delete(("spec", "previous"))
    return _validated(doc.text)


def pause(text: str, *, reason: str | None = None) -> str:
    """Set ``paused: true`` (and ``pause_reason``); the reconciler then changes nothing."""
    doc = _Doc(text)
    doc.set_key(("spec", "paused"), "true")
    if reason is not None:
        doc = _Doc(doc.text)
        doc.set_key(("spec", "pause_reason"), scalar(" ".join(reason.split())))
    return _validated(doc.text)


def resume(text: str) -> str:
    """Set ``paused: false`` and drop ``pause_reason``."""
    doc = _Doc(text)
    if doc.node(("spec", "pause_reason")) is not None:
        doc.delete(("spec", "pause_reason"))
        doc = _Doc(doc.text)
    if doc.node(("spec", "paused")) is not None:
        doc.set_scalar(("spec", "paused"), "false")
    return _validated(doc.text)
