"""Load one document: bytes → text → ruamel tree → frozen model, every problem located."""

from __future__ import annotations

import difflib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from autoopt.errors import Location, Problem, SpecError, shorten
from autoopt.spec.locate import clip, locate, walk
from autoopt.spec.models import API_VERSION, KINDS, Document
from autoopt.spec.yamlio import MAX_DEPTH, load_text, to_plain

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
            raise SpecError([_problem(display, _too_large(size), 1, 1)])
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
                    1,
                    1,
                )
            ]
        )
    return text


def parse(text: str, display: str) -> CommentedMap:
    """Parse YAML text into a ruamel mapping, or raise SpecError located at the mark."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise SpecError([_problem(display, _too_large(len(text.encode())), 1, 1)])
    try:
        tree = load_text(text)
    except MarkedYAMLError as exc:
        raise SpecError([_yaml_problem(exc, display)]) from None
    except ReaderError as exc:
        line, col = _position(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"YAML: character U+{char:04X} is not allowed ({exc.reason})"
        raise SpecError([_problem(display, message, line, col)]) from None
    except YAMLError as exc:
        raise SpecError([_problem(display, f"YAML: {shorten(str(exc), 200)}", 1, 1)]) from None
    if not isinstance(tree, CommentedMap):
        found = type(to_plain(tree)).__name__ if tree is not None else "nothing"
        raise SpecError(
            [_problem(display, f"expected a mapping at the top level, found {found}", 1, 1)]
        )
    return tree


def _yaml_problem(exc: MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = " ".join(str(m) for m in (exc.problem, exc.context) if m) or "invalid YAML"
    if isinstance(exc, MaxDepthExceededError):
        message = f"nested more than {MAX_DEPTH} levels deep"
    if "\t" in message or "'\\t'" in message:
        message = "tab character: YAML indentation must use spaces"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return _problem(display, f"YAML: {clip(message)}", line, col)


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of character ``offset`` of ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_large(size: int) -> str:
    return f"file is too large ({size / 1e6:.1f} MB; the limit is 1 MB)"


def _key_at(tree: CommentedMap, key: str) -> tuple[int, int]:
    """1-based position of ``key``'s value (the top of the document when it is absent)."""
    if key not in tree:
        return 1, 1
    try:
        line, col = tree.lc.value(key)
    except (KeyError, TypeError):
        return 1, 1
    return line + 1, col + 1


def _shown(value: object) -> str:
    """How a message names a value the user wrote where a name was expected."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return repr(shorten(value))
    return repr(to_plain(value))


def kind_of(tree: CommentedMap, display: str, expected: str | None) -> str:
    kind = tree.get("kind")
    problems = []
    if tree.get("apiVersion") != API_VERSION:
        problems.append(
            _problem(
                display, f"expected {API_VERSION!r}", *_key_at(tree, "apiVersion"), "apiVersion"
            )
        )
    where = _key_at(tree, "kind")
    if "kind" not in tree:
        problems.append(
            _problem(
                display, f"required field is missing (one of {', '.join(KINDS)})", 1, 1, "kind"
            )
        )
    elif not isinstance(kind, str) or kind not in KINDS:
        close = (
            difflib.get_close_matches(shorten(kind), list(KINDS), n=1)
            if isinstance(kind, str)
            else []
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        choices = ", ".join(KINDS)
        problems.append(
            _problem(
                display, f"unknown kind {_shown(kind)} (one of {choices}){hint}", *where, "kind"
            )
        )
    elif expected is not None and kind != expected:
        problems.append(
            _problem(display, f"expected kind {expected!r}, found {kind!r}", *where, "kind")
        )
    if problems:
        raise SpecError(problems)
    return str(kind)


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


#: Documents already loaded in this process, by (text, path, kind, display): a cycle reads
#: the repository once per phase, and parsing is most of the time (about 10 ms a document).
#: Safe because a :class:`Loaded` is frozen, its model too, and nothing edits its tree.
_LOADED: OrderedDict[tuple[str, str, str | None, str], Loaded[Any]] = OrderedDict()
_LOADED_MAX = 4096


def load_string(
    text: str, *, path: Path, kind: str | None = None, display: str | None = None
) -> Loaded[Any]:
    shown = display or str(path)
    key = (text, str(path), kind, shown)
    found = _LOADED.get(key)
    if found is not None:
        _LOADED.move_to_end(key)
        return found
    tree = parse(text, shown)
    document = validate(tree, kind_of(tree, shown, kind), shown)
    loaded = Loaded(path=path, text=text, document=document, display=shown, tree=tree)
    _LOADED[key] = loaded
    if len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return loaded
