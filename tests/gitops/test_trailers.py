"""Trailer formatting and parsing, on literal strings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autoopt.gitops import trailers as tr


def test_format_message_puts_trailers_in_the_last_paragraph() -> None:
    message = tr.format_message(
        "autoopt: propose v-1a2b3c4d for chat-service",
        "Cheaper at the same quality.\n",
        [("Autoopt-Policy", "chat-cost"), ("Autoopt-Reason", "cost -40%\nquality -1"), ("X", "")],
    )
    assert message == (
        "autoopt: propose v-1a2b3c4d for chat-service\n"
        "\n"
        "Cheaper at the same quality.\n"
        "\n"
        "Autoopt-Policy: chat-cost\n"
        "Autoopt-Reason: cost -40% quality -1\n"
    )


def test_parse_round_trips_format() -> None:
    pairs = tr.proposal_trailers(
        service="chat-service",
        policy="chat-cost",
        decision="propose",
        version="v-1a2b3c4d",
        from_version="v7",
        reasons=["improvement_ok", "confidence_ok"],
    )
    message = tr.format_message("subject", "", pairs)
    assert tr.parse_trailers(message) == pairs
    assert tr.values(pairs, "autoopt-reason") == ["improvement_ok", "confidence_ok"]
    assert tr.first(pairs, tr.STEP) is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("only a subject\n", ()),
        ("subject\n\nKey: value\n", (("Key", "value"),)),
        ("subject\n\nbody text\nKey: value\n", ()),  # a mixed paragraph is not a trailer block
        (
            "subject\n\nbody\n\nKey: value\n  continued\nOther:x\n",
            (("Key", "value continued"), ("Other", "x")),
        ),
        ("subject\n\nKey: value\n\n", (("Key", "value"),)),
        ("subject\n\nSigned-off-by: A <a@b>\n", (("Signed-off-by", "A <a@b>"),)),
        ("subject\n\nnot a trailer: because of the space in the key\n", ()),
    ],
)
def test_parse_literal_messages(message: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert tr.parse_trailers(message) == expected


def test_audit_entry_reads_the_autoopt_trailers() -> None:
    message = (
        "autoopt: promote chat-service v-1a2b3c4d to 25%\n\n"
        "Stage 1 passed.\n\n"
        "Autoopt-Service: chat-service\n"
        "Autoopt-Policy: chat-cost\n"
        "Autoopt-Decision: promote\n"
        "Autoopt-Version: v-1a2b3c4d\n"
        "Autoopt-Step: 1\n"
        "Autoopt-Reason: within_triggers\n"
    )
    when = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    entry = tr.audit_entry("abc123", when, "autoopt[bot]", message)
    assert entry.as_dict() == {
        "sha": "abc123",
        "committed_at": "2026-11-25T10:00:00+00:00",
        "author": "autoopt[bot]",
        "subject": "autoopt: promote chat-service v-1a2b3c4d to 25%",
        "service": "chat-service",
        "policy": "chat-cost",
        "decision": "promote",
        "version": "v-1a2b3c4d",
        "from": None,
        "step": "1",
        "reasons": ["within_triggers"],
        "action": None,
        "actor": None,
    }
    assert entry.is_autoopt
    assert not tr.audit_entry("d", when, "Pat", "Fix typo\n").is_autoopt


def test_bad_trailer_key_is_refused() -> None:
    with pytest.raises(ValueError, match="not a trailer key"):
        tr.format_trailers([("Bad Key", "x")])


def test_rollout_trailers_read_back_as_an_audit_entry() -> None:
    pairs = tr.rollout_trailers(
        service="chat-service",
        policy="chat-cost",
        decision="rollback",
        version="v-1a2b3c4d",
        step=2,
        reasons=["error_rate_increase"],
    )
    message = tr.format_message("autoopt: roll back chat-service v-1a2b3c4d", "", pairs)
    entry = tr.audit_entry("s", datetime(2026, 11, 25, tzinfo=UTC), "autoopt[bot]", message)
    assert (entry.decision, entry.version, entry.step, entry.reasons) == (
        "rollback",
        "v-1a2b3c4d",
        "2",
        ("error_rate_increase",),
    )
