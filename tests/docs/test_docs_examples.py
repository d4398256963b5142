"""Every shell example of README.md and docs/*.md runs as written, today and a year ahead.

Each page is one bash session in a scratch copy of the repository (see ``session.py`` and
the conventions in ``blocks.py``). A year ahead, ``AUTOOPT_NOW`` (the CLI's default for
``--now``) and git's commit dates say so; today, nothing is faked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.docs.blocks import Block, blocks
from tests.docs.session import ROOT, BlockFailed, Session, run_page

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
YEAR_AHEAD = timedelta(days=365)


def page_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def dates() -> dict[str, dict[str, str]]:
    ahead = (datetime.now(UTC) + YEAR_AHEAD).replace(microsecond=0).isoformat()
    return {
        "today": {},
        "ahead": {"AUTOOPT_NOW": ahead, "GIT_AUTHOR_DATE": ahead, "GIT_COMMITTER_DATE": ahead},
    }


def page_blocks(path: Path) -> list[Block]:
    return blocks(path.relative_to(ROOT), path.read_text(encoding="utf-8"))


def runnable_pages() -> list[Path]:
    return [page for page in PAGES if any(b.runs for b in page_blocks(page))]


@pytest.mark.parametrize("when", ["today", "ahead"])
@pytest.mark.parametrize("page", runnable_pages(), ids=page_id)
def test_the_page_runs_as_written(page: Path, when: str, tmp_path: Path) -> None:
    found = page_blocks(page)
    runnable = [b for b in found if b.runs]
    extra = dates()[when]
    label = "today" if when == "today" else f"a year ahead, AUTOOPT_NOW={extra['AUTOOPT_NOW']}"
    session = Session(tmp_path, extra)
    try:
        outcomes = run_page(found, session, label)
    except BlockFailed as failure:
        message = str(failure)
    else:
        assert [o.block for o in outcomes] == runnable
        return
    pytest.fail(message, pytrace=False)


def test_skipped_blocks_say_why() -> None:
    """A block shown but not run is rare; each says why (the list is printed with -rA)."""
    skipped = [
        (b.where, b.options["skip"]) for p in PAGES for b in page_blocks(p) if "skip" in b.options
    ]
    for where, why in skipped:
        print(f"{where}: not run: {why}")
    assert all(len(why.split()) >= 3 for _, why in skipped), skipped
    assert not [w for w in skipped if "TEMPORARY" in w[1].upper()], "a temporary skip is left"
