"""Mutations of the quickstart's documents, and one run of `autoopt validate` on them.

Structure-aware mutations replace a value, a key or a whole block of a document with hostile
YAML (alias bombs, deep nesting, huge or control-character values, wrong types and tags,
paths out of the repository); byte-level ones flip, insert, delete and duplicate bytes. A run
is classified as ``ok`` (exit 0 or 1, every problem located), ``bug`` (exit 3, or any other
code), ``unlocated`` (a problem line without ``file:line:col``) or ``slow`` (past the limit).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
FILES = ("autoopt.yaml", "policies/chat-cost.yaml", "configs/chat-service.yaml")
SLOW_SECONDS = 10.0


def _alias_bomb(levels: int) -> str:
    lines = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"&a{i} [{refs}]")
    return "[" + ", ".join(lines) + "]"


#: Values a hostile or careless author writes where a scalar (or a block) belongs.
HOSTILE = (
    "{a: 1}",
    "[a, b]",
    "[]",
    "{}",
    "~",
    "null",
    "''",
    '""',
    "!!int 1.5",
    "!!float x",
    "!!bool maybe",
    "!!timestamp yesterday",
    "!!binary '%%%'",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!str",
    "!custom value",
    "!!python/object:os.system ls",
    "2026-13-45",
    "2026-02-30T25:61:00Z",
    "1" * 5000,
    "-" + "9" * 400,
    "1e999",
    ".nan",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "yes",
    "off",
    "x" * 500_000,
    "'" + "y" * 200_000 + "'",
    "[" * 1000 + "]" * 1000,
    "[" * 20_000 + "]" * 20_000,
    "{a: " * 500 + "1" + "}" * 500,
    _alias_bomb(7),
    _alias_bomb(12),
    "&r [*r]",
    "*undefined",
    "&a x",
    "<<: {a: 1}",
    "../outside",
    "/etc",
    "/etc/passwd",
    "~/secrets",
    "configs/../../outside.yaml",
    "a" * 300,
    "a/" * 3000,
    "'a\\x00b'",
    '"a\\x00b"',
    '"\\x07bell"',
    "\x07",
    "\x1b[31mred",
    "\u202etxt.yaml",
    "\ufeff",
    "\t1",
    "'unterminated",
    '"unterminated',
    "{unclosed: [",
    "key: value: other",
    "- item",
    "? complex\n: key",
    "|\n  block\n  scalar",
    "%YAML 1.1",
    "--- \n--- ",
    "...",
    "-5m",
    "99999999999d",
    "0s",
    "5 minutes",
    "1h30",
)

#: The payloads that hung or crashed the reader before it had limits, for whole-process runs.
WORST = {
    "alias bomb": _alias_bomb(12),
    "20,000 deep": "[" * 20_000 + "]" * 20_000,
    "500 KB value": "x" * 500_000,
    "control character": "\x07",
}

MUTATIONS = ("value", "key", "delete", "duplicate", "indent", "insert")


@dataclass(frozen=True)
class Mutation:
    file: int
    kind: str
    line: int
    payload: str

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True) or [""]
        i = self.line % len(lines)
        line = lines[i]
        key, sep, _value = line.partition(": ")
        if self.kind == "value" and sep:
            lines[i] = f"{key}: {self.payload}\n"
        elif self.kind == "value":
            lines[i] = line.rstrip("\n") + f" {self.payload}\n"
        elif self.kind == "key":
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}{self.payload}: {_value}" if sep else f"{indent}{self.payload}\n"
        elif self.kind == "delete":
            del lines[i]
        elif self.kind == "duplicate":
            lines.insert(i, line)
        elif self.kind == "indent":
            lines[i] = " " * (len(self.payload) % 7) + line
        else:
            lines.insert(i, f"{self.payload}\n")
        return "".join(lines)


@dataclass(frozen=True)
class ByteEdit:
    file: int
    kind: str  # flip | insert | delete | truncate | repeat
    at: int
    data: bytes

    def apply(self, raw: bytes) -> bytes:
        if not raw:
            return self.data
        i = self.at % len(raw)
        if self.kind == "flip":
            return raw[:i] + bytes([raw[i] ^ (self.data[0] if self.data else 0xFF)]) + raw[i + 1 :]
        if self.kind == "insert":
            return raw[:i] + self.data + raw[i:]
        if self.kind == "delete":
            return raw[:i] + raw[i + 1 + len(self.data) :]
        if self.kind == "truncate":
            return raw[:i]
        return raw[:i] + raw[i : i + 1 + len(self.data)] * 50 + raw[i:]


def mutations() -> st.SearchStrategy[Mutation]:
    return st.builds(
        Mutation,
        file=st.integers(0, len(FILES) - 1),
        kind=st.sampled_from(MUTATIONS),
        line=st.integers(0, 200),
        payload=st.one_of(
            st.sampled_from(HOSTILE),
            st.text(max_size=40),
            st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x3000), max_size=20),
        ),
    )


def byte_edits() -> st.SearchStrategy[ByteEdit]:
    return st.builds(
        ByteEdit,
        file=st.integers(0, len(FILES) - 1),
        kind=st.sampled_from(("flip", "insert", "delete", "truncate", "repeat")),
        at=st.integers(0, 5000),
        data=st.binary(min_size=1, max_size=16),
    )


def edits() -> st.SearchStrategy[list[Mutation | ByteEdit]]:
    """One to three edits, structure-aware or byte-level, on any of the three documents."""
    return st.lists(st.one_of(mutations(), mutations(), byte_edits()), min_size=1, max_size=3)


def write_repo(target: Path, changes: list[Mutation | ByteEdit]) -> None:
    """The quickstart (without its metrics) at ``target`` with ``changes`` applied."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns("metrics", "*.py"))
    raws = {name: (target / name).read_bytes() for name in FILES}
    for change in changes:
        name = FILES[change.file]
        if isinstance(change, Mutation):
            text = raws[name].decode("utf-8", errors="surrogateescape")
            raws[name] = change.apply(text).encode("utf-8", errors="surrogateescape")
        else:
            raws[name] = change.apply(raws[name])
    for name, raw in raws.items():
        (target / name).write_bytes(raw)


@dataclass(frozen=True)
class Outcome:
    code: int
    seconds: float
    output: str
    unlocated: tuple[str, ...]

    @property
    def verdict(self) -> str:
        if self.seconds > SLOW_SECONDS:
            return "slow"
        if self.code not in (0, 1):
            return "bug"
        if self.unlocated:
            return "unlocated"
        return "ok"


_LOCATED = re.compile(r"^(?:error|warning): [^\n:]+:\d+:\d+: |^[^\n:]+:\d+:\d+: ")
_SUMMARY = re.compile(r"^(ok: \d+ file\(s\) valid|\d+ file\(s\) checked: .*)$")
_NOTE = re.compile(r"^[^\n:]+: policy [^\n]*: weights ")


def unlocated_lines(output: str) -> tuple[str, ...]:
    """Lines of validate's text output that report a problem without ``file:line:col``."""
    return tuple(
        line[:200]
        for line in output.splitlines()
        if line and not (_LOCATED.match(line) or _SUMMARY.match(line) or _NOTE.match(line))
    )


def validate_in_process(repo: Path) -> Outcome:
    """``autoopt validate --repo REPO`` through the real entry point, in this process."""
    from autoopt.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["validate", "--repo", str(repo)])
        except SystemExit as stop:
            code = int(stop.code or 0)
    seconds = time.perf_counter() - start
    text = out.getvalue() + err.getvalue()
    return Outcome(code, seconds, text, unlocated_lines(text))
