"""Load a scenario file: ruamel round-trip YAML → pydantic, every error located in the file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from simulator.errors import Problem, ScenarioError
from simulator.scenario import Loc, Scenario, scenario_from_data, semantic_problems


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` with every problem."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return parse_scenario(text, str(path), base_dir=str(path.parent.resolve()))


def parse_scenario(text: str, filename: str = "<scenario>", *, base_dir: str = ".") -> Scenario:
    """Validate scenario text; ``filename`` is used only in the error messages."""
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise ScenarioError([Problem(filename, line, col, "", str(exc.problem))]) from None
    try:
        scenario = scenario_from_data(_plain(tree), defer_semantic=True)
    except ValidationError as exc:
        problems = [_locate(tree, filename, tuple(e["loc"]), _message(e)) for e in exc.errors()]
        raise ScenarioError(problems) from None
    located = [_locate(tree, filename, loc, msg) for loc, msg in semantic_problems(scenario.spec)]
    if located:
        raise ScenarioError(located)
    scenario._base_dir = base_dir
    return scenario


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def _plain(node: Any) -> Any:
    """The ruamel tree as plain dicts, lists and scalars (timestamps as aware datetimes)."""
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, datetime):
        return datetime.fromisoformat(node.isoformat())
    return node


def _locate(tree: Any, filename: str, loc: Loc, message: str) -> Problem:
    """Walk ``loc`` through the ruamel tree to the deepest node it names (1-based position)."""
    node, names = tree, []
    line, col = 1, 1
    if isinstance(tree, CommentedMap | CommentedSeq):
        line, col = tree.lc.line + 1, tree.lc.col + 1
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            kl, kc = node.lc.key(part)
            line, col = kl + 1, kc + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            il, ic = node.lc.item(part)
            line, col = il + 1, ic + 1
            node = node[part]
        elif isinstance(node, CommentedMap) and last:
            pass  # a missing field: point at the mapping that should hold it
        elif isinstance(part, str) and not last:
            continue  # a union member's tag (e.g. ``lognormal``): not part of the document
        else:
            break
        names.append(str(part))
    return Problem(filename, line, col, ".".join(names), message)
