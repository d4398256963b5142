"""``apply``: carry out a :class:`ProposalPlan` with Renovate's manners.

One open pull request per service; a re-run updates the branch and the body in place; a branch
a person pushed to is left alone (the bot comments instead); a proposal a person closed is not
reopened with the same params during the policy's cooldown unless the evidence changed
materially. The commit is built completely in the object database, then pushed once.
"""

from __future__ import annotations

from datetime import datetime

from autoopt.errors import GitOpsError
from autoopt.gitops import render
from autoopt.gitops.forge import Forge, PullRequest
from autoopt.gitops.repo import GitRepo
from autoopt.propose.model import Action, ProposalPlan, ProposalResult, materially_changed

HUMAN_MARKER = "autoopt:human-edits"
SUPERSEDED_MARKER = "autoopt:superseded"


def apply(plan: ProposalPlan, git: GitRepo, forge: Forge) -> ProposalResult:
    """Make the branch, the commit and the pull request that ``plan`` describes."""
    git.ensure_clean()
    if plan.request is None or plan.branch is None or plan.new_text is None:
        return ProposalResult("no_change", "nothing to propose")
    branch = plan.branch
    if git.current_branch() == branch:
        raise GitOpsError(f"branch {branch} is checked out; switch to {plan.base} first")
    remote = plan.remote if git.has_remote(plan.remote) else None
    base_sha = _base(plan, git, remote)
    blocked = _blocked(plan, forge)
    if blocked is not None:
        return blocked
    existing = git.fetch(remote, branch) if remote else git.branch_sha(branch)
    if existing is not None:
        humans = _human_authors(plan, git, base_sha, existing)
        if humans:
            return _leave_alone(plan, forge, existing, humans)
    sha = git.commit_files(
        base_sha,
        {plan.config_path: plan.new_text},
        plan.commit_message,
        author=plan.bot,
        now=plan.now,
    )
    if existing is not None and _same_change(git, existing, sha):
        sha = existing  # same content on the same base: keep the commit, no push
    pushed = False
    if sha != existing:
        if remote:
            git.push(remote, branch, sha, expected=existing)
            pushed = True
        local = git.branch_sha(branch)
        git.set_branch(branch, sha, expected=local)
    elif git.branch_sha(branch) != sha:
        git.set_branch(branch, sha, expected=git.branch_sha(branch))
    pr, created = forge.upsert_pr(plan.request)
    action: Action = "created" if created else "updated"
    where = f"{remote}/{branch}" if remote else branch
    return ProposalResult(
        action,
        f"{action} pull request #{pr.number} ({pr.url}) from {where} at {sha[:12]}",
        branch=branch,
        sha=sha,
        pushed=pushed,
        pr=pr,
    )


def _base(plan: ProposalPlan, git: GitRepo, remote: str | None) -> str:
    """The base commit: the remote's base branch when there is a remote, else the local one.

    The config on that commit must be the text the plan edited, or the edit would silently
    undo someone else's change.
    """
    sha = git.fetch(remote, plan.base) if remote else None
    sha = sha or git.branch_sha(plan.base)
    if sha is None:
        raise GitOpsError(f"base branch {plan.base} does not exist")
    where = f"{remote}/{plan.base}" if remote else plan.base
    if git.show(sha, plan.config_path) != plan.old_text:
        raise GitOpsError(
            f"{plan.config_path} on {where} differs from the one read; pull (or commit) first"
        )
    return sha


def _same_change(git: GitRepo, existing: str, sha: str) -> bool:
    mine = git.log([sha], max_count=1)[0]
    theirs = git.log([existing], max_count=1)[0]
    return (
        git.tree(existing) == git.tree(sha)
        and mine.parents == theirs.parents
        and (mine.message == theirs.message)
    )


def _blocked(plan: ProposalPlan, forge: Forge) -> ProposalResult | None:
    """Another open proposal for the service, or a recent rejection of this one."""
    assert plan.branch is not None and plan.request is not None
    prefix = f"autoopt/{plan.service}/"
    for pr in forge.list_prs(state="open"):
        if pr.head.startswith(prefix) and pr.head != plan.branch:
            _comment_superseded(plan, forge, pr)
            return ProposalResult(
                "kept_existing",
                f"pull request #{pr.number} ({pr.head}) is still open for {plan.service}; "
                "commented on it instead of opening a second one",
                branch=pr.head,
                pr=pr,
            )
    if forge.find_pr(plan.branch, state="open") is not None:
        return None
    closed = forge.find_pr(plan.branch, state="closed")
    if closed is None or closed.state != "closed" or not closed.closed_at:
        return None
    closed_at = datetime.fromisoformat(closed.closed_at.replace("Z", "+00:00"))
    if plan.now - closed_at >= plan.cooldown:
        return None
    if materially_changed(_fingerprint(closed.body), plan.fingerprint):
        return None
    until = closed_at + plan.cooldown
    return ProposalResult(
        "cooldown",
        f"pull request #{closed.number} with these params was closed at {closed.closed_at}; "
        f"not proposing them again before {until.isoformat()} unless the evidence changes",
        branch=plan.branch,
        pr=closed,
    )


def _fingerprint(body: str) -> dict[str, float] | None:
    meta = render.read_metadata(body)
    found = meta.get("fingerprint") if meta else None
    return found if isinstance(found, dict) else None


def _comment_superseded(plan: ProposalPlan, forge: Forge, pr: PullRequest) -> None:
    proposal = plan.decision.proposal
    assert proposal is not None
    text = render.render(
        "superseded.md.j2",
        {
            "version": proposal.target.version,
            "service": plan.service,
            "summary": plan.commit_message.split("\n\n")[1],
        },
    )
    forge.comment(pr.number, text, marker=SUPERSEDED_MARKER)


def _human_authors(plan: ProposalPlan, git: GitRepo, base: str, head: str) -> list[str]:
    commits = git.commits_between(base, head)
    others = [c for c in commits if c.author_email.lower() != plan.bot.email.lower()]
    return sorted({f"{c.author_name} <{c.author_email}>" for c in others})


def _leave_alone(
    plan: ProposalPlan, forge: Forge, existing: str, humans: list[str]
) -> ProposalResult:
    assert plan.branch is not None and plan.decision.proposal is not None
    pr = forge.find_pr(plan.branch, state="open")
    if pr is not None:
        text = render.render(
            "human_edits.md.j2",
            {
                "branch": plan.branch,
                "authors": humans,
                "version": plan.decision.proposal.target.version,
                "summary": plan.commit_message.split("\n\n")[1],
            },
        )
        forge.comment(pr.number, text, marker=HUMAN_MARKER)
    return ProposalResult(
        "left_alone",
        f"{plan.branch} has commits by {', '.join(humans)}; left it alone"
        + (f" and commented on #{pr.number}" if pr else ""),
        branch=plan.branch,
        sha=existing,
        pr=pr,
    )
