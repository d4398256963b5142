"""``autoopt review``: the predicted impact of every policy, config and settings change between
two refs; on a pull request inside GitHub Actions, a sticky comment and a check run too."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autoopt.cli.options import format_option, metrics_option, now_option, parse_now, repo_option
from autoopt.errors import ExitCode

if TYPE_CHECKING:
    from autoopt.gitops.actions import Actions
    from autoopt.gitops.github import GitHubForge
    from autoopt.review import Review


@click.command("review")
@click.option("--base", metavar="REF", help="What the change is compared with (the PR's base).")
@click.option("--head", metavar="REF", help="The change (the PR's head commit).")
@repo_option
@metrics_option
@format_option("markdown", "json", "table", default="markdown")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulation.")
@click.option(
    "--replicas",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Independent simulated runs; intervals come from their spread.",
)
@now_option
def command(
    base: str | None,
    head: str | None,
    repo: Path,
    metrics_src: str | None,
    fmt: str,
    seed: int,
    replicas: int,
    now_text: str | None,
) -> None:
    """Review every change to policies/, configs/ and autoopt.yaml between --base and --head.

    Each changed config: validated, its impact predicted against the current stable (the
    simulator calibrated on the metrics), the policy's hard constraints with their risk, and
    a verdict (within policy / breaks a hard constraint / cannot predict: why). Each changed
    policy: what it decides today against the old one. Inside GitHub Actions on a
    pull_request event, --base and --head default to the pull request's, and the review is
    posted as one sticky comment, the check run autoopt/review and the step summary.

    Exit 0 when reviewed (within policy, or cannot predict), 1 when a hard constraint is
    predicted broken beyond maxRisk or a document is invalid, 2 on wrong usage.
    """
    from autoopt.gitops.actions import Actions
    from autoopt.review import Outcome, render, review

    actions = Actions.from_env(os.environ)
    base, head = _refs(base, head, actions)
    now = parse_now(now_text)
    result = review(
        repo, base, head, metrics_src=metrics_src, now=now, seed=seed, replicas=replicas
    )
    if fmt == "json":
        click.echo(json.dumps(render.as_json(result), indent=2, allow_nan=False))
    else:
        click.echo(render.text(result) if fmt == "table" else render.markdown(result))
    if actions is not None:
        _report(actions, result, repo, now)
    raise click.exceptions.Exit(
        ExitCode.USER_ERROR if result.outcome is Outcome.FAILURE else ExitCode.OK
    )


def _pull(actions: Actions | None) -> Mapping[str, Any] | None:
    """The pull request of a ``pull_request`` (or ``pull_request_target``) event."""
    if actions is None or not actions.event_name.startswith("pull_request"):
        return None
    pull = actions.event.get("pull_request")
    return pull if isinstance(pull, Mapping) else None


def _refs(base: str | None, head: str | None, actions: Actions | None) -> tuple[str, str]:
    pull = _pull(actions)
    if pull is not None:
        base = base or str((pull.get("base") or {}).get("sha") or "") or None
        head = head or str((pull.get("head") or {}).get("sha") or "") or None
    missing = [name for name, value in (("--base", base), ("--head", head)) if not value]
    if missing:
        raise click.UsageError(
            f"give {' and '.join(missing)} (a branch, tag or commit; on a pull_request event "
            "they default to the pull request's)"
        )
    assert base is not None and head is not None
    return base, head


def _report(actions: Actions, result: Review, repo: Path, now: datetime) -> None:
    """The step summary; on a pull request also the sticky comment and the check run (a
    token that may not write — a pull request from a fork — is a warning, not a failure)."""
    from autoopt.gitops.actions import annotation
    from autoopt.gitops.github import GitHubAPIError
    from autoopt.review import render
    from autoopt.review.publish import publish

    actions.add_summary(render.markdown(result))
    actions.set_outputs({"summary": render.headline(result), "conclusion": result.outcome.value})
    pull = _pull(actions)
    if pull is None:
        return
    number, sha = int(pull["number"]), str(pull["head"]["sha"])
    forge = _forge(repo, actions, os.environ)
    try:
        done = publish(result, forge, number=number, sha=sha, now=now)
    except GitHubAPIError as exc:
        if exc.status != 403:
            raise
        message = f"{exc}: the token may not write here (a pull request from a fork?)"
        click.echo(annotation("warning", message, title="autoopt review not posted"), err=True)
        return
    click.echo(
        f"posted on #{done.pull_request}: check run {done.check_run} ({done.conclusion})", err=True
    )


def _forge(repo: Path, actions: Actions, env: Mapping[str, str]) -> GitHubForge:
    """GitHub as autoopt.yaml's forge names it, else as the Actions environment does."""
    from autoopt.errors import ForgeError
    from autoopt.gitops.github import GitHubForge
    from autoopt.rollout.state import read_settings

    spec = read_settings(repo).spec.forge
    if spec.type == "github":
        api_url, repository, token_env = spec.api_url, spec.repository, spec.token_env
    else:
        api_url = env.get("GITHUB_API_URL", "https://api.github.com")
        repository, token_env = actions.repository, "GITHUB_TOKEN"
    token = env.get(token_env, "")
    if not token:
        raise ForgeError(f"review: the environment variable {token_env} (the token) is not set")
    return GitHubForge(api_url, repository, token, None)
