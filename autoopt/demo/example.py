"""``autoopt init --example quickstart DIR``: the tour's repository, a git repository of its own.

DIR gets the quickstart's documents and its two days of metrics, with every timestamp moved so
the data ends at ``now`` (the clock, ``--now`` or ``$AUTOOPT_NOW``): relative windows such as
``--since 7d`` see the whole story on any date. ``main`` holds the story's history (v6 on
gpt-4o-mini, then v7 on gpt-4o, committed when the metrics say each started) and is pushed to
a bare ``origin`` inside DIR's git directory, so ``propose`` and ``merge`` push somewhere that
is the tour's own and goes away with DIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from autoopt.errors import UserError
from autoopt.gitops.repo import Identity, init_bare, init_work_tree
from autoopt.spec.files import write_atomic
from autoopt.spec.scaffold import Scaffold, quickstart_root

EXAMPLES = ("quickstart",)
#: The quickstart's story, as ``examples/quickstart/metrics/generate.py`` wrote it.
STORY_START = datetime(2026, 11, 23, tzinfo=UTC)
STORY_SWITCH = datetime(2026, 11, 24, tzinfo=UTC)
STORY_END = datetime(2026, 11, 25, tzinfo=UTC)
CONFIG = "configs/chat-service.yaml"
METRICS = "metrics/requests.csv"
ORIGIN = "origin.git"  # inside the git directory
AUTHOR = Identity("Quickstart Example", "quickstart@example.com")
IGNORED = (
    "# not part of the GitOps repository: production metrics and generated reports\n"
    "metrics/\nreport.html\n"
)


@dataclass(frozen=True)
class Example:
    root: Path
    origin: Path
    head: str
    commits: int
    requests: int
    start: datetime
    end: datetime


def shifted_metrics(text: str, delta: timedelta) -> tuple[str, int]:
    """The quickstart CSV with every timestamp moved by ``delta`` (empty ones kept empty:
    the broken rows stay broken), and the number of data rows."""
    lines = text.splitlines(keepends=True)
    out = [lines[0]]
    for line in lines[1:]:
        stamp, comma, rest = line.partition(",")
        if stamp:
            moved = datetime.fromisoformat(stamp) + delta
            stamp = moved.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
        out.append(stamp + comma + rest)
    return "".join(out), len(lines) - 1


def build_example(name: str, directory: Path, *, now: datetime) -> Example:
    """Create ``directory`` as the example's repository; refuse a directory that has files."""
    if name not in EXAMPLES:
        raise UserError(f"unknown example {name!r}; there is: {', '.join(EXAMPLES)}")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UserError(f"{directory}: exists and is not empty; name a new directory")
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    delta = end - STORY_END
    metrics, requests = shifted_metrics(
        (quickstart_root() / METRICS).read_text(encoding="utf-8"), delta
    )
    files = Scaffold().files()
    v7 = files[CONFIG]
    v6 = v7.replace("version: v7 ", "version: v6 ")
    v6 = v6.replace("model: gpt-4o\n", "model: gpt-4o-mini\n")
    v6 = v6.replace("temperature: 0.7", "temperature: 0.5")
    directory.mkdir(parents=True, exist_ok=True)
    repo = init_work_tree(directory)
    origin = init_bare(repo.git_dir / ORIGIN)
    repo.add_remote("origin", str(origin))
    first = repo.commit_files(
        None,
        {**files, CONFIG: v6, ".gitignore": IGNORED},
        "Start the GitOps repository: chat-service v6 on gpt-4o-mini, the cost policy",
        author=AUTHOR,
        now=STORY_START + delta - timedelta(minutes=1),
    )
    second = repo.commit_files(
        first,
        {CONFIG: v7},
        "chat-service: v7 moves to gpt-4o for quality",
        author=AUTHOR,
        now=STORY_SWITCH + delta - timedelta(minutes=1),
    )
    repo.push("origin", "main", second, expected=None)
    repo.reset_branch_to(second)
    write_atomic(directory / METRICS, metrics)
    return Example(
        root=repo.root,
        origin=origin,
        head=second,
        commits=2,
        requests=requests,
        start=STORY_START + delta,
        end=end,
    )


def describe(example: Example, shown: Path) -> list[str]:
    """What ``init --example`` prints: where everything is and what to type next."""
    span = f"{example.start:%Y-%m-%d %H:%M} to {example.end:%Y-%m-%d %H:%M} UTC"
    return [
        f"created {shown}: the quickstart example as a git repository of its own",
        "  documents: autoopt.yaml, policies/chat-cost.yaml, configs/chat-service.yaml",
        f"  metrics:   {METRICS}, {example.requests:,} requests from {span} (v6, then v7)",
        f"  git:       main has {example.commits} commits (v6, then v7), pushed to origin",
        f"  origin:    {example.origin} (a bare repository standing in for your Git host)",
        f"next: cd {shown} && autoopt evaluate --policy chat-cost --since 7d",
    ]
