"""``autoopt propose``: decide for one policy and open (or update) the pull request."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autoopt.cli.options import format_option, metrics_option, now_option, parse_now, repo_option
from autoopt.errors import GitOpsError

if TYPE_CHECKING:
    from autoopt.propose import ProposalPlan, ProposalResult
    from autoopt.values import Reason


@click.command("propose")
@click.option("--policy", required=True, metavar="NAME", help="Policy name (or path).")
@repo_option
@click.option(
    "--forge",
    "forge_type",
    type=click.Choice(["github", "local"]),
    default=None,
    help="Override forge.type of autoopt.yaml for this run.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@format_option("markdown", "table", "json", default="markdown")
@metrics_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search.")
@click.option("--simulate", "simulate_flag", is_flag=True,
              help="Simulate the proposal (calibrated traffic) for the PR body.")  # fmt: skip
@now_option
def command(  # noqa: PLR0913, PLR0917 -- one parameter per option
    policy: str,
    repo: Path,
    forge_type: str | None,
    dry_run: bool,
    fmt: str,
    metrics_src: str | None,
    seed: int,
    simulate_flag: bool,
    now_text: str | None,
) -> None:
    """Evaluate POLICY's service and propose the best qualifying config as a pull request.

    The proposal is a branch autoopt/<service>/<version> with one commit that starts a
    staged rollout in the service's config, and a pull request carrying the evidence. Running
    it again updates the same branch and pull request. With --dry-run nothing is written.

    The branch is pushed to the remote named by defaults.remote in autoopt.yaml (origin
    unless set); the result line names that remote, its URL and the branch. Without such a
    remote (and with the local forge) the branch stays in this repository.
    """
    from autoopt import propose
    from autoopt.controls import blocked_for
    from autoopt.spec.repository import load_repository

    now = parse_now(now_text)
    documents = load_repository(repo)
    service = documents.policy(policy).document.spec.target.service
    blocked = blocked_for(documents, service)
    if blocked is not None:  # the controls hold: no metrics read, nothing written
        click.echo(
            render_skipped(documents.policy(policy).document.metadata.name, service, blocked, fmt)
        )
        return
    decision = propose.decide_for(
        documents, policy, metrics_src=metrics_src, now=now, seed=seed, env=os.environ
    )
    simulation = (
        propose.simulation_for(repo, policy, decision, metrics_src=metrics_src, seed=seed)
        if simulate_flag
        else None
    )
    plan = propose.plan(documents, policy, decision, now=now, simulation=simulation)
    result = None if dry_run else _apply(plan, repo, documents.settings, forge_type, now)
    if fmt == "json":
        click.echo(json.dumps(propose.as_json(plan, result), indent=2, ensure_ascii=False))
    else:
        click.echo(render_markdown(plan, result))


def _apply(
    plan: ProposalPlan, repo: Path, settings: object, forge_type: str | None, now: datetime
) -> ProposalResult:
    from autoopt import propose
    from autoopt.gitops.forges import make_forge
    from autoopt.gitops.repo import GitRepo
    from autoopt.spec.models import Settings

    assert isinstance(settings, Settings)
    git = GitRepo(repo)
    forge = make_forge(settings, git, env=os.environ, now=now, override=forge_type)
    remote = settings.spec.defaults.remote
    if (forge_type or settings.spec.forge.type) == "github" and not git.has_remote(remote):
        raise GitOpsError(
            f"forge github needs the branch pushed, but there is no remote {remote!r}"
        )
    return propose.apply(plan, git, forge)


def render_skipped(policy: str, service: str, reason: Reason, fmt: str) -> str:
    """A proposal the controls stopped: one line (or the JSON contract with ``skipped``)."""
    if fmt == "json":
        data: dict[str, object] = {
            "decision": "skipped",
            "service": service,
            "policy": policy,
            "from": None,
            "to": None,
            "predicted": {},
            "confidence": None,
            "risk": None,
            "reasons": [{"code": reason.code, "message": reason.message}],
            "plan": None,
        }
        return json.dumps(data, indent=2, ensure_ascii=False)
    return f"{service} (policy {policy}): skipped: {reason.message}"


def render_markdown(plan: ProposalPlan, result: ProposalResult | None) -> str:
    decision = plan.decision
    lines = [f"# {plan.service} (policy {plan.policy}): {decision.kind.value}", ""]
    lines += [f"- `{r.code}`: {r.message}" for r in decision.reasons]
    if plan.request is not None:
        lines += [
            "",
            f"Branch: `{plan.branch}` → `{plan.base}`",
            "",
            "## Commit message",
            "",
            "```",
            plan.commit_message.rstrip("\n"),
            "```",
            "",
            "## Diff",
            "",
            "```diff",
            plan.diff.rstrip("\n"),
            "```",
            "",
            f"## Pull request: {plan.request.title}",
            "",
            plan.body.rstrip("\n"),
        ]
    if result is not None:
        lines += ["", f"Result: {result.action}: {result.message}"]
    elif plan.request is not None:
        lines += ["", "Dry run: nothing was changed."]
    return "\n".join(lines)
