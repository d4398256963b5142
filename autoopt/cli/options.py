"""Options shared by several commands, so they are spelled and documented once."""

from __future__ import annotations

from collections.abc import Callable
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
