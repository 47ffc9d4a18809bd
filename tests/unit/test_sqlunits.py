"""A migration cut into units by PostgreSQL's own parser (pglast), and schemas compared."""

from __future__ import annotations

import pytest

from chaos.errors import ScenarioError
from chaos.faults.sqlunits import load_units, units
from chaos.rehearse.schemadiff import differences, normalize
from chaos.sample import SAMPLE_DIR

REPRICE = SAMPLE_DIR / "scenarios" / "faults" / "reprice.sql"


def test_the_seed_script_has_six_units_each_at_its_line():
    got = load_units(REPRICE)
    assert [u.number for u in got] == [1, 2, 3, 4, 5, 6]
    assert [u.line for u in got] == [5, 6, 7, 8, 9, 10]   # after the four comment lines
    assert got[2].statements[0].text == "ALTER TABLE products DROP COLUMN price_cents"
    assert not any(u.transaction for u in got)
    assert got[2].label() == "3: ALTER TABLE products DROP COLUMN price_cents"


def test_a_transaction_is_one_unit_and_semicolons_in_strings_do_not_cut():
    text = ("UPDATE t SET a = 'x;y';\n"
            "BEGIN;\n"
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; SELECT 2; $$ LANGUAGE sql;\n"
            "-- a comment; with a semicolon\n"
            "ALTER TABLE t ADD COLUMN b int;\n"
            "COMMIT;\n"
            "START TRANSACTION; DELETE FROM t; ROLLBACK;\n"
            "VACUUM t;")
    got = units(text, "m.sql")
    assert [(u.number, u.transaction, len(u.statements)) for u in got] == [
        (1, False, 1), (2, True, 4), (3, True, 3), (4, False, 1)]
    assert got[0].statements[0].text == "UPDATE t SET a = 'x;y'"
    assert "SELECT 1; SELECT 2;" in got[1].statements[1].text
    assert got[1].line == 2 and got[2].line == 7 and got[3].line == 8
    assert got[1].label() == "2: BEGIN … COMMIT (2 statements)"


@pytest.mark.parametrize("text, line, words", [
    ("SELECT 1;\nSELEC 2;", 2, "not valid SQL"),
    ("SELECT 1;\nBEGIN;\nSELECT 2;", 2, "never committed"),
    ("COMMIT;", 1, "without a BEGIN"),
    ("BEGIN;\nBEGIN;\nCOMMIT;", 2, "already open"),
    ("-- only a comment\n", None, "no SQL statement"),
])
def test_a_script_that_cannot_be_cut_names_its_line(text, line, words):
    with pytest.raises(ScenarioError) as caught:
        units(text, "m.sql")
    (problem,) = caught.value.problems
    assert problem.file == "m.sql" and problem.line == line and words in problem.message


def test_dumps_that_differ_only_in_noise_are_the_same_schema():
    a = ("--\n-- PostgreSQL database dump\n--\n\\restrict abc123\nSET statement_timeout = 0;\n"
         "SELECT pg_catalog.set_config('search_path', '', false);\n\n"
         "CREATE TABLE public.products (\n    id integer NOT NULL,\n    price_cents bigint\n);\n")
    b = a.replace("abc123", "zz9").replace("dump\n", "dump from 17.2\n")
    assert differences(a, b) == []
    assert normalize(a)[0] == "CREATE TABLE public.products ("
    c = a.replace("    price_cents bigint\n",
                  "    price_cents_new bigint,\n    price_cents bigint\n")
    diff = differences(a, c)
    assert "+    price_cents_new bigint," in diff
    assert not any(d.startswith("-") for d in diff)
