from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoopt.decide.expr import ExpressionError, evaluate, names, parse

ENV = {"error_rate": 0.12, "n": 250.0, "latency_p95_ms": 1800.0, "quality": 88.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error_rate > 0.1 and n >= 200", True),
        ("error_rate > 0.1 and n >= 300", False),
        ("error_rate > 0.2 or latency_p95_ms >= 1800", True),
        ("not (error_rate > 0.1)", False),
        ("not not error_rate > 0.1", True),
        ("quality < 90 and (n > 1000 or error_rate != 0)", True),
        ("quality == 88", True),
        ("-1 < quality", True),
        ("1e2 <= n", True),
        (".5 > error_rate", True),
        ("true", True),
        ("false or n > 0", True),
        ("n", True),
        # a missing metric is unknown; Kleene logic decides what it can
        ("cost_per_request > 1", None),
        ("not cost_per_request > 1", None),
        ("cost_per_request > 1 or n > 0", True),
        ("cost_per_request > 1 and n > 1000", False),
        ("cost_per_request > 1 and n > 0", None),
    ],
)
def test_evaluate_table(text: str, expected: bool | None) -> None:
    assert evaluate(parse(text), ENV) is expected


def test_names() -> None:
    assert names(parse("error_rate > 0.1 and (n >= 200 or not quality < 3)")) == {
        "error_rate",
        "n",
        "quality",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error_rate.__class__ > 1", "column 11: unexpected character '.'"),
        ("len(n) > 1", "column 1: unknown metric 'len'"),
        ("n(1) > 1", "column 2: function calls are not allowed"),
        ("n[0] > 1", "column 2: unexpected character '['"),
        ("lambda: 1", "column 7: unexpected character ':'"),
        ("lambda > 1", "column 1: unknown metric 'lambda'"),
        ("__import__ > 1", "column 1: name '__import__' is not allowed"),
        ("'x' == n", 'column 1: unexpected character "\'"'),
        ("n > ", "column 5: expected a number, a metric name or '(', found end of condition"),
        ("(n > 1", "column 7: expected ')', found end of condition"),
        ("n > 1 n", "column 7: unexpected 'n'"),
        ("1 < n < 3", "column 7: chained comparisons are not supported; join them with 'and'"),
        ("n >> 1", "column 4: expected a number, a metric name or '(', found '>'"),
        ("n ** 2", "column 3: unexpected character '*'"),
        ("", "column 1: expected a number, a metric name or '(', found end of condition"),
        ("x > 1", "column 1: unknown metric 'x'"),
    ],
)
def test_rejections_name_the_column(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert str(info.value).startswith(message)


def test_depth_and_length_limits() -> None:
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("(" * 200 + "n" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("not " * 200 + "n")
    with pytest.raises(ExpressionError, match="longer than"):
        parse("n > 1 and " * 300 + "n > 1")


VALID = ["error_rate > 0.1", "n >= 200", "quality < 80", "(n > 1)", "not n"]
FORBIDDEN = [
    ".__class__",
    ".real",
    "()",
    "(n)",
    "[0]",
    "['a']",
    "lambda x: x",
    "__import__('os')",
    "__builtins__",
    "{}",
    "'s'",
    '"s"',
    "@",
    ";",
    ":",
    "**",
    ",",
    "if",
    "os.system",
    "x",
]


@given(st.sampled_from(VALID), st.sampled_from(FORBIDDEN), st.sampled_from(VALID), st.booleans())
@settings(max_examples=300, deadline=None)
def test_forbidden_constructs_are_rejected_wherever_they_appear(
    left: str, bad: str, right: str, glue: bool
) -> None:
    text = f"{left} and {bad} {right}" if glue else f"{left}{bad} or {right}"
    with pytest.raises(ExpressionError):
        parse(text)


@given(st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        node = parse(text)
    except ExpressionError:
        return
    assert evaluate(node, ENV) in (True, False, None)


alphabet = st.sampled_from(
    ["n", "error_rate", "quality", "and", "or", "not", "(", ")", "<", ">=", "==", "1", "0.5", "-"]
)


@given(st.lists(alphabet, max_size=25).map(" ".join))
@settings(max_examples=500, deadline=None)
def test_token_soup_parses_or_raises_expression_error(text: str) -> None:
    try:
        node = parse(text)
    except ExpressionError:
        return
    assert evaluate(node, ENV) in (True, False, None)


def test_rule_environment_from_a_summary() -> None:
    from autoopt.decide.rules import environment
    from tests.decide.helpers import summary

    env = environment(summary("v1", n=300, daily_cost_usd=50.0, cost_per_request=0.01))
    assert env == {
        "daily_cost_usd": 50.0,
        "cost_per_request": 0.01,
        "n": 300.0,
        "errors": 0.0,
        "requests_per_day": pytest.approx(5000.0),
    }
