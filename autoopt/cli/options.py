"""Options shared by several commands, so they are spelled and documented once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def repo_option(func: F) -> F:
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The GitOps repository (holds autoopt.yaml, policies/, configs/).",
    )(func)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def metrics_option(func: F) -> F:
    return click.option(
        "--metrics",
        "metrics_src",
        metavar="SRC",
        default=None,
        help="Metrics source for this run, overriding autoopt.yaml: a file, directory or glob "
        "(CSV/JSONL/Parquet), otel:PATH, or a Prometheus URL http(s)://….",
    )(func)


def now_option(func: F) -> F:
    """``--now TIMESTAMP``: act as of this time instead of the clock (replays, tests, demos)."""
    return click.option(
        "--now",
        "now_text",
        metavar="TIMESTAMP",
        default=None,
        help="Act as of this ISO 8601 time (e.g. 2026-11-25T12:00:00Z) instead of the clock.",
    )(func)


def parse_now(text: str | None) -> datetime:
    """The ``--now`` value (UTC when no offset is given), or the clock to the second."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 timestamp such as 2026-11-25T10:00:00Z",
            param_hint="--now",
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
