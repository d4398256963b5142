"""``apply``: carry out a :class:`ProposalPlan` with Renovate's manners, for the whole life of
the pull request.

One open pull request per service; a re-run updates the branch and the body in place; a branch
a person pushed to is left alone (the bot comments instead); a proposal a person closed is not
reopened with the same params during the policy's cooldown unless the evidence changed
materially. The commit is built completely in the object database, then pushed once; a new
pull request's number is then written into the canary block (``proposal: '#N'``), so the
rollout after the merge knows its pull request. The head gets the ``autoopt/evidence`` commit
status. A newer proposal supersedes the open one, and a ``no_change`` decision makes it stale:
either way the old pull request gets one comment with the new numbers, a failing status, and
is closed; its branch is deleted when no person committed to it. A branch that was pushed but
whose pull request could not be opened is given it on the next run (``recovered``), or deleted
when the evidence moved on.
"""

from __future__ import annotations

from datetime import datetime

from autoopt.errors import GitOpsError, StaleHead
from autoopt.gitops import render
from autoopt.gitops.forge import Forge, PullRequest
from autoopt.gitops.repo import GitRepo
from autoopt.propose.model import Action, ProposalPlan, ProposalResult, materially_changed
from autoopt.propose.planning import with_proposal

HUMAN_MARKER = "autoopt:human-edits"
CLOSED_MARKER = "autoopt:closed"
EVIDENCE = "autoopt/evidence"  # the commit status on a proposal's head

#: ``no_change`` reasons that mean "not now" rather than "not this": they leave an open
#: proposal open (a guard, too little data, an optimizer that failed).
WAIT_CODES = frozenset(
    {
        "rollout_active",
        "max_changes_per_day",
        "cooldown",
        "rollback_cooldown",
        "insufficient_data",
        "no_baseline_metrics",
        "baseline_needs_evaluation",
        "search_failed",
    }
)


def apply(plan: ProposalPlan, git: GitRepo, forge: Forge) -> ProposalResult:
    """Make the branch, the commit and the pull request that ``plan`` describes."""
    git.ensure_clean()
    remote = plan.remote if git.has_remote(plan.remote) else None
    if plan.request is None or plan.branch is None or plan.new_text is None:
        return _no_change(plan, git, forge, remote)
    branch = plan.branch
    if git.current_branch() == branch:
        raise GitOpsError(f"branch {branch} is checked out; switch to {plan.base} first")
    base_sha = _base(plan, git, remote)
    mine = open_proposals(forge, plan.service)
    current = next((pr for pr in mine if pr.head == branch), None)
    if current is None:
        blocked = _cooldown(plan, forge)
        if blocked is not None:
            return blocked
    existing = git.fetch(remote, branch) if remote else git.branch_sha(branch)
    if existing is not None:
        humans = _human_authors(plan, git, base_sha, existing)
        if humans:
            return _leave_alone(plan, forge, existing, humans, current)
    orphan = existing is not None and current is None and forge.find_pr(branch, state="all") is None
    pr, created, sha, pushed = _publish(plan, git, forge, remote, base_sha, existing, current)
    forge.set_status(sha, "success", context=EVIDENCE, description=evidence_line(plan))
    notes = [retire(plan, git, forge, remote, old, newer=pr) for old in mine if old.head != branch]
    notes += clear_orphans(plan, git, forge, remote, keep={branch, *(p.head for p in mine)})
    action: Action = ("recovered" if orphan else "created") if created else "updated"
    message = f"{action} pull request #{pr.number} ({pr.url}) from {branch} at {sha[:12]}; " + (
        f"pushed {branch} to {remote} ({git.remote_url(remote) or '?'})"
        if remote
        else f"no remote {plan.remote!r}: the branch is in this repository only"
    )
    return ProposalResult(
        action, "; ".join([message, *notes]), branch=branch, sha=sha, pushed=pushed, pr=pr
    )


def _publish(
    plan: ProposalPlan,
    git: GitRepo,
    forge: Forge,
    remote: str | None,
    base_sha: str,
    existing: str | None,
    current: PullRequest | None,
) -> tuple[PullRequest, bool, str, bool]:
    """Push the commit and open (or update) the pull request; the canary block names it.

    A pull request's number is known only once it exists: an existing branch without one
    (pushed by a run whose pull request failed) gets it first; a new branch is pushed, its
    pull request opened, and the commit with the number pushed over it.
    """
    assert plan.request is not None
    if current is not None:
        ref = f"#{current.number}"
        sha, pushed = _commit_and_push(with_proposal(plan, ref), git, remote, base_sha, existing)
        pr, created = forge.upsert_pr(plan.request)
        return pr, created, sha, pushed
    first = existing is None
    if first:
        existing, _ = _commit_and_push(plan, git, remote, base_sha, None)
    pr, created = forge.upsert_pr(plan.request)
    linked = with_proposal(plan, f"#{pr.number}")
    sha, pushed = _commit_and_push(linked, git, remote, base_sha, existing)
    return pr, created, sha, pushed or (first and remote is not None)


def _commit_and_push(
    plan: ProposalPlan, git: GitRepo, remote: str | None, base_sha: str, existing: str | None
) -> tuple[str, bool]:
    """The proposal's one commit on ``base_sha``, pushed with ``existing`` as the lease."""
    assert plan.branch is not None and plan.new_text is not None
    branch = plan.branch
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
        git.set_branch(branch, sha, expected=git.branch_sha(branch))
    elif git.branch_sha(branch) != sha:
        git.set_branch(branch, sha, expected=git.branch_sha(branch))
    return sha, pushed


def evidence_line(plan: ProposalPlan) -> str:
    """The ``autoopt/evidence`` status description: the decision and its numbers, one line."""
    proposal = plan.decision.proposal
    if proposal is None:
        return f"{plan.decision.kind.value} for {plan.service}"
    improvement = render.percent(proposal.improvement.value)
    confidence = render.percent(proposal.confidence, signed=False)
    return (
        f"propose {proposal.target.version}: improvement {improvement} "
        f"(confidence {confidence}), risk {proposal.risk_level}"
    )


def open_proposals(forge: Forge, service: str) -> list[PullRequest]:
    """The open pull requests of the service's proposal branches (``autoopt/<service>/<v>``)."""
    return [pr for pr in forge.list_prs(state="open") if is_proposal(pr.head, service)]


def is_proposal(head: str, service: str) -> bool:
    parts = head.split("/")
    return len(parts) == 3 and parts[0] == "autoopt" and parts[1] == service


def closable(plan: ProposalPlan) -> bool:
    """A ``no_change`` on the evidence (not a guard saying "not now") makes proposals stale."""
    decision = plan.decision
    if decision.kind.value != "no_change":
        return False
    return not any(r.code in WAIT_CODES for r in decision.reasons)


def _no_change(
    plan: ProposalPlan, git: GitRepo, forge: Forge, remote: str | None
) -> ProposalResult:
    if not closable(plan):
        return ProposalResult("no_change", "nothing to propose")
    mine = open_proposals(forge, plan.service)
    notes = [retire(plan, git, forge, remote, pr, newer=None) for pr in mine]
    notes += clear_orphans(plan, git, forge, remote, keep={pr.head for pr in mine})
    if not mine:
        return ProposalResult("no_change", "; ".join(["nothing to propose", *notes]))
    return ProposalResult("closed", "; ".join(notes), branch=mine[0].head, pr=mine[0])


def retire(
    plan: ProposalPlan,
    git: GitRepo,
    forge: Forge,
    remote: str | None,
    pr: PullRequest,
    *,
    newer: PullRequest | None,
) -> str:
    """Comment why (the new numbers), mark the head failing, close; delete a bot-only branch."""
    head = git.fetch(remote, pr.head) if remote else git.branch_sha(pr.head)
    base = git.fetch(remote, plan.base) if remote else git.branch_sha(plan.base)
    humans = _human_authors(plan, git, base, head) if head and base else []
    proposal = plan.decision.proposal if newer is not None else None
    context = {
        "service": plan.service,
        "policy": plan.policy,
        "reasons": [{"code": r.code, "message": r.message} for r in plan.decision.reasons],
        "newer": None if newer is None else {"number": newer.number, "url": newer.url},
        "version": proposal.target.version if proposal is not None else "",
        "summary": plan.commit_message.split("\n\n")[1] if newer is not None else "",
        "branch": pr.head,
        "humans": humans,
        "now": plan.now.strftime("%Y-%m-%d %H:%M UTC"),
    }
    template = "superseded.md.j2" if newer is not None else "stale.md.j2"
    forge.comment(pr.number, render.render(template, context), marker=CLOSED_MARKER)
    if head is not None:
        why = f"superseded by #{newer.number}" if newer is not None else "stale: the evidence moved"
        forge.set_status(head, "failure", context=EVIDENCE, description=why)
    forge.close(pr.number)
    note = f"closed #{pr.number} ({'superseded' if newer else 'stale'})"
    if head is None or humans:
        return note + (f"; kept {pr.head} (commits by {', '.join(humans)})" if humans else "")
    return note + "; " + _delete(git, remote, pr.head, head)


def _delete(git: GitRepo, remote: str | None, branch: str, sha: str) -> str:
    try:
        git.delete_branch(remote, branch, expected=sha)
    except StaleHead:
        return f"kept {branch} (it moved meanwhile)"
    return f"deleted {branch}"


def clear_orphans(
    plan: ProposalPlan, git: GitRepo, forge: Forge, remote: str | None, *, keep: set[str]
) -> list[str]:
    """Delete the service's bot-only proposal branches that never got a pull request (the
    forge failed after the push, and the evidence moved on). Only on a shared forge: a local
    forge's pull requests live in one clone, so another clone's branch is not an orphan."""
    if remote is None or not getattr(forge, "shared", False):
        return []
    notes = []
    base = git.fetch(remote, plan.base)
    for name, sha in sorted(git.remote_branches(remote, f"autoopt/{plan.service}/").items()):
        if name in keep or not is_proposal(name, plan.service) or base is None:
            continue
        if forge.find_pr(name, state="all") is not None:
            continue  # a closed pull request's branch: what to do with it is a person's call
        git.fetch(remote, name)
        if not _human_authors(plan, git, base, sha):
            notes.append(_delete(git, remote, name, sha) + " (pushed, never opened)")
    return notes


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


def _cooldown(plan: ProposalPlan, forge: Forge) -> ProposalResult | None:
    """A recent rejection of these params by a person (closed unmerged) blocks them a while."""
    assert plan.branch is not None
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


def _human_authors(
    plan: ProposalPlan, git: GitRepo, base: str | None, head: str | None
) -> list[str]:
    if base is None or head is None:
        return []
    commits = git.commits_between(base, head)
    others = [c for c in commits if c.author_email.lower() != plan.bot.email.lower()]
    return sorted({f"{c.author_name} <{c.author_email}>" for c in others})


def _leave_alone(
    plan: ProposalPlan,
    forge: Forge,
    existing: str,
    humans: list[str],
    pr: PullRequest | None,
) -> ProposalResult:
    assert plan.branch is not None and plan.decision.proposal is not None
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
