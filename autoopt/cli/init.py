"""``autoopt init``: write an annotated starter repository."""

from __future__ import annotations

from pathlib import Path

import click

from autoopt.cli.options import NAME, TEXT
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
def command(directory: Path, service: str, model: str, policy: str | None, force: bool) -> None:
    """Write autoopt.yaml, a policy and a config, every field annotated.

    The files are valid as written: `autoopt validate` passes on them at once.
    """
    written = write_scaffold(directory, Scaffold(service, model, policy), force=force)
    for rel in written:
        click.echo(f"wrote {directory / rel}")
    click.echo(f"next: edit the policy, then `autoopt validate --repo {directory}`")
