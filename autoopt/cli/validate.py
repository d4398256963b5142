"""``autoopt validate``: every document checked, every problem located, all at once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from autoopt.cli.options import format_option, repo_option
from autoopt.errors import ExitCode, Problem, SpecError
from autoopt.spec.repository import Repository, count_documents, load_repository


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@format_option("table", "json", "github")
@click.option("--strict", is_flag=True, help="Fail on warnings as well as errors.")
def command(paths: tuple[Path, ...], repo: Path, fmt: str, strict: bool) -> None:
    """Check autoopt.yaml, policies/** and configs/** (or the given files).

    Every problem is reported at once as ``path:line:col: field: message``. With
    ``--format github`` problems become workflow annotations on the pull-request diff.
    Exit 0 when valid, 1 when any error (or, with --strict, any warning) was found.
    """
    problems, checked, notes = _check(repo, paths)
    errors = [p for p in problems if p.severity == "error"]
    failed = bool(errors) or (strict and bool(problems))
    click.echo(_render(fmt, problems, checked, notes, failed))
    raise click.exceptions.Exit(ExitCode.USER_ERROR if failed else ExitCode.OK)


def _check(repo: Path, paths: tuple[Path, ...]) -> tuple[list[Problem], int, list[str]]:
    from autoopt.decide.rules import rule_problems

    files = [p for p in paths if not p.is_dir()]
    roots = [p for p in paths if p.is_dir()] or ([] if files else [repo])
    problems: list[Problem] = []
    checked, notes = 0, []
    for root in roots:
        try:
            loaded = load_repository(root, extra=())
        except SpecError as exc:
            problems.extend(exc.problems)
            checked += count_documents(root)
            continue
        problems.extend(loaded.warnings)
        problems.extend(_model_warnings(loaded))
        checked += count_documents(root)
        for name, policy in sorted(loaded.policies.items()):
            problems.extend(rule_problems(policy))
            weights = policy.document.spec.normalised_weights()
            shown = ", ".join(f"{m} {w:.2f}" for m, w in weights.items())
            notes.append(f"{policy.display}: policy {name}: weights {shown}")
    if files:
        from autoopt.spec.load import load_document

        for file in files:
            checked += 1
            try:
                load_document(file)
            except SpecError as exc:
                problems.extend(exc.problems)
    return problems, checked, notes


def _model_warnings(repo: Repository) -> list[Problem]:
    """``search_space.model`` values that no config runs and the price catalog does not know."""
    from autoopt.metrics.pricing import price_for
    from autoopt.spec.search import unknown_models

    prices = repo.settings.spec.prices
    return unknown_models(repo, lambda model: price_for(model, overrides=prices) is not None)


def _render(fmt: str, problems: list[Problem], checked: int, notes: list[str], failed: bool) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if fmt == "json":
        return json.dumps(
            {
                "ok": not failed,
                "files": checked,
                "errors": errors,
                "warnings": warnings,
                "problems": [
                    {
                        "file": p.location.path,
                        "line": p.location.line,
                        "col": p.location.col,
                        "field": p.field,
                        "message": p.message,
                        "severity": p.severity,
                    }
                    for p in problems
                ],
            },
            indent=2,
        )
    if fmt == "github":
        lines = [
            f"::{p.severity} file={p.location.path},line={p.location.line},"
            f"col={p.location.col}::{_escape(f'{p.field}: {p.message}' if p.field else p.message)}"
            for p in problems
        ]
        return "\n".join([*lines, _summary(checked, errors, warnings)])
    lines = [f"{p}" if p.severity == "error" else f"{p} (warning)" for p in problems]
    return "\n".join([*lines, *notes, _summary(checked, errors, warnings)])


def _summary(checked: int, errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return f"ok: {checked} file(s) valid"
    return f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
