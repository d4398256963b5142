"""``autoopt merge N``: merge (or close) a pull request of the local forge."""

from __future__ import annotations

from pathlib import Path

import click

from autoopt.cli.options import now_option, parse_now, repo_option
from autoopt.errors import ForgeError


@click.command("merge")
@click.argument("number", type=int)
@repo_option
@click.option("--close", "close_only", is_flag=True, help="Close the pull request unmerged.")
@now_option
def command(number: int, repo: Path, close_only: bool, now_text: str | None) -> None:
    """Merge local pull request NUMBER into its base branch (git merge --no-ff).

    The base branch must be checked out, clean and in step with the remote; after the merge
    it is pushed to the remote (with an expected old head) when the repository has one.
    With --close the pull request is closed without merging: autoopt will not propose the
    same params again during the policy's closed_pr_cooldown.
    """
    from autoopt.gitops import local
    from autoopt.gitops.repo import GitRepo
    from autoopt.spec.repository import load_repository

    settings = load_repository(repo).settings
    if settings.spec.forge.type != "local":
        raise ForgeError(
            f"autoopt merge works on the local forge; this repository uses "
            f"{settings.spec.forge.type}: merge the pull request there"
        )
    forge = local.LocalForge(GitRepo(repo), now=parse_now(now_text), author=settings.spec.bot.name)
    if close_only:
        pr = forge.close(number)
        click.echo(f"closed #{pr.number} ({pr.head}) without merging")
        return
    remote = settings.spec.defaults.remote
    pr = local.merge(forge, number, remote=remote)
    pushed = f"; pushed {pr.base} to {remote}" if forge.git.has_remote(remote) else ""
    click.echo(f"merged #{pr.number} ({pr.head}) into {pr.base}{pushed}")
