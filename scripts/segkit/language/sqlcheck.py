"""The ``sql:`` escape hatch: parse with sqlglot, allow a small safe subset, re-emit per dialect.

Nothing the user wrote is pasted into a statement: the expression is parsed, every node is checked
against an allowlist (by exact type), column references are qualified with the profile alias, and
sqlglot generates the SQL text for each target dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from .errors import closest

PROFILE_ALIAS = "profile"
DIALECTS = ("duckdb", "spark")

_ALLOWED_NODES: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Column,
        exp.Identifier,
        exp.Literal,
        exp.Boolean,
        exp.Null,
        exp.Paren,
        exp.And,
        exp.Or,
        exp.Not,
        exp.Xor,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.Mod,
        exp.Neg,
        exp.IntDiv,
        exp.Case,
        exp.If,
        exp.Coalesce,
        exp.Nullif if hasattr(exp, "Nullif") else exp.Coalesce,
        exp.Cast,
        exp.TryCast,
        exp.DataType,
        exp.DPipe,
        exp.Concat,
        exp.Lower,
        exp.Upper,
        exp.Length,
        exp.Trim,
        exp.Substring,
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Greatest,
        exp.Least,
        exp.Year,
        exp.Month,
        exp.Day,
        exp.Extract,
        exp.Var,
        exp.Interval,
        exp.DateDiff,
        exp.Date,
        exp.Tuple,
    }
)

# Node kinds that yield a boolean at the top of the expression.
_BOOLEAN_NODES: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.And,
        exp.Or,
        exp.Not,
        exp.Xor,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Boolean,
    }
)


@dataclass(frozen=True)
class SqlCheck:
    """The outcome: per-dialect SQL when ok, else a list of problems (message, suggestion)."""

    rendered: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    problems: tuple[tuple[str, str | None], ...]


def _walk_allowed(
    tree: exp.Expression, problems: list[tuple[str, str | None]]
) -> list[exp.Expression]:
    """The allowed nodes of the tree; a disallowed node is reported once, its subtree skipped."""
    allowed: list[exp.Expression] = []
    pending = [tree]
    while pending:
        node = pending.pop(0)
        if type(node) not in _ALLOWED_NODES:
            if isinstance(node, exp.Anonymous):
                name = f"function {node.name}()"
            elif isinstance(node, exp.Func):
                name = f"function {node.sql_name().lower()}()"
            else:
                name = type(node).__name__.lower()
            problems.append(
                (
                    f"'{name}' is not allowed in a sql condition (only simple expressions over "
                    "profile columns: comparisons, boolean logic, arithmetic and a few functions)",
                    None,
                )
            )
            continue
        allowed.append(node)
        pending.extend(node.iter_expressions())
    return allowed


def check_sql(source: str, known_columns: Iterable[str] | None) -> SqlCheck:
    r"""Check a ``sql:`` condition. ``known_columns`` None skips the column check.

    >>> check_sql("age >= 18 and country = 'ES'", ["age", "country"]).rendered[0][1]
    '"profile"."age" >= 18 AND "profile"."country" = \'ES\''

    >>> check_sql("1; drop table raw.events", ["age"]).problems[0][0]
    'exactly one expression is allowed, found 2 statements'
    """
    problems: list[tuple[str, str | None]] = []
    try:
        parsed = [e for e in sqlglot.parse(source, read="duckdb") if e is not None]
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        return SqlCheck((), (), ((f"cannot parse the SQL expression: {first}", None),))
    except (SqlglotError, RecursionError) as exc:
        # The tokenizer's errors (an unterminated quote) and expressions nested too deeply.
        problem = str(exc).splitlines()[0] if str(exc) else "it is nested too deeply"
        return SqlCheck((), (), ((f"cannot parse the SQL expression: {problem}", None),))
    if len(parsed) != 1:
        return SqlCheck(
            (), (), ((f"exactly one expression is allowed, found {len(parsed)} statements", None),)
        )
    tree = parsed[0]
    known = {c.lower(): c for c in known_columns} if known_columns is not None else None
    columns: set[str] = set()
    for node in _walk_allowed(tree, problems):
        if isinstance(node, exp.Column):
            if node.table:
                problems.append((f"use unqualified profile columns: '{node.sql()}'", node.name))
                continue
            columns.add(node.name)
            if known is not None and node.name.lower() not in known:
                problems.append(
                    (
                        f"unknown profile column '{node.name}' in sql",
                        closest(node.name, known.values()),
                    )
                )
    if type(tree) not in _BOOLEAN_NODES and not isinstance(tree, exp.Paren):
        problems.append(
            (
                "a sql condition must be a boolean expression (a comparison, "
                "IN, BETWEEN, LIKE, IS, AND/OR/NOT)",
                None,
            )
        )
    if problems:
        return SqlCheck((), tuple(sorted(columns)), tuple(dict.fromkeys(problems)))

    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            name = known[node.name.lower()] if known is not None else node.name
            return exp.column(name, table=PROFILE_ALIAS, quoted=True)
        return node

    qualified = tree.transform(qualify)
    rendered = tuple((dialect, qualified.sql(dialect=dialect)) for dialect in DIALECTS)
    return SqlCheck(rendered, tuple(sorted(columns)), ())
