"""The shell examples of a Markdown page: which fenced blocks run, and what they declare.

Conventions (also in /work/coord/INTERFACES.md, "The docs-example test"):

* ```` ```sh ```` (``bash``, ``shell``) blocks are scripts; ```` ```console ```` blocks are
  sessions whose ``$ `` lines (with their ``\\`` continuations) are the commands and whose
  other lines are shown output. No other fence runs here.
* An HTML comment on the line just before the opening fence annotates the block:
  ``<!-- docs-test: skip="why" setup="cmd" exit=1 timeout=60 -->``.

Fences follow CommonMark: up to three spaces of indentation, three or more backticks or
tildes; the closing fence uses the same character, is at least as long, and has no info
string.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = frozenset({"sh", "bash", "shell"})
CONSOLE = frozenset({"console"})
RUN = SCRIPT | CONSOLE
KEYS = frozenset({"skip", "setup", "exit", "timeout"})
DEFAULT_TIMEOUT = 120.0

_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")
_NOTE = re.compile(r"^\s*<!--\s*docs-test:(.*?)-->\s*$")


class AnnotationError(ValueError):
    """A ``docs-test`` comment the test cannot honour (unknown key, no reason, bad value)."""


@dataclass(frozen=True)
class Block:
    path: Path  # the Markdown file, as given
    line: int  # 1-based line of the opening fence
    lang: str
    body: tuple[str, ...]  # the lines between the fences, indentation of the fence removed
    options: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang in RUN and "skip" not in self.options

    @property
    def expected_exit(self) -> int | None:
        value = self.options.get("exit")
        return None if value is None else int(value)

    @property
    def timeout(self) -> float:
        return float(self.options.get("timeout", DEFAULT_TIMEOUT))

    def script_lines(self) -> list[str]:
        """The block as bash lines, one per body line, so line k of the script is line
        ``self.line + k`` of the page (console output lines become empty lines)."""
        if self.lang in SCRIPT:
            return list(self.body)
        lines, continuing = [], False
        for text in self.body:
            if continuing:
                lines.append(text)
            elif text.startswith("$ ") or text == "$":
                lines.append(text[2:])
            else:
                lines.append("")
                continue
            continuing = text.rstrip().endswith("\\")
        return lines


def parse_options(text: str, where: str) -> dict[str, str]:
    """``key=value`` pairs of a ``docs-test:`` comment (values may be double-quoted)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise AnnotationError(f"{where}: docs-test comment: {exc}") from None
    options: dict[str, str] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key not in KEYS:
            raise AnnotationError(
                f"{where}: docs-test comment: {word!r} is not one of "
                f"{', '.join(sorted(f'{k}=…' for k in KEYS))}"
            )
        options[key] = value
    if "skip" in options and not options["skip"].strip():
        raise AnnotationError(f'{where}: docs-test comment: skip="…" needs a reason')
    for key in ("exit", "timeout"):
        if key in options and not options[key].isdigit():
            raise AnnotationError(f"{where}: docs-test comment: {key}= needs a whole number")
    return options


def blocks(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of the page, in order, with its annotation."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence, lang = len(match.group(1)), match.group(2), match.group(3).lower()
        end = _closing(lines, index + 1, fence)
        body = tuple(_dedent(line, indent) for line in lines[index + 1 : end])
        options: dict[str, str] = {}
        note = _NOTE.match(lines[index - 1]) if index > 0 else None
        if note is not None:
            options = parse_options(note.group(1), f"{path}:{index}")
        found.append(Block(path, index + 1, lang, body, options))
        index = end + 1
    return found


def _closing(lines: list[str], start: int, fence: str) -> int:
    closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for index in range(start, len(lines)):
        if closer.match(lines[index]):
            return index
    return len(lines)  # an unclosed fence runs to the end of the document


def _dedent(line: str, indent: int) -> str:
    removable = len(line) - len(line.lstrip(" "))
    return line[min(indent, removable) :]
