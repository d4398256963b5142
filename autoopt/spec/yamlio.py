"""The one ruamel.yaml set-up of the project, and conversions out of ruamel's node types."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from ruamel.yaml import YAML


def new_yaml() -> YAML:
    """A round-trip YAML object configured the same way everywhere.

    Block mappings indent by 2, sequences by 4 with the dash at 2 (``  - item``), lines are
    never re-wrapped. Files written in this style round-trip byte for byte.
    """
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_text(text: str) -> Any:
    return new_yaml().load(text)


def dump_text(data: Any) -> str:
    buffer = io.StringIO()
    new_yaml().dump(data, buffer)
    return buffer.getvalue()


_SCALARS: tuple[tuple[type, Any], ...] = (
    (bool, bool),
    (int, int),
    (float, float),
    (str, str),
    (datetime, lambda v: datetime.fromisoformat(v.isoformat())),
    (date, lambda v: date(v.year, v.month, v.day)),
)


def to_plain(node: Any) -> Any:
    """Turn ruamel's round-trip node types into plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [to_plain(v) for v in node]
    for kind, convert in _SCALARS:
        if isinstance(node, kind):
            return convert(node)
    return node
