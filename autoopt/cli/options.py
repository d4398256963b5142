"""Options shared by several commands, so they are spelled, parsed and documented once.

A malformed option value is a usage error (exit 2) raised here, at parse time, with one line
naming the option: the commands below never see text they still have to check.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from autoopt.errors import UserError, shorten

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable that sets the clock of every command (the default of ``--now``):
#: replays, and the docs-example test, which runs every example a year ahead.
NOW_ENV = "AUTOOPT_NOW"

#: The one ``--format`` vocabulary. Each command offers the subset that means something for
#: it; ``text`` is accepted everywhere ``table`` is, as its alias.
FORMATS = ("table", "json", "markdown", "github")
FORMAT_ALIASES = {"text": "table"}


class FormatChoice(click.Choice[str]):
    """``click.Choice`` that also accepts the aliases and returns the canonical name."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = FORMAT_ALIASES.get(value.strip().lower(), value.strip().lower())
        return super().convert(value, param, ctx)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    """``--format`` with ``choices`` (canonical names; ``text`` is added after ``table``)."""
    canonical = list(dict.fromkeys(FORMAT_ALIASES.get(c, c) for c in choices))
    unknown = [c for c in canonical if c not in FORMATS]
    assert not unknown, f"formats outside the vocabulary: {unknown}"
    shown = [n for c in canonical for n in ([c, "text"] if c == "table" else [c])]

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=FormatChoice(shown),
            default=FORMAT_ALIASES.get(default, default),
            show_default=True,
            help="Output format (text is the same as table).",
        )(func)

    return decorate


def repo_option(func: F) -> F:
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The GitOps repository (holds autoopt.yaml, policies/, configs/).",
    )(func)


# --------------------------------------------------------------------------- durations


class DurationType(click.ParamType):  # type: ignore[type-arg]  # generic in newer click
    """``30s``, ``5m``, ``1h30m``, ``7d`` → ``timedelta``; at most ``maximum`` when given."""

    name = "duration"

    def __init__(self, maximum: timedelta | None = None) -> None:
        self.maximum = maximum

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from autoopt.spec.durations import format_duration, parse_duration

        if isinstance(value, timedelta):
            return value
        try:
            parsed = parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if self.maximum is not None and parsed > self.maximum:
            self.fail(
                f"{shorten(str(value))!r} is longer than the limit of "
                f"{format_duration(self.maximum)}",
                param,
                ctx,
            )
        return parsed


DURATION = DurationType()
#: ``simulate --duration``: simulated time, at most a year (longer runs are not what-ifs).
SIMULATED_TIME = DurationType(maximum=timedelta(days=366))


class MomentType(click.ParamType):  # type: ignore[type-arg]  # generic in newer click
    """``--since`` / ``--until``: a positive duration back from now (``24h``) or an ISO 8601
    time. The value is checked here and passed on as the text the user wrote."""

    name = "when"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "WHEN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from autoopt.spec.durations import parse_duration

        text = str(value).strip()
        try:
            parse_duration(text)
            return text
        except ValueError as exc:
            if "too long" in str(exc) or "positive" in str(exc):
                self.fail(str(exc), param, ctx)
        if text.startswith("-") and _is_duration(text[1:]):
            self.fail(
                f"{shorten(text)!r}: a duration counts back from now and has no sign "
                f"({shorten(text[1:])}, not {shorten(text)})",
                param,
                ctx,
            )
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"{shorten(text)!r}: expected a duration such as 24h or 7d, or an ISO time such "
                "as 2026-11-24T00:00:00Z",
                param,
                ctx,
            )
        return text


def _is_duration(text: str) -> bool:
    from autoopt.spec.durations import parse_duration

    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


WHEN = MomentType()


def window_options(func: F) -> F:
    """``--since WHEN`` and ``--until WHEN`` (the window of metrics a command reads)."""
    func = click.option(
        "--until", type=WHEN, default=None, help="Window end: 1h (ago), or an ISO time."
    )(func)
    return click.option(
        "--since", type=WHEN, default=None, help="Window start: 24h, 7d (ago), or an ISO time."
    )(func)


# --------------------------------------------------------------------------- names, sources


class NameType(click.ParamType):  # type: ignore[type-arg]  # generic in newer click
    """A name autoopt writes into documents and file names: ``chat-service``, ``v8``."""

    name = "name"
    PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,252}$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if not self.PATTERN.match(text):
            self.fail(
                f"{shorten(text)!r} is not a valid name: 1 to 253 lowercase letters, digits, "
                "'.', '_' or '-', starting with a letter or digit",
                param,
                ctx,
            )
        return text


NAME = NameType()


def _metrics_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter(
            "empty: give a file, directory or glob (CSV/JSONL/Parquet), otel:PATH or an "
            "http(s):// URL, or leave the option out to use autoopt.yaml's source",
            ctx,
            param,
        )
    return value


def metrics_option(func: F) -> F:
    return click.option(
        "--metrics",
        "metrics_src",
        metavar="SRC",
        default=None,
        callback=_metrics_value,
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
        callback=_now_value,
        help="Act as of this ISO 8601 time (e.g. 2026-11-25T12:00:00Z) instead of the clock "
        "(default: $AUTOOPT_NOW when set).",
    )(func)


def _now_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        _timestamp(value, "'--now'")
    return value


def parse_now(text: str | None, env: Mapping[str, str] = os.environ) -> datetime:
    """The ``--now`` value (UTC when no offset is given), or :func:`clock`."""
    if text is None:
        return clock(env)
    return _timestamp(text, "'--now'")


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
            f"{shorten(text)!r} is not an ISO 8601 timestamp such as 2026-11-25T10:00:00Z",
            param_hint=hint,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def checked_by(target: str, *, each: bool = False) -> Any:
    """A click callback that checks an option's value with ``target`` (``"module:function"``,
    imported only when the option is given) and passes the value on unchanged. A
    :class:`~autoopt.errors.UserError` from the check becomes a usage error (exit 2) naming
    the option. ``each``: call the function once per value of a multiple option."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None or value == ():
            return value
        module, _, name = target.partition(":")
        check = getattr(importlib.import_module(module), name)
        try:
            for item in value if each else [value]:
                check(item)
        except UserError as exc:
            message = str(exc)
            for opt in param.opts:
                message = message.removeprefix(f"{opt} ").removeprefix(f"{opt}: ")
            raise click.BadParameter(message, ctx, param) from None
        return value

    return callback


class NonEmptyText(click.ParamType):  # type: ignore[type-arg]  # generic in newer click
    """Any text but the empty one (``--model ""`` would write an invalid document)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if not text.strip():
            self.fail("must not be empty", param, ctx)
        return text


TEXT = NonEmptyText()
