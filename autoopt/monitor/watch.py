"""The post-promotion watch on real rows: the new stable since the promotion against the
previous version over the watch window's length just before it (the pre-change baseline),
judged by :mod:`autoopt.analyze.watch` — false rollbacks at most ``judge.alpha`` over the
whole window however often the cycle looks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from autoopt.analyze.watch import Side, WatchSettings, checks, reasons
from autoopt.spec.models import LLMConfig, Strategy, Triggers
from autoopt.values import Reason

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_BASELINE = timedelta(minutes=30)


def watch_triggers(triggers: Triggers) -> dict[str, float]:
    """The strategy's rollback triggers, keyed as the stage judge keys them."""
    from autoopt.decide.judge import configured

    return configured(triggers)


def _moments(values: np.ndarray) -> tuple[int, float, float]:
    data = values[np.isfinite(values)]
    if data.size < 2:
        return int(data.size), float("nan"), float("nan")
    return int(data.size), float(data.mean()), float(data.var(ddof=1))


def _side(rows: pd.DataFrame, baseline_p95: float | None) -> Side:
    failed = rows["error"].to_numpy(dtype=bool)
    ok = rows.loc[~failed, "latency_ms"].to_numpy(dtype="float64")
    p95 = float(np.quantile(ok, 0.95, method="inverted_cdf")) if ok.size else float("nan")
    slow = int(np.count_nonzero(ok > baseline_p95)) if baseline_p95 is not None else 0
    columns = {c: rows[c].to_numpy(dtype="float64") for c in ("quality", "cost_usd") if c in rows}
    empty = np.array([], dtype="float64")
    return Side(
        n=len(rows),
        errors=int(failed.sum()),
        p95=p95,
        slow=slow,
        quality=_moments(columns.get("quality", empty)),
        cost=_moments(columns.get("cost_usd", empty)),
    )


def watch_evidence(
    rows: pd.DataFrame | None, config: LLMConfig, strategy: Strategy, now: datetime
) -> tuple[bool, tuple[Reason, ...]]:
    """(roll back?, the reasons) for a config inside its watch window at ``now``."""
    previous = config.spec.previous
    assert previous is not None
    at, stable = previous.promoted_at, config.spec.stable.version
    length = strategy.spec.rollout.watch or DEFAULT_BASELINE
    if rows is None or len(rows) == 0:
        return False, (Reason("insufficient_data", "no requests since the promotion yet"),)
    stamps, versions = rows["timestamp"], rows["version"]
    before_rows = rows.loc[(versions == previous.version) & (stamps >= at - length) & (stamps < at)]
    after_rows = rows.loc[(versions == stable) & (stamps >= at) & (stamps < now)]
    before = _side(before_rows, None)
    after = _side(after_rows, before.p95 if np.isfinite(before.p95) else None)
    settings = WatchSettings(
        alpha=strategy.spec.judge.alpha,
        triggers=watch_triggers(strategy.spec.triggers),
        min_sample=strategy.spec.judge.min_sample,
    )
    found = checks(before, after, settings)
    rollback = any(bool(c.rollback) for c in found)
    why = reasons(found, before, after)
    if min(before.n, after.n) < settings.min_sample:
        minutes = int(length.total_seconds() // 60)
        words = (
            f"{before.n} request(s) of {previous.version} in the {minutes} minutes before the "
            f"promotion, {after.n} of {stable} since; {settings.min_sample} needed on each side"
        )
        why = (Reason("insufficient_data", words), *why)
    return rollback, why
