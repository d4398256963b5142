"""The one ruamel.yaml set-up of the project, its limits, and conversions out of ruamel's types.

Every document is read by :func:`load_text`, which refuses what would make a reader hang, run
out of memory or crash — each refusal a :class:`~ruamel.yaml.error.MarkedYAMLError` that
carries the line and column where it happened:

* nesting deeper than :data:`MAX_DEPTH` (as written, or through aliases);
* more than :data:`MAX_VALUES` values once aliases are expanded ("billion laughs");
* a value longer than :data:`MAX_VALUE_CHARS`, a key longer than :data:`MAX_KEY_CHARS`;
* a scalar its tag cannot be made of (``!!int 1.5``, ``!!float x``, ``2026-13-45``).
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError, YAMLWarning
from ruamel.yaml.nodes import MappingNode

from autoopt.errors import shorten

#: How deep mappings and lists may nest. The deepest field of any autoopt document is 7
#: levels down; the rest is headroom for ``params.extra``.
MAX_DEPTH = 64
#: How many values (scalars, mappings, lists) a document may hold, aliases expanded.
MAX_VALUES = 100_000
#: The longest value (a system prompt of ~25k tokens fits) and the longest key.
MAX_VALUE_CHARS = 100_000
MAX_KEY_CHARS = 1_000
#: The longest comment: ruamel reads comments a character at a time, which grows quadratic
#: on a fragmented heap (a 500 KB comment took 20 s inside a long-lived process).
MAX_COMMENT_CHARS = 10_000
_COMMENT = re.compile(r"(?:^|[ \t])#")


class LimitError(MarkedYAMLError):
    """A document goes past one of the limits above; located at the offending node."""

    def __init__(self, problem: str, line: int, column: int) -> None:
        super().__init__(problem=problem, problem_mark=StreamMark("<document>", 0, line, column))


class _Constructor(RoundTripConstructor):
    """Round-trip construction where a node that cannot be what its tag says is a located YAML
    error, not a ``ValueError`` from ``int()``, a ``TypeError`` or an ``AssertionError`` from
    inside ruamel (``!!int 1.5``, ``!!omap [a: 1, a: 2]``, ``2026-13-45``)."""

    def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
        pending = len(self.state_generators)
        try:
            data = super().construct_non_recursive_object(node, tag)
        except (YAMLError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # ruamel could not build this node: say where
            raise _unreadable(node, tag, exc) from None
        # mappings and lists are filled later by generators: keep the node for their errors
        self.state_generators[pending:] = [
            _located(generator, node, tag) for generator in self.state_generators[pending:]
        ]
        return data


def _located(generator: Any, node: Any, tag: str | None) -> Any:
    try:
        yield from generator
    except (YAMLError, RecursionError, MemoryError):
        raise
    except Exception as exc:
        raise _unreadable(node, tag, exc) from None


def _unreadable(node: Any, tag: str | None, exc: Exception) -> ConstructorError:
    wanted = str(tag or node.tag).rpartition(":")[2] or str(tag or node.tag)
    if isinstance(node.value, str):
        what = repr(shorten(node.value))
    else:
        what = "this mapping" if isinstance(node, MappingNode) else "this sequence"
    reason = shorten(str(exc), 80) or type(exc).__name__
    return ConstructorError(
        problem=f"cannot read {what} as {wanted} ({reason})", problem_mark=node.start_mark
    )


def new_yaml() -> YAML:
    """A round-trip YAML object configured the same way everywhere.

    Block mappings indent by 2, sequences by 4 with the dash at 2 (``  - item``), lines are
    never re-wrapped. Files written in this style round-trip byte for byte.
    """
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_text(text: str) -> Any:
    """Parse ``text`` (round trip) and check the limits; raise ``YAMLError`` (located)."""
    if len(text) > MAX_COMMENT_CHARS:
        _check_comments(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", YAMLWarning)  # reused anchors are valid YAML
        tree = new_yaml().load(text)
    check_limits(tree)
    return tree


def _check_comments(text: str) -> None:
    """Refuse a comment longer than :data:`MAX_COMMENT_CHARS` before ruamel reads it.

    A ``#`` after a space inside a long one-line quoted value counts too; such text belongs
    in a block scalar (``|``) anyway."""
    for number, line in enumerate(text.splitlines()):
        if len(line) <= MAX_COMMENT_CHARS:
            continue
        match = _COMMENT.search(line)
        if match is not None and len(line) - match.end() >= MAX_COMMENT_CHARS:
            col = match.end() - 1
            raise LimitError(
                f"comment is too long ({len(line) - col:,} characters; the limit is "
                f"{MAX_COMMENT_CHARS:,})",
                number,
                col,
            )


def dump_text(data: Any) -> str:
    buffer = io.StringIO()
    new_yaml().dump(data, buffer)
    return buffer.getvalue()


def _position(lookup: Any, key: Any, at: tuple[int, int]) -> tuple[int, int]:
    """``lookup(key)`` (ruamel's recorded line and column), or ``at`` when it has none."""
    try:
        found = lookup(key)
    except (AttributeError, KeyError, TypeError, IndexError):
        return at
    if (
        isinstance(found, tuple | list)
        and len(found) == 2
        and all(isinstance(v, int) for v in found)
    ):
        return found[0], found[1]
    return at


def _child_positions(node: Any, at: tuple[int, int]) -> list[tuple[Any, Any, tuple[int, int]]]:
    """(key or None, child, 0-based position) of every child of a mapping, list or set."""
    lc = getattr(node, "lc", None)
    out: list[tuple[Any, Any, tuple[int, int]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((key, value, _position(getattr(lc, "value", None), key, at)))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            out.append((None, value, _position(getattr(lc, "item", None), index, at)))
    elif isinstance(node, set | frozenset) or type(node).__name__ == "CommentedSet":
        out.extend((None, value, at) for value in node)
    return out


def _start(tree: Any) -> tuple[int, int]:
    lc = getattr(tree, "lc", None)
    line, col = getattr(lc, "line", 0), getattr(lc, "col", 0)
    return (line if isinstance(line, int) else 0, col if isinstance(col, int) else 0)


def check_limits(tree: Any) -> None:
    """Walk ``tree`` as a consumer would (aliases expanded), without recursion; raise
    :class:`LimitError` at the first node past a limit."""
    budget = MAX_VALUES
    stack: list[tuple[Any, int, tuple[int, int]]] = [(tree, 1, _start(tree))]
    while stack:
        node, depth, (line, col) = stack.pop()
        budget -= 1
        if budget < 0:
            raise LimitError(
                f"more than {MAX_VALUES:,} values once aliases are expanded "
                "(an alias counts each time it is used)",
                line,
                col,
            )
        if depth > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", line, col)
        value = node.value if isinstance(node, TaggedScalar) else node
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            raise LimitError(
                f"value is too long ({len(value):,} characters; the limit is {MAX_VALUE_CHARS:,})",
                line,
                col,
            )
        for key, child, pos in _child_positions(node, (line, col)):
            if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
                raise LimitError(
                    f"key is too long ({len(key):,} characters; the limit is {MAX_KEY_CHARS:,})",
                    *_key_position(node, key, pos),
                )
            stack.append((child, depth + 1, pos))


def _key_position(node: Any, key: Any, fallback: tuple[int, int]) -> tuple[int, int]:
    return _position(getattr(getattr(node, "lc", None), "key", None), key, fallback)


_SCALARS: tuple[tuple[type, Any], ...] = (
    (bool, bool),
    (int, int),
    (float, float),
    (str, str),
    (datetime, lambda v: datetime.fromisoformat(v.isoformat())),
    (date, lambda v: date(v.year, v.month, v.day)),
)


def to_plain(node: Any) -> Any:
    """Turn ruamel's round-trip node types into plain dicts, lists and scalars.

    Call it on trees from :func:`load_text` only: their depth and size are bounded.
    """
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [to_plain(v) for v in node]
    for kind, convert in _SCALARS:
        if isinstance(node, kind):
            return convert(node)
    return node
