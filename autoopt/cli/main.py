"""Entry point: a click group whose commands load lazily, and the one error choke point."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from autoopt import __version__
from autoopt.errors import AutooptError, ExitCode, SpecError

#: command name → (module under autoopt.cli, one-line help). Modules load only when run,
#: so ``autoopt --help`` imports no heavy library.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "Baselines, trends, anomalies, drift and budget burn of a service."),
    "cycle": ("cycle", "One pass for the whole repository: reconcile, then propose (the bot)."),
    "command": ("command", "Run a /autoopt comment command from an issue_comment event."),
    "demo": ("demo", "Run the whole loop offline on a simulated production (start here)."),
    "evaluate": ("evaluate", "Score measured versions against a policy; recommend one."),
    "init": ("init", "Write an annotated starter repository (settings, policy, config)."),
    "validate": ("validate", "Check autoopt.yaml, policies and configs; every error located."),
    "reconcile": ("reconcile", "Judge every rollout stage; promote, hold or roll back."),
    "pause": ("pause", "Pause a service's rollout (or all): reconcile only observes."),
    "resume": ("resume", "Resume a paused service (or all)."),
    "emergency-stop": ("emergency_stop", "Stop every rollout at once (--lift to lift it)."),
    "rollback": ("rollback", "Roll a service back by hand, now (--to VERSION)."),
    "propose": ("propose", "Propose the best qualifying config as a pull request."),
    "review": ("review", "Predict the impact of every config/policy change between two refs."),
    "status": ("status", "Rollout state of every service and the open local proposals."),
    "merge": ("merge", "Merge (or close) a pull request of the local forge."),
    "history": ("history", "The audit log of a service, read back from commit trailers."),
    "test": ("test", "Run the tests: cases of policies through the decision engine."),
    "simulate": ("simulate", "Simulate traffic: what-if on the same requests, rollout backtest."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"autoopt.cli.{entry[0]}")
        command = module.command
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="autoopt")
@click.option("--debug", is_flag=True, envvar="AUTOOPT_DEBUG", help="Show tracebacks of bugs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """autoopt — policy-as-code for LLM application configurations.

    Declare what "better" means in YAML; autoopt evaluates production metrics, simulates the
    change, proposes it as a pull request and rolls it out stage by stage through Git.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _secrets() -> list[str]:
    names = ("GITHUB_TOKEN", "GH_TOKEN", "AUTOOPT_TOKEN")
    return [os.environ[n] for n in names if len(os.environ.get(n, "")) >= 8]


def redact(text: str) -> str:
    """Remove any token the environment holds from text we are about to print."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("AUTOOPT_DEBUG"))
    try:
        code = cli.main(args=args, prog_name="autoopt", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = ExitCode.USER_ERROR
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE if isinstance(exc, click.UsageError) else ExitCode.USER_ERROR
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(redact(f"{problem.severity}: {problem}"), err=True)
        code = exc.exit_code
    except AutooptError as exc:
        click.echo(redact(f"error: {exc}"), err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
    except Exception as exc:  # the choke point: anything unexpected is a bug
        _report_bug(exc, debug)
        code = ExitCode.BUG
    sys.exit(int(code or 0))


def _report_bug(exc: BaseException, debug: bool) -> None:
    if debug:
        click.echo(redact("".join(traceback.format_exception(exc))), err=True)
    click.echo(
        redact(
            f"autoopt: this is a bug ({type(exc).__name__}: {exc}); "
            "please report it, with the output of --debug"
        ),
        err=True,
    )
