"""A migration script cut where it can die: statements, and transactions as one unit.

PostgreSQL's own parser (through pglast) finds the statements, so a semicolon in a
string, a dollar-quoted function body or a comment never cuts one in two, and a
script that would not parse is refused with its line before anything runs.
Inside an explicit ``BEGIN … COMMIT`` nothing is visible to anyone until the
commit, so the whole block is one unit: the script can die before it or after it,
never halfway through it as far as other sessions can tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pglast import ast, parser
from pglast.enums import TransactionStmtKind

from chaos.errors import Problem, ScenarioError

_OPENS = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_CLOSES = {TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK}
# PREPARE TRANSACTION ends the block too; the script then commits it later, by name.
_CLOSES_PREPARED = {TransactionStmtKind.TRANS_STMT_PREPARE}


@dataclass(frozen=True)
class Statement:
    text: str
    line: int      # 1-based line of its first character in the script
    kind: str      # the parser's node name: UpdateStmt, AlterTableStmt, TransactionStmt …
    tx: TransactionStmtKind | None = None   # for a TransactionStmt: BEGIN, COMMIT …


@dataclass(frozen=True)
class Unit:
    """What the script can be stopped after: one statement, or a whole transaction."""

    number: int                        # 1-based
    statements: tuple[Statement, ...]
    transaction: bool                  # an explicit BEGIN … COMMIT block

    @property
    def line(self) -> int:
        return self.statements[0].line

    @property
    def sql(self) -> str:
        return ";\n".join(s.text for s in self.statements) + ";"

    def label(self) -> str:
        """Short, for a table: ``3: ALTER TABLE t DROP COLUMN c``."""
        if self.transaction:
            inner = len(self.statements) - 2
            return f"{self.number}: BEGIN … COMMIT ({inner} statement{'s' * (inner != 1)})"
        return f"{self.number}: {' '.join(self.statements[0].text.split())[:70]}"


def parse(text: str, source: str) -> list[Statement]:
    """Every statement of the script, in order, or a ScenarioError at its line."""
    try:
        raws = parser.parse_sql(text)
    except parser.ParseError as exc:
        at = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        raise ScenarioError([Problem(source, _line_of(text, at), "",
                                     f"not valid SQL: {exc.args[0]}")]) from exc
    out = []
    for raw in raws:
        start = raw.stmt_location or 0
        body = text[start:start + raw.stmt_len] if raw.stmt_len else text[start:]
        node = raw.stmt
        kind = type(node).__name__
        tx = (node.kind if isinstance(node, ast.TransactionStmt)
              else None)
        out.append(Statement(body.strip().rstrip(";").strip(), _line_of(text, start), kind, tx))
    return out


def units(text: str, source: str) -> list[Unit]:
    """The script's units: each statement on its own, each BEGIN … COMMIT block as one."""
    out: list[Unit] = []
    block: list[Statement] | None = None
    for stmt in parse(text, source):
        kind = stmt.tx
        if block is None:
            if kind in _OPENS:
                block = [stmt]
            elif kind in _CLOSES | _CLOSES_PREPARED:
                raise ScenarioError([Problem(source, stmt.line, "",
                                             f"{stmt.text!r} without a BEGIN before it")])
            else:
                out.append(Unit(len(out) + 1, (stmt,), False))
            continue
        if kind in _OPENS:
            raise ScenarioError([Problem(source, stmt.line, "",
                                         "BEGIN inside a transaction that is already open "
                                         f"(opened at line {block[0].line})")])
        block.append(stmt)
        if kind in _CLOSES | _CLOSES_PREPARED:
            out.append(Unit(len(out) + 1, tuple(block), True))
            block = None
    if block is not None:
        raise ScenarioError([Problem(source, block[0].line, "",
                                     "this BEGIN is never committed: the script ends inside "
                                     "its transaction")])
    if not out:
        raise ScenarioError([Problem(source, None, "", "the script has no SQL statement")])
    return out


def load_units(path: Path) -> list[Unit]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read it: {exc}")]) from exc
    return units(text, str(path))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1
