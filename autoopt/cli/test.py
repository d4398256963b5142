"""``autoopt test``: run the ``tests:`` cases of policies through the real decision engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autoopt.cli.options import format_option, repo_option
from autoopt.errors import ExitCode, Problem, SpecError, UserError

if TYPE_CHECKING:
    from autoopt.decide.policytest import CaseResult
    from autoopt.spec.load import Loaded
    from autoopt.spec.models import Policy, Strategy
    from autoopt.values import Candidate


@click.command("test")
@click.argument("policies", nargs=-1, metavar="[POLICY]...")
@repo_option
@click.option("--library", is_flag=True, help="Test the ready policies shipped with autoopt.")
@click.option("-v", "--verbose", is_flag=True, help="Show every case's decision and reasons.")
@format_option("table", "json")
def command(policies: tuple[str, ...], repo: Path, library: bool, verbose: bool, fmt: str) -> None:
    """Run the tests: cases of policies (default: every policy in the repository).

    POLICY is a policy file (tested on its own) or the name of a policy in --repo. Each case
    gives metric summaries per version and the decision expected; it runs through the same
    engine as `autoopt propose`. Exit 0 when every case passes, 1 otherwise.
    """
    from autoopt.decide.policytest import run_policy
    from autoopt.decide.rules import rule_problems

    targets = _targets(policies, repo, library)
    problems = [p for loaded, _, _ in targets for p in rule_problems(loaded)]
    if problems:
        raise SpecError(problems)
    results: list[CaseResult] = []
    for loaded, strategy, stable in targets:
        results.extend(run_policy(loaded.document, strategy, stable))
    click.echo(_render(fmt, results, len(targets), verbose))
    failed = any(not r.passed for r in results)
    raise click.exceptions.Exit(ExitCode.USER_ERROR if failed else ExitCode.OK)


Target = tuple["Loaded[Policy]", "Strategy", "Candidate | None"]


def _targets(names: tuple[str, ...], repo: Path, library: bool) -> list[Target]:
    from autoopt.spec.load import read_text
    from autoopt.spec.repository import library_root, load_repository

    if library:
        folder = library_root() / "library"
        entries = sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=_name)
        return [
            _standalone(
                e.read_bytes().decode("utf-8"), Path(e.name), f"<autoopt>/policies/library/{e.name}"
            )
            for e in entries
        ]
    paths = [Path(n) for n in names if Path(n).is_file()]
    out = [_standalone(read_text(p, str(p)), p, str(p)) for p in paths]
    named = [n for n in names if not Path(n).is_file()]
    if named or not names:
        loaded = load_repository(repo)
        chosen = [loaded.policy(n) for n in named] or list(loaded.policies.values())
        if not chosen:
            policy_dir = loaded.settings.spec.defaults.policy_dir
            raise UserError(f"no policies in {repo} (looked in {policy_dir}/)")
        for item in chosen:
            policy = item.document
            stable = loaded.config_for(policy).document.spec.stable
            out.append((item, loaded.strategy_for(policy), _candidate(policy, stable)))
    return out


def _name(entry: Any) -> str:
    return str(entry.name)


def _candidate(policy: Policy, stable: Any) -> Candidate:
    from autoopt.values import Candidate

    return Candidate(policy.spec.target.service, stable.version, stable.params.flat())


def _standalone(text: str, path: Path, display: str) -> Target:
    """A policy file on its own: validated alone, its strategy from the presets."""
    from autoopt.spec.load import load_string
    from autoopt.spec.repository import presets, resolve_strategy

    loaded: Loaded[Policy] = load_string(text, path=path, kind="Policy", display=display)
    policy = loaded.document
    ref = policy.spec.strategy
    try:
        strategy = resolve_strategy(ref, presets())
    except KeyError:
        name = ref if isinstance(ref, str) else ref.extends
        message = (
            f"unknown strategy {name!r} (a policy tested on its own can use the presets: "
            "conservative, balanced, aggressive)"
        )
        raise SpecError(
            [Problem(loaded.where("spec", "strategy"), "spec.strategy", message)]
        ) from None
    return loaded, strategy, None


def _render(fmt: str, results: list[CaseResult], policies: int, verbose: bool) -> str:
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    if fmt == "json":
        return json.dumps(
            {
                "ok": failed == 0,
                "passed": passed,
                "failed": failed,
                "cases": [
                    {
                        "policy": r.policy,
                        "name": r.name,
                        "passed": r.passed,
                        "detail": r.detail,
                        "decision": None if r.decision is None else r.decision.kind.value,
                        "reasons": []
                        if r.decision is None
                        else [x.code for x in r.decision.reasons],
                    }
                    for r in results
                ],
            },
            indent=2,
        )
    lines = []
    for r in results:
        lines.append(
            f"PASS {r.policy}: {r.name}" if r.passed else f"FAIL {r.policy}: {r.name}: {r.detail}"
        )
        if verbose and r.decision is not None:
            lines.append(f"  decision: {r.decision.kind.value}")
            lines.extend(f"  {x.code}: {x.message}" for x in r.decision.reasons)
    lines.append(
        f"{passed} passed, {failed} failed ({policies} polic{'y' if policies == 1 else 'ies'})"
    )
    return "\n".join(lines)
