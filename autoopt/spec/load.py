"""Load one document: bytes → text → ruamel tree → frozen model, every problem located."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from autoopt.errors import Location, Problem, SpecError
from autoopt.spec.locate import locate, walk
from autoopt.spec.models import API_VERSION, KINDS, Document
from autoopt.spec.yamlio import load_text, to_plain

MAX_DOCUMENT_BYTES = 1024 * 1024

D = TypeVar("D", bound=Document)


@dataclass(frozen=True)
class Loaded(Generic[D]):
    """A validated document with the text it came from (for minimal edits) and its path."""

    path: Path
    text: str
    document: D
    display: str
    tree: Any = field(default=None, compare=False, repr=False)

    def where(self, *parts: str | int) -> Location:
        """The location of the node at ``parts`` (or of its nearest existing parent)."""
        _matched, (line, col), _found = walk(self.tree, parts, at_key=False)
        return Location(self.display, line + 1, col + 1)


def _problem(display: str, message: str, line: int = 0, col: int = 0, field: str = "") -> Problem:
    return Problem(Location(display, line, col), field, message)


def read_text(path: Path, display: str) -> str:
    """Read a document's text; raise SpecError for missing, huge, binary or empty files."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SpecError(
                [_problem(display, f"file is too large ({size / 1e6:.1f} MB; the limit is 1 MB)")]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([_problem(display, "file not found")]) from None
    except IsADirectoryError:
        raise SpecError([_problem(display, "is a directory, expected a YAML file")]) from None
    except PermissionError:
        raise SpecError([_problem(display, "permission denied")]) from None
    return decode(raw, display)


def decode(raw: bytes, display: str) -> str:
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        line = raw.count(b"\n", 0, offset) + 1
        raise SpecError([_problem(display, "binary data (NUL byte), expected YAML text", line, 1)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError([_problem(display, "not UTF-8 text", line, col)]) from None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise SpecError(
            [
                _problem(
                    display,
                    "empty document, expected a mapping with apiVersion, kind, metadata and spec",
                )
            ]
        )
    return text


def parse(text: str, display: str) -> CommentedMap:
    """Parse YAML text into a ruamel mapping, or raise SpecError located at the mark."""
    try:
        tree = load_text(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(m) for m in (exc.problem, exc.context) if m) or "invalid YAML"
        if "\t" in message or "'\\t'" in message:
            message = "tab character: YAML indentation must use spaces"
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise SpecError([_problem(display, f"YAML: {message}", line, col)]) from None
    except YAMLError as exc:
        raise SpecError([_problem(display, f"YAML: {exc}")]) from None
    if not isinstance(tree, CommentedMap):
        found = type(to_plain(tree)).__name__ if tree is not None else "nothing"
        raise SpecError(
            [_problem(display, f"expected a mapping at the top level, found {found}", 1, 1)]
        )
    return tree


def kind_of(tree: CommentedMap, display: str, expected: str | None) -> str:
    kind = tree.get("kind")
    line, col = tree.lc.value("kind") if "kind" in tree else (0, 0)
    problems = []
    if tree.get("apiVersion") != API_VERSION:
        where = tree.lc.value("apiVersion") if "apiVersion" in tree else (0, 0)
        problems.append(
            _problem(display, f"expected {API_VERSION!r}", where[0] + 1, where[1] + 1, "apiVersion")
        )
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), list(KINDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        choices = ", ".join(KINDS)
        problems.append(
            _problem(
                display,
                f"unknown kind {kind!r} (one of {choices}){hint}",
                line + 1,
                col + 1,
                "kind",
            )
        )
    elif expected is not None and kind != expected:
        problems.append(
            _problem(
                display, f"expected kind {expected!r}, found {kind!r}", line + 1, col + 1, "kind"
            )
        )
    if problems:
        raise SpecError(problems)
    return cast(str, kind)


def validate(tree: CommentedMap, kind: str, display: str) -> Document:
    model = KINDS[kind]
    try:
        return model.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise SpecError(locate(exc, tree, display, model)) from None


def load_document(
    path: str | Path, *, kind: str | None = None, display: str | None = None
) -> Loaded[Any]:
    """Load and validate one document; raise :class:`SpecError` listing every problem."""
    file = Path(path)
    shown = display or str(path)
    text = read_text(file, shown)
    return load_string(text, path=file, kind=kind, display=shown)


def load_string(
    text: str, *, path: Path, kind: str | None = None, display: str | None = None
) -> Loaded[Any]:
    shown = display or str(path)
    tree = parse(text, shown)
    found = kind_of(tree, shown, kind)
    document = validate(tree, found, shown)
    return Loaded(path=path, text=text, document=document, display=shown, tree=tree)
