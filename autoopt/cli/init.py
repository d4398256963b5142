"""``autoopt init``: write an annotated starter repository (or add a service to one, or
create the tour's example repository)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autoopt.cli.options import NAME, TEXT, now_option, parse_now
from autoopt.spec.scaffold import Scaffold, write_scaffold

if TYPE_CHECKING:
    from autoopt.spec.models import Settings

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option(
    "--service", type=NAME, default="chat-service", show_default=True, help="The service name."
)
@click.option(
    "--model", type=TEXT, default="gpt-4o", show_default=True, help="The model it runs today."
)
@click.option("--policy", type=NAME, default=None, help="Policy name (default: <service>-cost).")
@click.option(
    "--github",
    is_flag=True,
    help="Also write the GitHub Actions workflows and the composite action (.github/).",
)
@click.option(
    "--repository",
    metavar="OWNER/NAME",
    default=None,
    help="With --github: the GitHub repository (default: read from the remote origin).",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--example",
    type=click.Choice(["quickstart"]),
    default=None,
    help="Create DIRECTORY as the example's own git repository (with a bare origin and "
    "metrics that end now) instead of writing starter files.",
)
@now_option
def command(  # noqa: PLR0913, PLR0917 -- one parameter per option
    directory: Path,
    service: str,
    model: str,
    policy: str | None,
    github: bool,
    repository: str | None,
    force: bool,
    example: str | None,
    now_text: str | None,
) -> None:
    """Write autoopt.yaml, a policy and a config, every field annotated.

    The files are valid as written: `autoopt validate` passes on them at once. In a
    repository that already has a valid autoopt.yaml, only the new service's policy and
    config are written (in the folders the settings name) and autoopt.yaml is kept. No file
    is overwritten without --force. With --example quickstart, DIRECTORY (new or empty)
    becomes the README tour's repository instead.
    """
    if example is not None:
        from autoopt.demo.example import build_example, describe

        built = build_example(example, directory, now=parse_now(now_text))
        click.echo("\n".join(describe(built, directory)))
        return
    extra: dict[str, str] = {}
    if repository is not None and not _REPOSITORY.match(repository):
        raise click.BadParameter(f"{repository!r} is not OWNER/NAME", param_hint="--repository")
    if github:
        from autoopt.gitops.workflows import workflow_templates

        extra = workflow_templates()
        repository = repository or _remote_repository(directory)
    elif repository is not None:
        raise click.UsageError("--repository goes with --github")
    scaffold = Scaffold(service, model, policy, repository)
    result = write_scaffold(directory, scaffold, force=force, extra=extra)
    for rel in result.written:
        click.echo(f"wrote {directory / rel}")
    for rel in result.unchanged:
        click.echo(f"unchanged {directory / rel}")
    for rel in result.kept:
        click.echo(f"kept {directory / rel}: the repository's settings; the service was added")
    if github:
        _github_next(directory, result.settings, repository)
    click.echo(f"next: edit the policy, then `autoopt validate --repo {directory}`")


def _remote_repository(directory: Path) -> str | None:
    from autoopt.errors import GitOpsError
    from autoopt.gitops.repo import GitRepo
    from autoopt.gitops.workflows import github_repository

    try:
        url = GitRepo(directory).remote_url("origin") if directory.is_dir() else None
    except GitOpsError:
        return None
    return github_repository(url) if url else None


def _github_next(directory: Path, kept: Settings | None, repository: str | None) -> None:
    settings = directory / "autoopt.yaml"
    if kept is not None:
        if kept.spec.forge.type != "github":
            click.echo(
                f"note: {settings} is kept and its forge is {kept.spec.forge.type}: set "
                "forge.type: github and forge.repository: OWNER/NAME (docs/github.md)"
            )
    elif repository is None:
        click.echo(
            f"note: no GitHub remote origin found, so {settings} keeps the local forge: set "
            "forge.type: github and forge.repository: OWNER/NAME, or re-run with --repository"
        )
    click.echo(
        "next: allow Actions to open pull requests (Settings → Actions → General → Workflow "
        "permissions), commit .github/ and push"
    )
