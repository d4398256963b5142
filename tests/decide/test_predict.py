from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from autoopt.decide.choose import choose
from autoopt.decide.decision import DecisionKind
from autoopt.decide.predict import predict
from autoopt.spec.models import Prior
from autoopt.values import QUANTILE_GRID, Estimate, ModelProfile, Price
from tests.decide.helpers import CURRENT, context, policy_doc, strategy, summary


def uniform(low: float, high: float) -> tuple[float, ...]:
    return tuple(low + q * (high - low) for q in QUANTILE_GRID)


def profile(
    model: str = "m",
    *,
    out: tuple[float, ...] = uniform(0, 1000),
    tokens_in: tuple[float, ...] = uniform(100, 300),
    truncated_at: int | None = None,
    resid: float = 0.0,
    quality: Estimate | None = None,
    n: int = 10_000,
    errors: int = 100,
) -> ModelProfile:
    return ModelProfile(
        model=model,
        n=n,
        errors=errors,
        ttft_ms=Estimate.exact(200.0),
        ms_per_token=Estimate.exact(2.0),
        overhead_ms=Estimate.exact(50.0),
        latency_residual_sd=resid,
        tokens_in=tokens_in,
        tokens_out=out,
        truncated_at=truncated_at,
        quality=quality,
        requests_per_day=10_000,
    )


PRICE = Price(input_per_token=1e-6, output_per_token=4e-6, source="test")


def run(params: dict[str, object], prof: ModelProfile, **kw: object) -> dict[str, Estimate]:
    found = predict(
        params, profiles={prof.model: prof}, prices={prof.model: PRICE}, priors={}, **kw
    )  # type: ignore[arg-type]
    return dict(found.metrics)


def test_max_tokens_truncates_the_output_distribution() -> None:
    full = run({"model": "m"}, profile())
    capped = run({"model": "m", "max_tokens": 400}, profile())
    assert full["tokens_out_mean"].value == pytest.approx(500.0)
    # E[min(U(0,1000), 400)] = 400 − 400² / 2000 = 320
    assert capped["tokens_out_mean"].value == pytest.approx(320.0)
    assert capped["cost_per_request"].value == pytest.approx(200 * 1e-6 + 320 * 4e-6)


def test_standard_error_of_mean_tokens() -> None:
    est = run({"model": "m"}, profile())["tokens_out_mean"]
    assert est.se == pytest.approx(1000 / np.sqrt(12) / 100, rel=0.01)  # sd of U(0,1000) / √n


def test_raising_max_tokens_beyond_observed_cap_widens_the_interval() -> None:
    # 20% of outputs were cut at 512: quantiles flat at 512 from 0.8 upwards
    out = tuple(min(512.0, q * 640) for q in QUANTILE_GRID)
    prof = profile(out=out, truncated_at=512)
    same = run({"model": "m", "max_tokens": 512}, prof)["tokens_out_mean"]
    more = run({"model": "m", "max_tokens": 1024}, prof)["tokens_out_mean"]
    low_mean, high_mean = same.value, same.value + 0.2 * (1024 - 512)
    assert more.value == pytest.approx((low_mean + high_mean) / 2, rel=0.01)
    assert more.low < low_mean < high_mean < more.high


def test_latency_quantiles_follow_the_linear_model() -> None:
    constant = tuple(300.0 for _ in QUANTILE_GRID)
    got = run({"model": "m"}, profile(out=constant, resid=100.0))
    base = 50 + 200 + 2 * 300
    z = NormalDist()
    assert got["latency_p50_ms"].value == pytest.approx(base, abs=1)
    assert got["latency_p95_ms"].value == pytest.approx(base + 100 * z.inv_cdf(0.95), rel=0.01)
    assert got["latency_p99_ms"].value == pytest.approx(base + 100 * z.inv_cdf(0.99), rel=0.02)
    spread = run({"model": "m", "max_tokens": 500}, profile())
    assert spread["latency_p95_ms"].value == pytest.approx(250 + 2 * 500, rel=0.01)


def test_error_rate_and_quality_only_from_evidence() -> None:
    got = run({"model": "m"}, profile(errors=100, n=10_000))
    assert got["error_rate"].value == pytest.approx(0.01)
    assert got["error_rate"].se == pytest.approx(np.sqrt(0.01 * 0.99 / 10_000))
    assert "quality" not in got
    with_data = run({"model": "m"}, profile(quality=Estimate(88, 87, 89)))
    assert with_data["quality"].value == 88


def test_priors_fill_what_data_lacks_and_unknown_models_borrow_tokens() -> None:
    found = predict(
        {"model": "new", "max_tokens": 400},
        profiles={"m": profile()},
        prices={"new": PRICE},
        priors={"new": {"quality": Prior(mean=86, sd=2)}},
        fallback_model="m",
        requests_per_day=1000,
    )
    metrics = found.metrics
    assert metrics["quality"].value == 86 and metrics["quality"].se == 2
    assert metrics["cost_per_request"].value == pytest.approx(200e-6 + 320 * 4e-6)
    assert metrics["daily_cost_usd"].value == pytest.approx(1000 * (200e-6 + 320 * 4e-6))
    assert "latency_p95_ms" not in metrics and "error_rate" not in metrics
    assert found.notes == ("new: no token metrics; tokens assumed as for m",)


def test_choose_proposes_a_predicted_point_only_with_quality_evidence() -> None:
    profiles = {
        "gpt-4o": profile("gpt-4o", quality=Estimate(90, 89.5, 90.5)),
        "mini": profile("mini"),
    }
    prices = {"gpt-4o": Price(2.5e-6, 10e-6, "t"), "mini": Price(0.15e-6, 0.6e-6, "t")}
    rows = [
        summary("v7", n=5000, params=dict(CURRENT.params), cost_per_request=0.0055, quality=90.0)
    ]
    space = {"model": ["gpt-4o", "mini"], "max_tokens": [512, 1024]}

    def go(**spec: object) -> object:
        return choose(
            rows,
            policy_doc(search_space=space, **spec),
            strategy(),
            current=CURRENT,
            context=context(),
            profiles=profiles,
            prices=prices,
            seed=3,
        )

    blind = go()
    assert blind.kind is DecisionKind.NO_CHANGE  # type: ignore[attr-defined]
    assert [r.message for r in blind.reasons[:-1]] == [  # type: ignore[attr-defined]
        "predictions calibrated to v7: cost_per_request ×1",
        "gpt-4o: max_tokens 512 cuts 49% of observed outputs; measured quality not carried over",
    ]
    assert blind.reasons[-1].code == "needs_evaluation"  # type: ignore[attr-defined]
    informed = go(priors={"mini": {"quality": {"mean": 88, "sd": 0.5}}})
    assert informed.kind is DecisionKind.PROPOSE  # type: ignore[attr-defined]
    proposal = informed.proposal  # type: ignore[attr-defined]
    assert proposal.target.params["model"] == "mini"
    assert proposal.risk_level == "medium"  # predicted, never "low"
    assert all(a.predicted for a in informed.assessments[1:])  # type: ignore[attr-defined]


def test_search_failure_degrades_to_no_change() -> None:
    broken = profile("gpt-4o", out=())
    rows = [
        summary("v7", n=5000, params=dict(CURRENT.params), cost_per_request=0.0055, quality=90.0)
    ]
    decision = choose(
        rows,
        policy_doc(search_space={"model": ["gpt-4o", "mini"]}),
        strategy(),
        current=CURRENT,
        context=context(),
        profiles={"gpt-4o": broken},
        prices={"gpt-4o": PRICE},
    )
    assert decision.kind is DecisionKind.NO_CHANGE
    assert decision.degraded == ("search_failed",)
    assert [r.code for r in decision.reasons] == ["search_failed"]


def test_predictions_are_calibrated_to_the_measured_current_version() -> None:
    gpt = profile("gpt-4o", quality=Estimate(90, 89.5, 90.5))
    mini = profile("mini", quality=Estimate(89, 88.5, 89.5))
    prices = {"gpt-4o": Price(2.5e-6, 10e-6, "t"), "mini": Price(0.15e-6, 0.6e-6, "t")}
    # the model predicts 0.0055 and 1000 + 250 ms for the current config; production measured more
    rows = [
        summary(
            "v7",
            n=5000,
            params=dict(CURRENT.params),
            cost_per_request=0.0066,
            latency_p95_ms=1500.0,
            quality=90.0,
        )
    ]
    spec = policy_doc(
        search_space={"model": ["gpt-4o", "mini"], "temperature": [0.2, 0.7]},
        objectives=[
            {"metric": "cost_per_request", "goal": "minimize", "weight": 0.5},
            {"metric": "latency_p95_ms", "goal": "minimize", "weight": 0.5},
        ],
    )
    decision = choose(
        rows,
        spec,
        strategy(),
        current=CURRENT,
        context=context(),
        profiles={"gpt-4o": gpt, "mini": mini},
        prices=prices,
    )
    by_params = {
        (a.candidate.params["model"], a.candidate.params.get("temperature")): a
        for a in decision.assessments
    }
    same_model = by_params[("gpt-4o", 0.2)].metrics
    assert same_model["cost_per_request"].value == pytest.approx(0.0066)
    assert same_model["latency_p95_ms"].value == pytest.approx(1500.0)
    assert by_params[("gpt-4o", 0.2)].improvement.value == pytest.approx(0.0, abs=1e-12)  # type: ignore[union-attr]
    cheap = by_params[("mini", 0.2)].metrics["cost_per_request"].value
    assert cheap == pytest.approx(1.2 * (200 * 0.15e-6 + 500 * 0.6e-6))
    assert decision.proposal is not None
    assert decision.proposal.target.params["model"] == "mini"


def test_a_degenerate_profile_predicts_what_it_can_and_never_nan() -> None:
    nan = Estimate(float("nan"), float("nan"), float("nan"), float("inf"))
    empty = ModelProfile(
        model="m",
        n=0,
        errors=0,
        ttft_ms=nan,
        ms_per_token=nan,
        overhead_ms=nan,
        latency_residual_sd=float("nan"),
        tokens_in=(),
        tokens_out=(),
        truncated_at=None,
        quality=None,
        requests_per_day=0.0,
    )
    alone = predict({"model": "m"}, profiles={"m": empty}, prices={"m": PRICE}, priors={})
    assert alone.metrics == {}
    no_fit = profile("m", resid=float("nan"))
    got = run({"model": "m"}, no_fit)
    assert "latency_p95_ms" not in got and got["cost_per_request"].value > 0
    borrowed = predict(
        {"model": "m"},
        profiles={"m": empty, "big": profile("big")},
        prices={"m": PRICE},
        priors={},
        fallback_model="big",
    )
    assert borrowed.metrics["tokens_out_mean"].value == pytest.approx(500.0)
    assert borrowed.notes == ("m: no token metrics; tokens assumed as for big",)
