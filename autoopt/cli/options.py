"""Options shared by several commands, so they are spelled and documented once."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable that sets the clock of every command (the default of ``--now``):
#: replays, and the docs-example test, which runs every example a year ahead.
NOW_ENV = "AUTOOPT_NOW"


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
        help="Act as of this ISO 8601 time (e.g. 2026-11-25T12:00:00Z) instead of the clock "
        "(default: $AUTOOPT_NOW when set).",
    )(func)


def parse_now(text: str | None, env: Mapping[str, str] = os.environ) -> datetime:
    """The ``--now`` value (UTC when no offset is given), or :func:`clock`."""
    if text is None:
        return clock(env)
    return _timestamp(text, "--now")


def clock(env: Mapping[str, str] = os.environ) -> datetime:
    """This run's clock reading: ``$AUTOOPT_NOW`` when set, else the system clock (to the
    second). Only the composition root (the CLI) reads it; workflows get ``now`` passed in."""
    text = env.get(NOW_ENV, "").strip()
    if text:
        return _timestamp(text, NOW_ENV)
    return datetime.now(UTC).replace(microsecond=0)


def _timestamp(text: str, hint: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 timestamp such as 2026-11-25T10:00:00Z",
            param_hint=hint,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
