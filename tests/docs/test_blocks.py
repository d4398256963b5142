"""The docs-example machinery itself: which blocks it finds, and how it reports a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.blocks import AnnotationError, blocks
from tests.docs.session import BlockFailed, Session, run_page, statements

PAGE = """# A page

```sh
mkdir work && cd work
export KEPT=yes
DROPPED=no
```

````console
$ echo "$KEPT-${DROPPED:-unset}" > seen.txt
output that is not run
```diff
+ not a fence of its own
```
$ pwd \\
    > where.txt
````

```python
raise SystemExit(1)
```

<!-- docs-test: skip="shown only: it needs a GitHub token" -->
```sh
false
```

<!-- docs-test: exit=3 -->
```sh
sh -c 'exit 3'
```
"""


def test_the_blocks_of_a_page_and_their_lines() -> None:
    found = blocks(Path("page.md"), PAGE)
    assert [(b.line, b.lang, b.runs) for b in found] == [
        (3, "sh", True),
        (9, "console", True),
        (19, "python", False),
        (24, "sh", False),
        (29, "sh", True),
    ]
    console = found[1]
    assert console.script_lines() == [
        'echo "$KEPT-${DROPPED:-unset}" > seen.txt',
        "",
        "",
        "",
        "",
        "pwd \\",
        "    > where.txt",
    ]
    assert found[3].options == {"skip": "shown only: it needs a GitHub token"}
    assert found[4].expected_exit == 3


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (
            "<!-- docs-test: skipp=yes -->",
            "'skipp=yes' is not one of exit=…, setup=…, skip=…, timeout=…",
        ),
        ('<!-- docs-test: skip="" -->', 'skip="…" needs a reason'),
        ("<!-- docs-test: exit=one -->", "exit= needs a whole number"),
        ('<!-- docs-test: setup="unclosed -->', "No closing quotation"),
    ],
)
def test_a_bad_annotation_is_an_error(comment: str, message: str) -> None:
    with pytest.raises(AnnotationError) as caught:
        blocks(Path("page.md"), f"text\n{comment}\n```sh\ntrue\n```\n")
    assert str(caught.value) == f"page.md:2: docs-test comment: {message}"


def test_the_directory_and_exported_variables_carry_from_block_to_block(tmp_path: Path) -> None:
    session = Session(tmp_path, {}, copy=False)
    outcomes = run_page(blocks(Path("page.md"), PAGE), session, "today")
    assert [o.status for o in outcomes] == [0, 0, 3]
    work = session.root / "work"
    assert (work / "seen.txt").read_text() == "yes-unset\n"
    assert (work / "where.txt").read_text() == f"{work}\n"


def test_a_failing_command_is_named_by_its_page_line(tmp_path: Path) -> None:
    page = "intro\n\n```sh\necho one\nfalse && echo never\necho not reached\n```\n"
    session = Session(tmp_path, {}, copy=False)
    with pytest.raises(BlockFailed) as caught:
        run_page(blocks(Path("doc.md"), page), session, "a year ahead")
    first, *rest = str(caught.value).splitlines()
    assert first == "doc.md:3: the ```sh block exited 1 at line 5 (expected 0; a year ahead)"
    assert rest == ["one", "docs-test: line 5 exited 1"]


def test_a_failing_setup_and_a_wrong_exit_status_are_reported(tmp_path: Path) -> None:
    page = '<!-- docs-test: setup="cd nowhere" -->\n```console\n$ true\n```\n'
    with pytest.raises(BlockFailed, match=r"^doc.md:2: .* exited 1 at doc.md:2 \(setup\)"):
        run_page(blocks(Path("doc.md"), page), Session(tmp_path / "a", {}, copy=False), "today")
    page = "<!-- docs-test: exit=2 -->\n```sh\nfalse\ntrue\n```\n"
    with pytest.raises(BlockFailed, match=r"^doc.md:2: the ```sh block exited 0 \(expected 2"):
        run_page(blocks(Path("doc.md"), page), Session(tmp_path / "b", {}, copy=False), "today")


def test_a_block_that_hangs_times_out(tmp_path: Path) -> None:
    page = "<!-- docs-test: timeout=1 -->\n```sh\nsleep 30\n```\n"
    with pytest.raises(BlockFailed, match=r"^doc.md:2: the ```sh block timed out"):
        run_page(blocks(Path("doc.md"), page), Session(tmp_path, {}, copy=False), "today")


def test_commands_are_split_where_bash_says_they_end() -> None:
    lines = [
        "if true; then",
        "  echo a",
        "fi",
        "# note",
        "echo b \\",
        "  c",
        "cat <<EOF",
        "x",
        "EOF",
    ]
    assert statements(lines) == [(0, 3), (3, 4), (4, 6), (6, 9)]
