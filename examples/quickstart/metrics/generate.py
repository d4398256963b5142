"""Regenerate requests.csv: two days of chat-service traffic (seeded, so byte-for-byte stable).

    python examples/quickstart/metrics/generate.py

The story: until 2026-11-24 00:00 UTC chat-service ran v6 (gpt-4o-mini, temperature 0.5);
then v7 (gpt-4o, temperature 0.7) became stable because it answers a little better.
Prompts carry a large retrieved context (~9k input tokens), so gpt-4o costs ~16x more per
request. An LLM judge scores a 20% sample of requests for quality (0-100); the other rows
leave quality empty. ``cost_usd`` is left out on purpose: autoopt prices the tokens.
Three broken rows (a missing timestamp, a negative latency, a non-numeric token count) show
how rejected rows are reported.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np  # noqa: TID253 (a standalone script, not part of the CLI)

SEED = 20261124
START = np.datetime64("2026-11-23T00:00:00", "ms")
DAYS = 2
PER_DAY = 4500
SWITCH = np.datetime64("2026-11-24T00:00:00", "ms")
HERE = Path(__file__).resolve().parent

#: version → (model, ttft median ms, ms per output token, error rate, quality mean, sd)
VERSIONS = {
    "v6": ("gpt-4o-mini", 300.0, 2.8, 0.012, 87.0, 6.0),
    "v7": ("gpt-4o", 380.0, 4.2, 0.008, 91.0, 5.0),
}
COLUMNS = ["timestamp", "service", "version", "model", "latency_ms", "ttft_ms", "tokens_in",
           "tokens_out", "error", "error_type", "quality"]  # fmt: skip


def arrivals(rng: np.random.Generator) -> np.ndarray:
    """Poisson arrivals with a daily profile: quiet at night, busy in the afternoon (UTC)."""
    hours = np.arange(DAYS * 24)
    profile = 0.35 + 0.65 * np.exp(-(((hours % 24) - 14.0) ** 2) / (2 * 4.0**2))
    counts = rng.poisson(PER_DAY * DAYS * profile / profile.sum())
    stamps = [
        START + np.timedelta64(int(h) * 3600_000, "ms") + np.sort(rng.integers(0, 3600_000, c))
        for h, c in zip(hours, counts, strict=True)
    ]
    return np.concatenate(stamps).astype("datetime64[ms]")


def rows(rng: np.random.Generator) -> list[list[object]]:
    out: list[list[object]] = []
    for ts in arrivals(rng):
        version = "v6" if ts < SWITCH else "v7"
        model, ttft_median, per_token, error_rate, q_mean, q_sd = VERSIONS[version]
        tokens_in = int(rng.lognormal(np.log(9000), 0.25))
        tokens_out = int(min(1024, rng.lognormal(np.log(150), 0.35)))
        ttft = ttft_median * rng.lognormal(0.0, 0.3)
        error = bool(rng.random() < error_rate)
        if error:
            kind = "rate_limit" if rng.random() < 0.6 else "timeout"
            latency = 120.0 * rng.lognormal(0, 0.3) if kind == "rate_limit" else 30000.0
            out.append([ts, "chat-service", version, model, round(latency, 1), "", tokens_in, "",
                        "true", kind, ""])  # fmt: skip
            continue
        latency = ttft + 40.0 + per_token * tokens_out * rng.lognormal(0.0, 0.15)
        quality = round(float(np.clip(rng.normal(q_mean, q_sd), 0, 100)), 1)
        scored = quality if rng.random() < 0.2 else ""
        out.append([ts, "chat-service", version, model, round(latency, 1), round(ttft, 1),
                    tokens_in, tokens_out, "false", "", scored])  # fmt: skip
    return out


def main(path: Path = HERE / "requests.csv") -> None:
    rng = np.random.default_rng(SEED)
    data = rows(rng)
    data[100][0] = ""  # a missing timestamp
    data[2000][4] = -5.0  # a negative latency
    data[7000][7] = "n/a"  # a token count that is not a number
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in data:
            stamp = row[0]
            row[0] = "" if stamp == "" else str(stamp)[:23] + "Z"
            writer.writerow(row)


if __name__ == "__main__":
    main()
