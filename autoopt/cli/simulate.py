"""``autoopt simulate``: a scenario as written, a what-if comparison, or a rollout backtest."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autoopt.cli.options import (
    DURATION,
    SIMULATED_TIME,
    checked_by,
    format_option,
    metrics_option,
    repo_option,
)
from autoopt.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from autoopt.simulate import Backtest, Run, Setup, WhatIf
    from autoopt.values import Estimate

OUT_SUFFIXES = (".parquet", ".csv")


@click.command("simulate")
@click.option(
    "--scenario",
    "scenario_ref",
    metavar="FILE|NAME",
    help="A scenario file, or a library name (steady, diurnal, burst, …).",
)
@click.option(
    "--policy",
    "policy_ref",
    metavar="NAME",
    help="Calibrate on this policy's service in the metrics (and take its config and strategy).",
)
@repo_option
@metrics_option
@click.option(
    "--candidate",
    metavar="VERSION",
    help="What-if: a version from the config's history, against stable on the same requests.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE[,…]",
    callback=checked_by("autoopt.simulate.inputs:parse_sets"),
    help="What-if: params over stable (or --candidate); YAML scalars.",
)
@click.option("--duration", type=SIMULATED_TIME, help="Simulated time, e.g. 30m, 2h, 1d.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every draw.")
@click.option(
    "--replicas",
    type=click.IntRange(1, 10_000),
    default=1,
    show_default=True,
    help="Independent runs; intervals come from their spread.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Keep the generated metrics (.parquet or .csv).",
)
@click.option("--rollout", is_flag=True, help="Backtest the staged rollout with the real judge.")
@click.option(
    "--strategy",
    "strategy_name",
    metavar="NAME",
    help="--rollout: a strategy (default: the policy's, or balanced).",
)
@click.option(
    "--check-every",
    type=DURATION,
    default="1m",
    show_default=True,
    help="--rollout: how often the judge looks.",
)
@click.option(
    "--inject",
    multiple=True,
    metavar="FAULT",
    callback=checked_by("autoopt.simulate.inputs:parse_inject", each=True),
    help="--rollout: a regression of the canary: latency=+30%, error=+5pp, quality=-10%.",
)
@format_option("table", "json", "markdown")
def command(**options: Any) -> None:
    """Simulate traffic: as the scenario says, stable against a candidate on the same requests
    (--candidate / --set), or a whole staged rollout judged by the strategy's judge and the
    two baselines (--rollout, with faults from --inject).

    The scenario is --scenario, or calibrated on the --policy's metrics with the config's
    stable params.
    """
    from autoopt import simulate

    fmt, out = options["fmt"], options["out"]
    if out is not None and out.suffix not in OUT_SUFFIXES:
        raise UserError(f"--out {out}: expected a .parquet or .csv file")
    if not options["rollout"]:
        for name in ("inject", "strategy_name"):
            if options[name]:
                raise UserError(f"--{name.split('_')[0]} needs --rollout")
    setup = simulate.prepare(
        scenario_ref=options["scenario_ref"],
        repo_root=options["repo"],
        policy_ref=options["policy_ref"],
        metrics_src=options["metrics_src"],
        duration=options["duration"],
    )
    sets = simulate.parse_sets(options["sets"])
    with _progress(fmt) as tick:
        if options["rollout"]:
            text, frame = _backtest(setup, sets, options, tick)
        else:
            text, frame = _what_if_or_run(setup, sets, options, tick)
    if out is not None:
        _write(out, frame)
    click.echo(text)


def _what_if_or_run(
    setup: Setup, sets: dict[str, Any], options: dict[str, Any], tick: Callable[[float], None]
) -> tuple[str, pd.DataFrame]:
    from autoopt import simulate

    candidate = simulate.pick_candidate(setup, options["candidate"], sets)
    seed, fmt = options["seed"], options["fmt"]
    if candidate is None:
        if options["replicas"] != 1:
            raise UserError("--replicas needs a what-if (--candidate or --set) or --rollout")
        result = simulate.run(setup.scenario, seed=seed, progress=tick)
        return render_run(result, setup, fmt), result.frame
    compared, frame = simulate.what_if(
        setup.scenario,
        candidate.params,
        candidate_version=candidate.version,
        seed=seed,
        replicas=options["replicas"],
        progress=tick,
    )
    return render_what_if(compared, setup, fmt), frame


def _backtest(
    setup: Setup, sets: dict[str, Any], options: dict[str, Any], tick: Callable[[float], None]
) -> tuple[str, pd.DataFrame]:
    from autoopt import simulate
    from autoopt.simulate.backtest import rollout_scenario
    from autoopt.simulate.inputs import canary_faults
    from autoopt.simulate.setup import require_canary

    candidate = require_canary(
        simulate.pick_candidate(setup, options["candidate"], sets, canary=True)
    )
    name, spec = simulate.pick_strategy(setup, options["strategy_name"])
    check_every = options["check_every"]
    injections = [simulate.parse_inject(text) for text in options["inject"]]
    faults = canary_faults(injections, setup.scenario, candidate.params.model)
    scenario = rollout_scenario(
        setup.scenario, candidate.params, candidate.version, spec, check_every, faults
    )
    result, frame = simulate.backtest(
        scenario,
        spec,
        strategy=name,
        seed=options["seed"],
        replicas=options["replicas"],
        injected=options["inject"],
        tick=lambda done, total: tick(done / total),
    )
    return render_backtest(result, setup, options["fmt"]), frame


@contextmanager
def _progress(fmt: str) -> Iterator[Callable[[float], None]]:
    """A rich progress bar on a terminal (table output only); silent otherwise."""
    if fmt != "table" or not sys.stdout.isatty():
        yield lambda _fraction: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)
        yield lambda fraction: bar.update(task, completed=fraction)


def _write(out: Path, frame: pd.DataFrame) -> None:
    import io

    from autoopt.spec.files import write_atomic

    if out.suffix == ".csv":
        write_atomic(out, frame.to_csv(index=False))
        return
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(out, buffer.getvalue())


# ------------------------------------------------------------------------------ rendering


def _num(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _est(estimate: Estimate | None) -> dict[str, float | None] | None:
    if estimate is None:
        return None
    return {k: _num(v) for k, v in estimate.as_dict().items()}


def _cell(metric: str, estimate: Estimate | None) -> str:
    if estimate is None:
        return "—"
    if metric == "error_rate":
        return f"{estimate.value:.2%} [{estimate.low:.2%}, {estimate.high:.2%}]"
    return f"{estimate.value:.4g} [{estimate.low:.4g}, {estimate.high:.4g}]"


def _delta(metric: str, delta: Estimate | None) -> str:
    if delta is None:
        return "—"
    if metric == "error_rate":
        scale, unit = 100.0, "pp"
    else:
        scale, unit = 100.0, "%"
    low = "−∞" if not math.isfinite(delta.low) else f"{delta.low * scale:+.1f}"
    high = "+∞" if not math.isfinite(delta.high) else f"{delta.high * scale:+.1f}"
    return f"{delta.value * scale:+.1f}{unit} [{low}, {high}]"


def render_what_if(result: WhatIf, setup: Setup, fmt: str) -> str:
    if fmt == "json":
        data = {
            "mode": "what_if",
            "scenario": result.scenario,
            "source": setup.source,
            "seed": result.seed,
            "replicas": result.replicas,
            "duration_s": result.duration.total_seconds(),
            "stable": {"version": result.stable, "params": setup.stable.flat()},
            "candidate": {"version": result.candidate, "params": dict(result.candidate_params)},
            "requests": result.requests,
            "metrics": {
                r.metric: {
                    "stable": _est(r.stable),
                    "candidate": _est(r.candidate),
                    "delta": _est(r.delta),
                }
                for r in result.rows
            },
            "events": dict(result.events),
        }
        return json.dumps(data, indent=2, allow_nan=False)
    head = ["metric", result.stable, result.candidate, "delta [95% CI]"]
    rows = [
        [
            r.metric,
            _cell(r.metric, r.stable),
            _cell(r.metric, r.candidate),
            _delta(r.metric, r.delta),
        ]
        for r in result.rows
    ]
    title = (
        f"what-if on {result.scenario} ({setup.source}): {result.stable} vs {result.candidate}, "
        f"{result.requests} requests per arm, {result.replicas} replica(s), seed {result.seed}"
    )
    notes = [f"candidate params: {json.dumps(dict(result.candidate_params))}"]
    notes += [f"{kind}: {count}" for kind, count in sorted(result.events.items())]
    return _table(fmt, title, head, rows, notes)


def render_run(result: Run, setup: Setup, fmt: str) -> str:
    if fmt == "json":
        data = {
            "mode": "run",
            "scenario": result.scenario,
            "source": setup.source,
            "seed": result.seed,
            "duration_s": result.duration.total_seconds(),
            "versions": [
                {
                    "version": s.version,
                    "n": s.n,
                    "errors": s.errors,
                    "metrics": {m: _est(e) for m, e in sorted(s.metrics.items())},
                }
                for s in result.summaries
            ],
            "events": dict(result.events),
        }
        return json.dumps(data, indent=2, allow_nan=False)
    from autoopt.simulate.whatif import SHOWN

    head = ["metric", *(s.version for s in result.summaries)]
    rows = [["n", *(str(s.n) for s in result.summaries)]]
    rows += [[m, *(_cell(m, s.get(m)) for s in result.summaries)] for m in SHOWN]
    title = f"{result.scenario} ({setup.source}), seed {result.seed}"
    notes = [f"{kind}: {count}" for kind, count in sorted(result.events.items())]
    return _table(fmt, title, head, rows, notes)


def render_backtest(result: Backtest, setup: Setup, fmt: str) -> str:
    if fmt == "json":
        data = {
            "mode": "rollout",
            "scenario": result.scenario,
            "source": setup.source,
            "strategy": result.strategy,
            "seed": result.seed,
            "replicas": result.replicas,
            "duration_s": result.duration.total_seconds(),
            "check_every_s": result.check_every.total_seconds(),
            "stable": result.stable,
            "canary": result.canary,
            "steps": list(result.steps),
            "injected": list(result.injected),
            "judges": [r.__dict__ for r in result.rows],
            "rollouts": [r.__dict__ | {"reasons": list(r.reasons)} for r in result.rollouts],
        }
        return json.dumps(data, indent=2, allow_nan=False)
    head = [
        "judge",
        "promoted",
        "rolled back",
        "timed out",
        "unfinished",
        "median min to decision",
        "mean canary requests exposed",
    ]
    rows = [
        [
            r.method,
            f"{r.promoted:.0%}",
            f"{r.rolled_back:.0%}",
            f"{r.timed_out:.0%}",
            f"{r.unfinished:.0%}",
            "—" if r.median_minutes is None else f"{r.median_minutes:.1f}",
            f"{r.mean_exposed:.0f}",
        ]
        for r in result.rows
    ]
    injected = ", ".join(result.injected) or "nothing"
    title = (
        f"rollout backtest on {result.scenario} ({setup.source}): {result.stable} → "
        f"{result.canary}, strategy {result.strategy}, steps {list(result.steps)}, "
        f"injected {injected}, {result.replicas} rollout(s) per judge, seed {result.seed}"
    )
    notes = []
    if any(r.unfinished for r in result.rows):
        notes.append(
            "unfinished: the scenario ended before the final verdict; lengthen --duration "
            "(a stage may run up to the strategy's max_stage_time)"
        )
    return _table(fmt, title, head, rows, notes)


def _table(fmt: str, title: str, head: list[str], rows: list[list[str]], notes: list[str]) -> str:
    if fmt == "markdown":
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |"]
        lines.append("|" + "---|" * len(head))
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([*lines, "", *(f"- {n}" for n in notes)]).rstrip()
    import io

    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, name in enumerate(head):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(table)
    for note in notes:
        console.print(note, markup=False, highlight=False)
    return console.export_text().rstrip()
