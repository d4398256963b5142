"""A tiny, safe expression language for rule conditions — never ``eval``.

Grammar (whitespace between tokens is ignored)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand (("<" | "<=" | ">" | ">=" | "==" | "!=") operand)?
    operand    := NUMBER | "-" NUMBER | NAME | "true" | "false" | "(" expr ")"

``NAME`` must be a summary metric (:data:`autoopt.values.SUMMARY_FIELDS`) or ``errors``;
``NUMBER`` is a decimal such as ``0.1``, ``200`` or ``1e-3``. Anything else — attribute access,
calls, subscripts, strings, lambdas, dunder names — is rejected by the tokenizer or the parser
with the column where it went wrong.

Evaluation is three-valued: a comparison that reads a metric the summary does not have is
*unknown*; ``and``/``or``/``not`` follow Kleene's logic, and a rule whose condition is unknown
does not fire (the caller reports that).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from autoopt.errors import UserError
from autoopt.values import SUMMARY_FIELDS

NAMES: frozenset[str] = frozenset((*SUMMARY_FIELDS, "errors"))
MAX_LENGTH = 2000
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|<|>)"
    r"|(?P<paren>[()])"
    r"|(?P<minus>-)"
)
_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})

_COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class ExpressionError(UserError):
    """A rule condition that is not in the expression language; names the column."""

    def __init__(self, text: str, column: int, message: str) -> None:
        self.text, self.column, self.detail = text, column, message
        super().__init__(f"column {column}: {message}")


@dataclass(frozen=True)
class Token:
    kind: str  # number | name | keyword | op | paren | minus | end
    text: str
    column: int  # 1-based


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


Operand = Number | Name | Bool | Compare | Not | BoolOp
Node = Operand


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, MAX_LENGTH, f"condition longer than {MAX_LENGTH} characters")
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionError(text, pos + 1, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup or ""
        word = match.group()
        if kind == "name" and word in _KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, word, pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def fail(self, message: str, token: Token | None = None) -> ExpressionError:
        return ExpressionError(self.text, (token or self.token).column, message)

    def take(self) -> Token:
        token = self.token
        self.pos += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def parse(self) -> Node:
        node = self.disjunction()
        if not self.at("end"):
            raise self.fail(f"unexpected {_describe(self.token)}")
        return node

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.at("keyword", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.negation()]
        while self.at("keyword", "and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def negation(self) -> Node:
        if self.at("keyword", "not"):
            self.take()
            return Not(self.nested(self.negation))
        return self.comparison()

    def nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"condition nested more than {MAX_DEPTH} levels deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def comparison(self) -> Node:
        left = self.operand()
        if not self.at("op"):
            return left
        op = self.take().text
        right = self.operand()
        if self.at("op"):
            raise self.fail("chained comparisons are not supported; join them with 'and'")
        return Compare(op, left, right)

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Number(float(token.text))
        if token.kind == "minus" and self.at("number"):
            return Number(-float(self.take().text))
        if token.kind == "name":
            return self.name(token)
        if token.kind == "keyword" and token.text in ("true", "false"):
            return Bool(token.text == "true")
        if token.kind == "paren" and token.text == "(":
            inner = self.nested(self.disjunction)
            if not self.at("paren", ")"):
                raise self.fail(f"expected ')', found {_describe(self.token)}")
            self.take()
            return inner
        raise self.fail(f"expected a number, a metric name or '(', found {_describe(token)}", token)

    def name(self, token: Token) -> Node:
        if token.text.startswith("__"):
            raise self.fail(f"name {token.text!r} is not allowed", token)
        if token.text not in NAMES:
            known = ", ".join(sorted(NAMES))
            raise self.fail(f"unknown metric {token.text!r} (known: {known})", token)
        if self.at("paren", "("):
            raise self.fail("function calls are not allowed")
        return Name(token.text)


def _describe(token: Token) -> str:
    return "end of condition" if token.kind == "end" else repr(token.text)


def parse(text: str) -> Node:
    """Parse a condition; raise :class:`ExpressionError` naming the column of the problem."""
    return _Parser(text).parse()


def names(node: Node) -> frozenset[str]:
    """Every metric name a condition reads."""
    if isinstance(node, Name):
        return frozenset({node.name})
    if isinstance(node, Compare):
        return names(node.left) | names(node.right)
    if isinstance(node, Not):
        return names(node.operand)
    if isinstance(node, BoolOp):
        return frozenset().union(*(names(n) for n in node.operands))
    return frozenset()


Truth = bool | None  # None: unknown (a metric is missing)


def evaluate(node: Node, env: Mapping[str, float]) -> Truth:
    """Evaluate against metric values; unknown (None) when a needed metric is missing."""
    if isinstance(node, Compare):
        left, right = _value(node.left, env), _value(node.right, env)
        if left is None or right is None:
            return None
        return _COMPARE[node.op](left, right)
    if isinstance(node, Not):
        inner = evaluate(node.operand, env)
        return None if inner is None else not inner
    if isinstance(node, BoolOp):
        return _kleene(node.op, [evaluate(n, env) for n in node.operands])
    if isinstance(node, Bool):
        return node.value
    value = _value(node, env)
    return None if value is None else value != 0.0


def _kleene(op: str, values: list[Truth]) -> Truth:
    decisive = op == "or"  # True decides an "or", False decides an "and"
    if decisive in values:
        return decisive
    if None in values:
        return None
    return not decisive


def _value(node: Node, env: Mapping[str, float]) -> float | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        value = env.get(node.name)
        return None if value is None or math.isnan(value) else float(value)
    if isinstance(node, Bool):
        return 1.0 if node.value else 0.0
    truth = evaluate(node, env)
    return None if truth is None else float(truth)
