"""Turn pydantic errors into located problems by walking the ruamel tree.

A pydantic error carries ``loc``, a path of keys and indexes. ruamel remembers where each key
and item started. Walking ``loc`` through the tree gives ``line:col`` of the offending node;
elements of ``loc`` that are not in the data (union tags such as ``files``) are skipped.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from autoopt.errors import Location, Problem, shorten

_QUOTED = re.compile(r"'[^']{61,}'|\"[^\"]{61,}\"")


def clip(message: str, limit: int = 400) -> str:
    """``message`` with every long quoted value shortened, and at most ``limit`` characters:
    an error about a 500 KB value names it, it does not repeat it."""
    clipped = _QUOTED.sub(
        lambda m: m.group(0)[0] + shorten(m.group(0)[1:-1]) + m.group(0)[0], message
    )
    return shorten(clipped, limit)


def dotted(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{shorten(str(part))}" if out else shorten(str(part))
    return out


def walk(
    tree: Any, loc: Sequence[str | int], *, at_key: bool = True
) -> tuple[list[str | int], tuple[int, int], bool]:
    """Follow ``loc`` through ``tree``; return the matched path, a 0-based (line, col) and
    whether the last element of ``loc`` was found (False for a missing key).

    The position is the last key's (``at_key``) or its value's."""
    node: Any = tree
    matched: list[str | int] = []
    pos: tuple[int, int] = (getattr(getattr(tree, "lc", None), "line", 0) or 0, 0)
    found = True
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            pos = node.lc.key(part) if last and at_key else node.lc.value(part)
            node, found = node[part], True
            matched.append(part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.lc.item(part)
            node, found = node[part], True
            matched.append(part)
        elif isinstance(node, CommentedMap | CommentedSeq):
            found = False
            if last and isinstance(part, str) and not _looks_like_tag(part):
                matched.append(part)
        else:
            found = False
    return matched, pos, found


def _looks_like_tag(part: str) -> bool:
    return "[" in part or part[:1].isupper() or part in {"str", "int", "float", "bool"}


def _unwrap(tp: Any) -> list[Any]:
    """The concrete member types behind Annotated / Optional / Union."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        members: list[Any] = []
        for arg in typing.get_args(tp):
            members.extend(_unwrap(arg))
        return members
    return [tp]


def _step(tp: Any, part: str | int) -> Any | None:
    for member in _unwrap(tp):
        origin = typing.get_origin(member)
        if isinstance(part, int) and origin is list:
            return typing.get_args(member)[0]
        if isinstance(part, str) and origin is dict:
            return typing.get_args(member)[1]
        is_model = isinstance(member, type) and issubclass(member, BaseModel)
        if is_model and isinstance(part, str) and part in member.model_fields:
            return member.model_fields[part].annotation
    return None


def allowed_keys(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """The field names of the model found at ``path`` below ``model`` (empty if not a model)."""
    tp: Any = model
    for part in path:
        nxt = _step(tp, part)
        if nxt is None:
            return []
        tp = nxt
    keys: list[str] = []
    for member in _unwrap(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            keys.extend(member.model_fields)
    return keys


def _message(error: Any, model: type[BaseModel], matched: list[str | int]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(matched[-1]) if matched else ""
        close = difflib.get_close_matches(
            shorten(key), allowed_keys(model, matched[:-1]), n=1, cutoff=0.6
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        close = difflib.get_close_matches(shorten(str(ctx.get("tag"))), tags, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown type {ctx.get('tag')!r} (one of {', '.join(tags)}){hint}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if kind == "literal_error" and isinstance(error.get("input"), str):
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        close = difflib.get_close_matches(shorten(error["input"]), choices, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
    return message


def _field_prefix(message: str, tree: Any, loc: Sequence[str | int]) -> str | None:
    """A model validator names the field it complains about as ``field: message``."""
    head, sep, _rest = message.partition(": ")
    node = tree
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if sep and isinstance(node, CommentedMap) and head in node:
        return head
    return None


def locate(exc: ValidationError, tree: Any, path: str, model: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[int, int, str, str]] = set()
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        if error["type"] == "union_tag_invalid":
            loc.append(str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
        at_key = error["type"] in ("extra_forbidden", "missing")
        matched, (line, col), _found = walk(tree, loc, at_key=at_key)
        message = _message(error, model, matched)
        field = _field_prefix(message, tree, matched)
        if field is not None:
            matched, (line, col), _found = walk(tree, [*matched, field])
            message = message.partition(": ")[2]
        message = clip(message)
        key = (line, col, dotted(matched), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(Location(path, line + 1, col + 1), dotted(matched), message))
    return problems
