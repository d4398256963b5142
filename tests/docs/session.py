"""Run a page's shell blocks in order as one bash session, in a scratch copy of the repository.

Each block runs in its own ``bash`` process; the working directory and the exported
variables are handed from one block to the next through two files, so the blocks behave as
if typed into one terminal while every failure is reported with the block's ``file:line``
and the page line of the command that failed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.docs.blocks import Block

ROOT = Path(__file__).resolve().parents[2]
#: What the scratch home's git config says (the person at the keyboard).
GITCONFIG = (
    "[user]\n\tname = Pat Person\n\temail = pat@example.com\n"
    "[init]\n\tdefaultBranch = main\n"
    "[advice]\n\tdetachedHead = false\n"
)
#: Variables of the test's own environment that would change what the examples do.
DROPPED = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_DATE",
    "AUTOOPT_NOW",
    "AUTOOPT_DEBUG",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AUTOOPT_TOKEN",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_EVENT_PATH",
    "GITHUB_REPOSITORY",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "COLUMNS",
)
TAIL = 60  # output lines shown when a block fails
MARKER = "docs-test: "


class BlockFailed(AssertionError):
    pass


@dataclass(frozen=True)
class Outcome:
    block: Block
    status: int
    output: str
    failed_line: str | None  # 'line N' of the page (or the setup) that failed, when known


def scratch_copy(target: Path, source: Path = ROOT) -> Path:
    """``source``'s tracked and untracked-not-ignored files, committed on ``main`` of a new
    repository at ``target`` with no remote: a fresh clone that cannot push anywhere."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    target.mkdir(parents=True)
    for name in filter(None, (n.decode() for n in listed)):
        origin = source / name
        if not origin.is_file():  # listed but deleted in the work tree
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target / name)
    return target


def environment(home: Path, root: Path, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("GIT_")}
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(GITCONFIG, encoding="utf-8")
    env |= {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "DOCS_ROOT": str(root),
        "TERM": "dumb",
        **extra,
    }
    return env


class Session:
    """One page's terminal: a scratch root, an environment, the state between blocks."""

    def __init__(self, tmp: Path, extra_env: Mapping[str, str], *, copy: bool = True) -> None:
        self.root = scratch_copy(tmp / "repo") if copy else tmp / "repo"
        self.root.mkdir(parents=True, exist_ok=True)
        self.env = environment(tmp / "home", self.root, extra_env)
        if copy:
            for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "clone"]):
                subprocess.run(["git", *args], cwd=self.root, env=self.env, check=True)
        self.state = tmp / "state"
        self.state.mkdir()
        (self.state / "cwd").write_text(str(self.root))
        (self.state / "env").write_text("")

    def script(self, block: Block) -> str:
        """The bash program for ``block``: after each top-level command, a check that names
        the page line of the command when it failed (``set -e`` alone misses ``a && b``)."""
        state = shlex.quote(str(self.state))
        lines = [
            f'cd "$(cat {state}/cwd)" && . {state}/env',
            f"trap 'docs_s=$?; pwd > {state}/cwd.new; export -p > {state}/env.new; "
            "exit $docs_s' EXIT",
            "set -o pipefail",
        ]
        if "setup" in block.options:
            lines += [block.options["setup"], _check(f"{block.where} (setup)")]
        body = block.script_lines()
        for start, end in statements(body):
            lines += body[start:end]
            if block.expected_exit is None and body[start].strip()[:1] not in ("", "#"):
                lines.append(_check(f"line {block.line + start + 1}"))
        return "\n".join([*lines, ""])

    def run(self, block: Block) -> Outcome:
        program = self.script(block)
        with subprocess.Popen(
            ["bash", "-c", program, "docs-test"],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a timeout ends the block's whole process group
        ) as process:
            try:
                output, _ = process.communicate(timeout=block.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output, _ = process.communicate()
                note = f"\n(timed out after {block.timeout:.0f} s)"
                return Outcome(block, -1, (output or "") + note, None)
        done = subprocess.CompletedProcess(process.args, process.returncode, output)
        failed = _failed_line(done.stdout)
        if done.returncode == (block.expected_exit or 0):
            for name in ("cwd", "env"):
                (self.state / f"{name}.new").replace(self.state / name)
        return Outcome(block, done.returncode, done.stdout, failed)


def _check(what: str) -> str:
    return (
        f'docs_rc=$?; [ "$docs_rc" -eq 0 ] || '
        f'{{ echo "{MARKER}{what} exited $docs_rc" >&2; exit "$docs_rc"; }}'
    )


def statements(lines: Sequence[str]) -> list[tuple[int, int]]:
    """``[start, end)`` line ranges of the top-level commands (comments and blank lines are
    commands of their own), found by asking ``bash -n`` where each command is complete."""
    out, start = [], 0
    for end in range(1, len(lines) + 1):
        if _complete("\n".join(lines[start:end])):
            out.append((start, end))
            start = end
    if start < len(lines):
        out.append((start, len(lines)))  # incomplete at the end: bash reports the error
    return out


def _complete(text: str) -> bool:
    if not text.strip() or (text.lstrip().startswith("#") and "\n" not in text):
        return True
    if text.rstrip().endswith("\\") or text.rstrip().endswith(("&&", "||", "|")):
        return False
    done = subprocess.run(["bash", "-n", "-c", text], capture_output=True, text=True)
    return done.returncode == 0 and "here-document" not in done.stderr


def _failed_line(output: str) -> str | None:
    for line in reversed(output.splitlines()):
        if line.startswith(MARKER):
            return line[len(MARKER) :].rsplit(" exited ", 1)[0]
    return None


def check(outcome: Outcome, when: str) -> None:
    """Raise :class:`BlockFailed` naming the block's ``file:line`` unless it did as declared."""
    block, expected = outcome.block, outcome.block.expected_exit or 0
    if outcome.status == expected:
        return
    where = f" at {outcome.failed_line}" if outcome.failed_line else ""
    got = "timed out" if outcome.status == -1 else f"exited {outcome.status}"
    tail = "\n".join(outcome.output.splitlines()[-TAIL:])
    raise BlockFailed(
        f"{block.where}: the ```{block.lang} block {got}{where} (expected {expected}; {when})"
        f"\n{tail}"
    )


def run_page(blocks: Sequence[Block], session: Session, when: str) -> list[Outcome]:
    """Run every runnable block in order; stop at the first failure."""
    outcomes = []
    for block in blocks:
        if not block.runs:
            continue
        outcome = session.run(block)
        outcomes.append(outcome)
        check(outcome, when)
    return outcomes
