"""A small SOQL engine for the Salesforce fake: the subset Engage and the tests send.

SELECT fields (dotted parent paths and parenthesised child subqueries) FROM object [WHERE
conditions with AND/OR/NOT, =, !=, <, >, <=, >=, LIKE, IN] [ORDER BY field [ASC|DESC], …]
[LIMIT n]. A query outside the subset is a `SoqlError`, which the fake answers with the real
`MALFORMED_QUERY` body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?(?![\w-]))"
    r"|(?P<date>\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2}))?)"
    r"|(?P<op><=|>=|!=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][\w.]*))"
)
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "NULLS",
    "FIRST",
    "LAST",
    "TRUE",
    "FALSE",
    "NULL",
}


class SoqlError(ValueError):
    pass


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SoqlError(f"unexpected token at: {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            kind, value = "kw", value.upper()
        tokens.append(Token(kind, value))
        pos = match.end()
    return tokens


@dataclass
class Query:
    fields: list[str | Query] = field(default_factory=list)
    source: str = ""
    where: Callable[[Resolver, dict[str, Any]], bool] | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int | None = None


Resolver = Callable[[dict[str, Any], str], Any]
"""Resolves a dotted path (`Account.Name`) on a record."""


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, text: str | None = None) -> bool:
        if self.pos >= len(self.tokens):
            return False
        return text is None or self.tokens[self.pos].text.upper() == text

    def take(self, text: str | None = None) -> Token:
        if self.pos >= len(self.tokens) or (text is not None and not self.peek(text)):
            got = self.tokens[self.pos].text if self.pos < len(self.tokens) else "end of query"
            raise SoqlError(f"expected {text or 'more'}, found {got!r}")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def query(self) -> Query:
        query = Query()
        self.take("SELECT")
        while True:
            if self.peek("("):
                self.take("(")
                query.fields.append(self.query())
                self.take(")")
            else:
                query.fields.append(self.take().text)
            if not self.peek(","):
                break
            self.take(",")
        self.take("FROM")
        query.source = self.take().text
        if self.peek("WHERE"):
            self.take("WHERE")
            query.where = self.disjunction()
        if self.peek("ORDER"):
            self.take("ORDER")
            self.take("BY")
            query.order = self.ordering()
        if self.peek("LIMIT"):
            self.take("LIMIT")
            query.limit = int(self.take().text)
        return query

    def ordering(self) -> list[tuple[str, bool]]:
        order = []
        while True:
            path = self.take().text
            descending = False
            if self.peek("ASC") or self.peek("DESC"):
                descending = self.take().text == "DESC"
            if self.peek("NULLS"):
                self.take("NULLS")
                self.take()
            order.append((path, descending))
            if not self.peek(","):
                return order
            self.take(",")

    def disjunction(self) -> Callable[[Resolver, dict[str, Any]], bool]:
        parts = [self.conjunction()]
        while self.peek("OR"):
            self.take("OR")
            parts.append(self.conjunction())
        return lambda r, rec: any(p(r, rec) for p in parts)

    def conjunction(self) -> Callable[[Resolver, dict[str, Any]], bool]:
        parts = [self.atom()]
        while self.peek("AND"):
            self.take("AND")
            parts.append(self.atom())
        return lambda r, rec: all(p(r, rec) for p in parts)

    def atom(self) -> Callable[[Resolver, dict[str, Any]], bool]:
        if self.peek("NOT"):
            self.take("NOT")
            inner = self.atom()
            return lambda r, rec: not inner(r, rec)
        if self.peek("("):
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return inner
        path = self.take().text
        if self.peek("IN"):
            self.take("IN")
            self.take("(")
            values = [self.value()]
            while self.peek(","):
                self.take(",")
                values.append(self.value())
            self.take(")")
            return lambda r, rec: r(rec, path) in values
        op = self.take().text.upper()
        value = self.value()
        return _compare(path, op, value)

    def value(self) -> Any:
        token = self.take()
        if token.kind == "str":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "num":
            return float(token.text)
        if token.kind == "date":
            return token.text
        if token.text in ("TRUE", "FALSE"):
            return token.text == "TRUE"
        if token.text == "NULL":
            return None
        raise SoqlError(f"unexpected value {token.text!r}")


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _compare(path: str, op: str, value: Any) -> Callable[[Resolver, dict[str, Any]], bool]:
    def check(resolve: Resolver, record: dict[str, Any]) -> bool:
        found = resolve(record, path)
        if op == "LIKE":
            return isinstance(found, str) and bool(_like(str(value)).fullmatch(found))
        if isinstance(found, str) and isinstance(value, str) and op in ("=", "!="):
            same = found.casefold() == value.casefold()
            return same if op == "=" else not same
        if op == "=":
            return bool(found == value)
        if op == "!=":
            return bool(found != value)
        if found is None or value is None:
            return False
        ordered = {"<": found < value, ">": found > value, "<=": found <= value}
        return bool(ordered.get(op, found >= value))

    if op not in ("=", "!=", "<", ">", "<=", ">=", "LIKE"):
        raise SoqlError(f"unknown operator {op!r}")
    return check


def parse(text: str) -> Query:
    parser = _Parser(tokenize(text))
    query = parser.query()
    if parser.pos != len(parser.tokens):
        raise SoqlError(f"unexpected {parser.tokens[parser.pos].text!r} after the query")
    return query
