"""``autoopt init``: write an annotated starter repository (or the tour's example)."""

from __future__ import annotations

from pathlib import Path

import click

from autoopt.cli.options import NAME, TEXT, now_option, parse_now
from autoopt.spec.scaffold import Scaffold, write_scaffold


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option(
    "--service", type=NAME, default="chat-service", show_default=True, help="The service name."
)
@click.option(
    "--model", type=TEXT, default="gpt-4o", show_default=True, help="The model it runs today."
)
@click.option("--policy", type=NAME, default=None, help="Policy name (default: <service>-cost).")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--example",
    type=click.Choice(["quickstart"]),
    default=None,
    help="Create DIRECTORY as the example's own git repository (with a bare origin and "
    "metrics that end now) instead of writing starter files.",
)
@now_option
def command(
    directory: Path,
    service: str,
    model: str,
    policy: str | None,
    force: bool,
    example: str | None,
    now_text: str | None,
) -> None:
    """Write autoopt.yaml, a policy and a config, every field annotated.

    The files are valid as written: `autoopt validate` passes on them at once.
    With --example quickstart, DIRECTORY (new or empty) becomes the README tour's repository.
    """
    if example is not None:
        from autoopt.demo.example import build_example, describe

        built = build_example(example, directory, now=parse_now(now_text))
        click.echo("\n".join(describe(built, directory)))
        return
    written = write_scaffold(directory, Scaffold(service, model, policy), force=force)
    for rel in written:
        click.echo(f"wrote {directory / rel}")
    click.echo(f"next: edit the policy, then `autoopt validate --repo {directory}`")
