"""A sweep of hostile and careless input: every named case, its exit code, a message that helps.

Each case below is one thing a careless or hostile user does: a scenario file with
one field broken (keys that are not strings, NaN, tags, line separators in comments,
files named that are FIFOs or devices, secrets in bad values), a command line that
misuses an option, a run record damaged on disk. Every case runs through the real
``chaos.cli.main`` in this process and must end with its expected exit code and
output that

- names what is wrong where the user can find it (the file, and the line and field
  the case says),
- holds no traceback, no "internal error", no pydantic noise (``.str``, ``NoneType``,
  ``got nan``) and none of the secrets planted in the inputs.

The figures (cases, mishandled before the fixes of issue 15, after) are in
docs/reliability.md; ``pytest tests/unit/test_hostile_sweep.py -q`` reproduces them.
Unlike the fuzz tests (``test_fuzz_*``: random damage, "no crash"), each case here
names the message it expects.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli_helpers import run_main
from tests.limits import Hang, time_limit

pytestmark = pytest.mark.slow   # ~20 s in all: 277 cases through the real command line

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RUN = REPO / "tests" / "data" / "runs" / "seed-sample"

PASSWORD = "hunter2-S3CRET-pw"
NUMBER_SECRET = "83749283749"
API_KEY = "sk-live-APIKEY123"
SECRETS = (PASSWORD, NUMBER_SECRET, API_KEY, "hunter2hunter2")
# What no message of ours may hold, whatever the case.
NOISE = ("Traceback", "internal error", "NoneType", "*** should", "[type=", "pydantic",
         "For further information", ".str:", ".int:", ".float:", ".bool:", "function-after")
NONFINITE_WORDS = re.compile(r"(?<![A-Za-z])(nan|inf|-inf)(?![A-Za-z])")

# A scenario using most sections, one field per line, so a case can break one line.
BASE = f"""\
name: sweep
lab:
  compose: compose.yml
  db_password: {PASSWORD}
  app_port: 8080
load:
  users: 5
  spawn_rate: 5
  request_timeout: 5s
  wait: [0.05, 0.2]
  requests:
    - path: /items/{{int:1:5}}
      weight: 1
      headers: {{Authorization: Bearer {API_KEY}}}
faults:
  - type: kill
    at: 10s
    target: db
  - type: pause
    at: 20s
    duration: 5s
    target: app
detect:
  - type: error_rate
    above: 5%
    window: 10s
recovery:
  trigger: on_detect
  steps:
    - restart: db
time_limit: 2m
targets:
  ttd: 30s
  data_loss: 0
  error_budget_burned: 50%
slo:
  availability: 99.9%
abort_if:
  - metric: error_rate
    above: 50%
backups:
  every: 30s
  keep: 3
data_loss:
  query: SELECT ref FROM t WHERE ref = ANY(%(refs)s)
invariants:
  - name: count
    query: SELECT 1
    expect: 1
"""
BASE_LINES = BASE.splitlines()
END = len(BASE_LINES) + 1        # the line of the first line a case appends
COMPOSE = "services:\n  app: {image: chaos/app:latest}\n  db: {image: chaos/db:latest}\n"


def line_of(prefix: str) -> int:
    """1-based line of BASE that starts (after its indent) with ``prefix``."""
    return next(i for i, text in enumerate(BASE_LINES, 1) if text.strip().startswith(prefix))


# Special file contents a case may ask for.
FIFO, DIRECTORY, LOOP, DEV_ZERO = "<fifo>", "<directory>", "<symlink loop>", "<dev zero>"


@dataclass(frozen=True)
class Case:
    name: str
    argv: Callable[[Path], list[str]]
    code: int
    says: tuple[str, ...] = ()              # must appear; {f} is the main file's path
    never: tuple[str, ...] = ()             # must not appear
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    every_line_names_file: bool = False     # each output line starts with {f}
    main: str = "s.yaml"                    # the file {f} names
    no_nonfinite_words: bool = False        # "nan"/"inf" as Python prints them


CASES: list[Case] = []


def scenario(name: str, text: str | None = None, *, edit: dict[int, str] | None = None,
             add: str = "", code: int = 2, says: tuple[str, ...] = (),
             never: tuple[str, ...] = (), files: dict[str, str | bytes] | None = None,
             env: dict[str, str] | None = None, extra: tuple[str, ...] = (),
             nonfinite: bool = False, located: bool = True) -> None:
    """A case that runs ``chaos validate`` on BASE with lines replaced (``edit``, by line
    number) or appended (``add``), or on ``text`` as given."""
    if text is None:
        lines = list(BASE_LINES)
        for n, new in (edit or {}).items():
            lines[n - 1] = new
        text = "\n".join(lines) + "\n" + add
    CASES.append(Case(name, lambda d: ["validate", str(d / "s.yaml"), *extra], code, says,
                      never, {"compose.yml": COMPOSE, "s.yaml": text, **(files or {})},
                      env or {}, every_line_names_file=code == 2 and located,
                      no_nonfinite_words=nonfinite))


def at(line: int, path: str) -> str:
    """What a located message starts with: ``FILE:LINE: field``."""
    return f"{{f}}:{line}: {path}"


def replace_value(prefix: str, value: str) -> dict[int, str]:
    """Replace the value of the BASE line starting with ``prefix`` (keeping its indent)."""
    n = line_of(prefix)
    old = BASE_LINES[n - 1]
    indent = old[:len(old) - len(old.lstrip())]
    key = old.strip().split(":", 1)[0]
    return {n: f"{indent}{key}: {value}"}


# -- the base itself is valid (every case breaks exactly one thing) -------------------------
scenario("base_is_valid", code=0, says=("{f}: ok (sweep)",))

# -- non-finite numbers: NaN and infinity, in every numeric field ----------------------------
NUMERIC_FIELDS = [
    ("at:", "faults[0].at"), ("duration:", "faults[1].duration"), ("time_limit:", "time_limit"),
    ("users:", "load.users"), ("spawn_rate:", "load.spawn_rate"),
    ("weight:", "load.requests[0].weight"),
    ("request_timeout:", "load.request_timeout"), ("app_port:", "lab.app_port"),
    ("above: 5%", "detect[0].above"), ("window:", "detect[0].window"), ("ttd:", "targets.ttd"),
    ("data_loss: 0", "targets.data_loss"), ("error_budget_burned:", "targets.error_budget_burned"),
    ("availability:", "slo.availability"), ("above: 50%", "abort_if[0].above"),
    ("every:", "backups.every"), ("keep:", "backups.keep"),
]
for prefix, path in NUMERIC_FIELDS:
    for written, word in ((".nan", "NaN"), (".inf", "infinity"), ("-.inf", "infinity")):
        edit = replace_value(prefix, written)
        (n,) = edit
        scenario(f"nonfinite_{path}_{written}", edit=edit, says=(at(n, path), word),
                 nonfinite=True)
scenario("nonfinite_wait_item", edit=replace_value("wait:", "[0.05, .nan]"),
         says=(at(line_of("wait:"), "load.wait"), "NaN"), nonfinite=True)
scenario("nonfinite_nan_text_ratio", edit=replace_value("above: 5%", "nan%"),
         says=(at(line_of("above: 5%"), "detect[0].above"), "NaN"), nonfinite=True)
scenario("nonfinite_abort_elapsed", edit={line_of("- metric:"): "  - metric: elapsed",
                                          line_of("above: 50%"): "    above: .inf"},
         says=(at(line_of("above: 50%"), "abort_if[0].above"), "infinity"), nonfinite=True)
scenario("nonfinite_abort_failed_requests",
         edit={line_of("- metric:"): "  - metric: failed_requests",
               line_of("above: 50%"): "    above: .nan"},
         says=(at(line_of("above: 50%"), "abort_if[0].above"), "NaN"), nonfinite=True)

# -- keys that are not strings, at their own line, named as written ---------------------------
for written in ("on", "off", "yes", "no", "true", "42", "-1", "1.5", "null", "~", "0x10",
                "2001-12-14"):
    scenario(f"key_not_string_{written}", add=f"{written}: 1\n",
             says=(f"{{f}}:{END}: ", f"'{written}'", "keys must be strings"),
             never=("[1]", "[42]", "None:", "True:"))
scenario("key_not_string_nested", edit={line_of("app_port:"): "  on: 8080"},
         says=(at(line_of("db_password:") + 1, "lab"), "'on'", "keys must be strings"))
scenario("key_not_string_in_fault", edit={line_of("target: db"): "    42: db"},
         says=(f"{{f}}:{line_of('target: db')}: faults[0]", "'42'", "keys must be strings"))
scenario("key_not_string_in_headers",
         edit=replace_value("headers:", "{on: x}"),
         says=(f"{{f}}:{line_of('headers:')}: ", "'on'", "keys must be strings"))
scenario("key_not_string_in_json_body", edit={line_of("weight:"): "      json: {yes: 1}"},
         says=(f"{{f}}:{line_of('weight:')}: ", "'yes'", "keys must be strings"))
scenario("key_is_a_list", add="? [a, b]\n: 1\n",
         says=(f"{{f}}:{END}: ", "keys must be strings"))
scenario("key_is_a_mapping", add="? {a: 1}\n: 1\n",
         says=(f"{{f}}:{END}: ", "keys must be strings"))
scenario("key_not_string_three_at_once", add="on: 1\n42: x\nnull: y\n",
         says=(f"{{f}}:{END}: ", f"{{f}}:{END + 1}: ", f"{{f}}:{END + 2}: ", "'on'", "'42'",
               "'null'"), never=("[1]", "[42]", "None"))

# -- line separators other than \n must not shift line numbers --------------------------------
for char, label in (("\u2028", "u2028"), ("\u2029", "u2029"), ("\x85", "x85")):
    scenario(f"separator_{label}_in_comment", text=f"# a comment {char} with: a separator\n"
             + BASE + "bogus: 1\n", says=(at(END + 1, "bogus"),))
    scenario(f"separator_{label}_in_name", edit={1: f"name: 'sweep {char} two'"},
             add="bogus: 1\n", says=(at(END, "bogus"),))
SEP3 = "\u2028" * 3
scenario("separator_many_in_comments",
         text="".join(f"# {SEP3} line {i}\n" for i in range(5)) + BASE + "bogus: 1\n",
         says=(at(END + 5, "bogus"),))
scenario("crlf_line_ends", text=BASE.replace("\n", "\r\n") + "bogus: 1\r\n",
         says=(at(END, "bogus"),))
scenario("cr_line_ends", text=BASE.replace("\n", "\r") + "bogus: 1\r",
         says=(at(END, "bogus"),))
scenario("bom_then_error", text="\ufeff" + BASE + "bogus: 1\n", says=(at(END, "bogus"),))

# -- tags: a value that does not fit its tag, at its line and field ---------------------------
for prefix, path, tag in [
    ("at:", "faults[0].at", "!!int ten"), ("users:", "load.users", "!!int 5.5"),
    ("users:", "load.users", "!!bool maybe"), ("time_limit:", "time_limit", "!!float abc"),
    ("time_limit:", "time_limit", "!!timestamp soon"), ("name:", "name", "!!binary '###'"),
    ("at:", "faults[0].at", "!!int [1, 2]"), ("name:", "name", "!custom x"),
    ("name:", "name", "!!python/name:os.system ''"), ("keep:", "backups.keep", "!!int 0xZZ"),
    ("at:", "faults[0].at", "!!float {a: 1}"),
]:
    edit = replace_value(prefix, tag)
    (n,) = edit
    scenario(f"tag_{path}_{re.sub(r'[^a-z0-9]+', '_', tag)}", edit=edit, says=(at(n, path),))
scenario("tag_on_secret_hides_value", edit=replace_value("db_password:", "!!int hunter2hunter2"),
         says=(at(line_of("db_password:"), "lab.db_password"),))

# -- the document is not a mapping ------------------------------------------------------------
for label, text, word in [
    ("empty", "", "empty"), ("blank", "   \n\n", "empty"), ("comments_only", "# a\n# b\n", "empty"),
    ("null", "~\n", "empty"), ("null_word", "null\n", "empty"), ("doc_marker", "---\n", "empty"),
    ("doc_marker_null", "--- ~\n", "empty"), ("doc_end_only", "...\n", "empty"),
    ("bom_only", "\ufeff", "empty"), ("list", "[]\n", "mapping"),
    ("items", "- a\n- b\n", "mapping"),
    ("string", "'text'\n", "mapping"), ("number", "42\n", "mapping"), ("bool", "true\n", "mapping"),
    ("tagged_null", "!!null ''\n", "empty"),
    ("two_documents", "name: a\n---\nname: b\n", "document"),
]:
    scenario(f"document_{label}", text=text, says=("{f}", word))
scenario("document_empty_mapping", text="{}\n",
         says=("missing required field 'name'", "missing required field 'lab'"))

# -- wrong types: one line naming the allowed types, never union noise ------------------------
for label, value in (("list", "[1, 2]"), ("mapping", "{a: 1}"), ("date", "2001-12-14")):
    scenario(f"union_expect_{label}", edit=replace_value("expect:", value),
             says=(at(line_of("expect:"), "invariants[0].expect"),))
for label, value in (("list", "[1]"), ("mapping", "{a: 1}")):
    scenario(f"union_abort_above_{label}", edit=replace_value("above: 50%", value),
             says=(at(line_of("above: 50%"), "abort_if[0].above"),))
scenario("union_expect_one_line", edit=replace_value("expect:", "[1, 2]"),
         says=("text", "number"), never=("expect.", "valid boolean\n"))

# -- secrets: the value of a secret-like field is never printed, whatever its type -----------
for label, value in [("int", NUMBER_SECRET), ("list", f"[{PASSWORD}]"),
                     ("mapping", f"{{a: {PASSWORD}}}"),
                     ("float", "83749283749.5"), ("bool", "true"), ("null", "null"),
                     ("nested", f"[[{NUMBER_SECRET}]]")]:
    scenario(f"secret_db_password_{label}", edit=replace_value("db_password:", value),
             says=(at(line_of("db_password:"), "lab.db_password"),),
             never=("input should", "***"))
scenario("secret_header_value_not_text",
         edit=replace_value("headers:", f"{{Authorization: {NUMBER_SECRET}}}"),
         says=(at(line_of("headers:"), "load.requests[0].headers.Authorization"),))
scenario("secret_header_bad_template",
         edit=replace_value("headers:", f"{{Authorization: 'Bearer {API_KEY}{{'}}"),
         says=(at(line_of("headers:"), "load.requests[0].headers.Authorization"),))
scenario("secret_set_flag_type", extra=("--set", f"lab.db_password={NUMBER_SECRET}"),
         says=("lab.db_password", "--set"))
scenario("secret_set_flag_bad_yaml", extra=("--set", f"lab.db_password=[{PASSWORD}"),
         says=("lab.db_password",), located=False)
scenario("secret_set_flag_bad_yaml_spaces", extra=("--set", f"lab.db_password=[a {PASSWORD}"),
         says=("lab.db_password",), located=False)
scenario("secret_in_unknown_password_key", add=f"api_token: {{x: [{PASSWORD}]}}\n",
         says=(at(END, "api_token"), "unknown field"))
scenario("secret_word_input_kept", edit=replace_value("db_password:", "[1]"),
         says=("lab.db_password: ",), never=("*** ",))

# -- patterns and braces: the user's text as written -----------------------------------------
scenario("pattern_health_path", edit={line_of("app_port:"): "  health_path: 'x{a}'"},
         says=(at(line_of("app_port:"), "lab.health_path"), "'x{a}'"))
scenario("pattern_disk_size",
         text=BASE.replace("faults:\n", "faults:\n  - {type: disk_full, at: 30s, table: t, "
                                        "size: '{9}m'}\n"),
         says=(at(line_of("faults:") + 1, "faults[0].size"), "'{9}m'"))
scenario("pattern_lock_mode",
         text=BASE.replace("faults:\n", "faults:\n  - {type: lock_table, at: 30s, duration: 5s, "
                                        "table: t, mode: 'X{1,2}'}\n"),
         says=(at(line_of("faults:") + 1, "faults[0].mode"), "'X{1,2}'"))
for label, value, shown in [
    ("unknown_placeholder", "/x/{foo}", "{foo}"), ("int_reversed", "/x/{int:9:1}", "{int:9:1}"),
    ("unbalanced", "/x/{", "'{'"), ("choice_empty", "/x/{choice:a||b}", "{choice:a||b}"),
    ("relative", "x/{int:1:5}", "'x/{int:1:5}'"),
]:
    scenario(f"pattern_path_{label}", edit=replace_value("- path:", f"'{value}'"),
             says=(at(line_of("- path:"), "load.requests[0].path"), shown))
scenario("pattern_method", edit={line_of("weight:"): "      method: 'G{E}T'"},
         says=(at(line_of("weight:"), "load.requests[0].method"), "'G{E}T'"))
scenario("pattern_duration_braces", edit=replace_value("at:", "'{1,2}'"),
         says=(at(line_of("at:"), "faults[0].at"), "'{1,2}'"))
scenario("pattern_service_braces", edit=replace_value("target: db", "'{db}'"),
         says=(at(line_of("target: db"), "faults[0].target"), "'{db}'"))
scenario("pattern_variable", edit=replace_value("time_limit:", "'${X'"),
         says=(at(line_of("time_limit:"), "time_limit"), "'${X'"))

# -- files a scenario names: say what they are, never "not found" for what exists -------------
OPT_IN = {"CHAOS_ALLOW_OUTSIDE_FILES": "1"}
for label, content, word in [
    ("directory", DIRECTORY, "directory"), ("fifo", FIFO, "FIFO"), ("device", DEV_ZERO, "device"),
    ("loop", LOOP, "loop"), ("binary", b"services:\x00\n", "binary"),
    ("latin1", b"services:\n  caf\xe9: {}\n", "UTF-8"), ("empty", "", "no services"),
    ("list", "- a\n", "no services"), ("no_services", "version: '3'\n", "no services"),
]:
    scenario(f"compose_{label}", files={"compose.yml": content}, env=OPT_IN,
             says=(at(line_of("compose:"), "lab.compose"), word), never=("not found",))
scenario("compose_missing", edit=replace_value("compose:", "nothere.yml"),
         says=(at(line_of("compose:"), "lab.compose"), "not found"))
scenario("compose_yaml_error_keeps_secrets",
         files={"compose.yml": f"services:\n  app:\n    environment:\n      API_KEY: {API_KEY}\n"
                               f"      PASSWORD: '{PASSWORD}\n  db: [\n"},
         says=(at(line_of("compose:"), "lab.compose"), "not valid YAML"), never=("API_KEY",))
scenario("compose_tab_error_keeps_secrets",
         files={"compose.yml": f"services:\n\tapp: {{environment: {{TOKEN: {API_KEY}}}}}\n"},
         says=(at(line_of("compose:"), "lab.compose"), "not valid YAML"))
scenario("compose_too_large",
         files={"compose.yml": "services: {app: {}, db: {}}\n" + "#" * 2_100_000},
         says=(at(line_of("compose:"), "lab.compose"), "too large"))
HALF = "  - {type: half_applied_update, at: 30s, script: x.sql, fail_at_statement: 1}\n"
for label, content, word in [
    ("directory", DIRECTORY, "directory"), ("fifo", FIFO, "FIFO"), ("device", DEV_ZERO, "device"),
    ("loop", LOOP, "loop"), ("binary", b"UPDATE t SET a = 1;\x00", "binary"),
    ("latin1", b"UPDATE t SET a = '\xe9';", "UTF-8"), ("empty", "", "empty"),
]:
    scenario(f"script_{label}", text=BASE.replace("faults:\n", "faults:\n" + HALF),
             files={"x.sql": content}, env=OPT_IN,
             says=(f"{{f}}:{line_of('faults:') + 1}: faults[0]", word), never=("not found",))
scenario("script_outside_project", text=BASE.replace("faults:\n", "faults:\n" + HALF.replace(
    "x.sql", "../../../../../etc/passwd")), says=(f"{{f}}:{line_of('faults:') + 1}: faults[0]",
                                                  "outside"))
LOCUST = {line_of("requests:") + i: "" for i in range(4)}
LOCUST[line_of("wait:")] = "  locustfile: l.py"
for label, content, word in [
    ("directory", DIRECTORY, "directory"), ("fifo", FIFO, "FIFO"), ("device", DEV_ZERO, "device"),
    ("empty", "", "empty"), ("syntax", "def (:\n", "l.py:1"), ("binary", b"\x00\x01", "binary"),
]:
    scenario(f"locustfile_{label}", edit=LOCUST, files={"l.py": content}, env=OPT_IN,
             says=(at(line_of("wait:"), "load.locustfile"), word), never=("not found",))

# -- --set misuse -----------------------------------------------------------------------------
for label, flag, word in [
    ("no_equals", "load.users", "KEY=VALUE"), ("empty_key", "=5", "empty"),
    ("double_dot", "load..users=5", "cannot read the key"),
    ("index_past_end", "faults[9].at=1s", "past the end"), ("word_index", "faults.x=1", "list"),
    ("into_scalar", "name.x=1", "single value"), ("bad_flow", "load.users=[1", "not valid YAML"),
    ("unknown", "nope=1", "unknown field 'nope'"), ("nan", "load.users=.nan", "NaN"),
    ("huge", "load.users=1e999", "'1e999'"), ("inf", "load.users=.inf", "infinity"),
    ("tag", "faults[0].at=!!int ten", "faults[0].at"),
    ("negative", "time_limit=-5s", "negative"), ("list_of_set", "lab.x[0]=1", "lists"),
]:
    # A malformed --set is named by its own text (exit 2); a bad value, at the field it sets.
    scenario(f"set_{label}", extra=("--set", flag), says=(word,), located=False)

# -- the scenario file itself -----------------------------------------------------------------
for label, content, word in [
    ("directory", DIRECTORY, "directory"), ("fifo", FIFO, "FIFO"), ("device", DEV_ZERO, "device"),
    ("loop", LOOP, "loop"), ("binary", b"name: a\x00\n", "binary"),
    ("latin1", b"name: caf\xe9\n", "UTF-8"), ("too_large", "#" * 200_000 + "\n", "too large"),
    ("nul_escape", 'name: "\\0"\n', "lab"), ("control_char", "name: a\x07b\n", "#x0007"),
]:
    CASES.append(Case(f"file_{label}", lambda d: ["validate", str(d / "s.yaml")], 2,
                      ("{f}", word), ("not found",), {"s.yaml": content}))
CASES.append(Case("file_missing", lambda d: ["validate", str(d / "s.yaml")], 2,
                  ("{f}", "not found")))

# -- command-line misuse ----------------------------------------------------------------------
def cli(name: str, argv: list[str], code: int, says: tuple[str, ...] = (),
        files: dict[str, str | bytes] | None = None, main: str = "s.yaml") -> None:
    CASES.append(Case(name, lambda d: [a.replace("{d}", str(d)) for a in argv], code, says,
                      (), {"compose.yml": COMPOSE, "s.yaml": BASE, **(files or {})}, main=main))


cli("cli_no_command", [], 2)
cli("cli_unknown_command", ["frobnicate"], 2, ("No such command",))
cli("cli_unknown_option", ["validate", "--nope", "{d}/s.yaml"], 2, ("--nope",))
cli("cli_validate_nothing", ["validate"], 2, ("FILES",))
cli("cli_validate_empty_name", ["validate", ""], 2)
cli("cli_validate_two_one_bad", ["validate", "{d}/s.yaml", "{d}/missing.yaml"], 2,
    ("{f}: ok", "missing.yaml", "not found"))
cli("cli_run_trials_zero", ["run", "{d}/s.yaml", "--trials", "0"], 2, ("--trials",))
cli("cli_run_trials_text", ["run", "{d}/s.yaml", "--trials", "abc"], 2, ("--trials",))
cli("cli_run_trials_huge", ["run", "{d}/s.yaml", "--trials", "99999999999999999999"], 2,
    ("--trials",))
for label, value in (("twice", "1h1h"), ("nan", "nan"), ("negative", "-5s"), ("word", "soon"),
                     ("empty", ""), ("arabic_digits", "١٠s")):
    cli(f"cli_run_max_duration_{label}", ["run", "{d}/s.yaml", "--max-duration", value], 2,
        ("--max-duration",))
cli("cli_run_missing_file", ["run", "{d}/missing.yaml"], 2, ("missing.yaml", "not found"))
cli("cli_run_bad_scenario", ["run", "{d}/s.yaml"], 2, ("{f}:", "bogus"),
    files={"s.yaml": BASE + "bogus: 1\n"})
cli("cli_run_directory", ["run", "{d}"], 2, ("directory",))
cli("cli_run_bad_set", ["run", "{d}/s.yaml", "--set", "load.users"], 2, ("KEY=VALUE",))
cli("cli_compare_missing", ["compare", "{d}/a", "{d}/b"], 2, ("{d}/a",))
cli("cli_compare_bad_regression", ["compare", str(SAMPLE_RUN), str(SAMPLE_RUN),
                                   "--max-regression", "x%"], 2, ("x%",))
cli("cli_compare_nan_regression", ["compare", str(SAMPLE_RUN), str(SAMPLE_RUN),
                                   "--max-regression", "nan%"], 2, ("max-regression",))
cli("cli_compare_bad_metric", ["compare", str(SAMPLE_RUN), str(SAMPLE_RUN), "--metric", "nope"],
    2, ("nope",))
cli("cli_history_bad_format", ["history", "--format", "xml"], 2, ("xml",))
cli("cli_history_reports_is_file", ["history", "--reports", "{d}/s.yaml"], 2, ("s.yaml",))
cli("cli_report_missing", ["report", "{d}/nothing"], 2, ("{d}/nothing",))
cli("cli_report_on_file", ["report", "{d}/s.yaml"], 2, ("s.yaml",))
cli("cli_report_empty_name", ["report", ""], 2)
cli("cli_mark_bad_kind", ["mark", "bogus"], 2, ("bogus",))
for label, lab_id in (("empty", ""), ("path", "some/dir"), ("dotdot", ".."), ("label", "chaos.lab"),
                      ("glob", "*"), ("long", "a" * 300)):
    cli(f"cli_lab_down_{label}", ["lab", "down", lab_id], 2, ("lab id", "nothing was taken down"))

# -- damaged run records ----------------------------------------------------------------------
RESULT = json.loads((SAMPLE_RUN / "result.json").read_text())


def record(name: str, *, result: str | bytes | None = None, timeline: str | bytes | None = None,
           command: str = "report", word: str = "result.json", code: int = 2) -> None:
    files: dict[str, str | bytes] = {}
    if result is not None:
        files["run/result.json"] = result
    if timeline is not None:
        files["run/timeline.jsonl"] = timeline

    def argv(d: Path) -> list[str]:
        if command == "compare":
            return ["compare", str(d / "run"), str(SAMPLE_RUN)]
        if command == "history":
            return ["history", "--reports", str(d)]
        return ["report", str(d / "run")]

    CASES.append(Case(f"record_{command}_{name}", argv, code, (word,), (), files,
                      main="run/result.json"))


def result_with(**changes: object) -> str:
    return json.dumps({**RESULT, **changes})


for command in ("report", "compare"):
    record("result_directory", result=DIRECTORY, command=command)
    record("result_fifo", result=FIFO, command=command)
    record("result_loop", result=LOOP, command=command)
    record("result_device", result=DEV_ZERO, command=command)
    record("result_null", result="null", command=command)
    record("result_list", result="[1, 2]", command=command)
    record("result_empty", result="", command=command)
    record("trials_text", result=result_with(trials="many"), command=command)
    record("scenario_list", result=result_with(scenario=[1]), command=command)
    record("schema_future", result=result_with(schema_version=99), command=command)
record("timeline_directory", timeline=DIRECTORY, word="timeline.jsonl")
record("timeline_fifo", timeline=FIFO, word="timeline.jsonl")
record("timeline_loop", timeline=LOOP, word="timeline.jsonl")
record("timeline_device", timeline=DEV_ZERO, word="timeline.jsonl")
# history lists what it can read and names what it skipped, and why (exit 0).
record("result_fifo", result=FIFO, command="history", word="FIFO", code=0)


# -- issue 28: what validation let through, and messages that did not say what was wrong ----
# A service name left at its default is checked as one written out, at the `lab:` line.
scenario("default_db_not_in_compose",
         files={"compose.yml": "services:\n  app: {image: a}\n  database: {image: b}\n"},
         says=(at(line_of("lab:"), "lab.db"), "no service 'db'", "the default 'db' was used"))
scenario("default_app_not_in_compose",
         files={"compose.yml": "services:\n  web: {image: a}\n  db: {image: b}\n"},
         says=(at(line_of("lab:"), "lab.app"), "no service 'app'", "the default 'app' was used"))
# An Alertmanager configuration is checked at validation: its line in its own file.
AM_AT = at(END + 3, "observe.prometheus.alertmanager.config")
AM_ADD = ("observe:\n  prometheus:\n    targets: [{service: app, port: 8080}]\n"
          "    alertmanager: {config: am.yml}\n")
for label, content, word in [
    ("not_yaml", "route:\n  receiver: [a\n", "am.yml:3: not a valid Alertmanager configuration"),
    ("no_route", "receivers:\n  - name: a\n", "am.yml:1: an Alertmanager configuration is a "
                                             "mapping with a 'route:'; it has no 'route:'"),
    ("list", "- route: {}\n", "am.yml:1: an Alertmanager configuration is a mapping with a "
                              "'route:'; found a list"),
    ("route_not_mapping", "receivers: []\nroute: team\n", "am.yml:2: 'route:' must be a mapping"),
]:
    scenario(f"am_config_{label}", add=AM_ADD, files={"am.yml": content}, says=(AM_AT, word))
# Requests the load could not send: control characters, spaces, non-Latin-1 header values.
PATH_AT = at(line_of("- path:"), "load.requests[0].path")
HEADER_LINE = line_of("headers:")
scenario("request_path_crlf", edit=replace_value("- path:", '"/items/\\r\\nx"'),
         says=(PATH_AT, "'\\r'", "percent-encode"))
scenario("request_path_space", edit=replace_value("- path:", "'/items/a b'"),
         says=(PATH_AT, "a space", "%20"))
scenario("request_header_name_crlf", edit=replace_value("headers:", '{"X-A\\r\\nB": v}'),
         says=(at(HEADER_LINE, "load.requests[0].headers.X-A\\r\\nB"), "not an HTTP field name"),
         never=("[key]",))
scenario("request_header_value_newline", edit=replace_value("headers:", '{X-Trace: "a\\nb"}'),
         says=(at(HEADER_LINE, "load.requests[0].headers.X-Trace"), "'\\n'"))
scenario("request_header_value_beyond_latin1", edit=replace_value("headers:", "{X-Price: '€'}"),
         says=(at(HEADER_LINE, "load.requests[0].headers.X-Price"), "beyond Latin-1"))
scenario("request_header_secret_control",
         edit=replace_value("headers:", f'{{Authorization: "Bearer {API_KEY}\\a"}}'),
         says=(at(HEADER_LINE, "load.requests[0].headers.Authorization"), "'\\x07'"))
# pydantic's markers never reach a field path.
scenario("db_env_key_not_a_name", edit={line_of("app_port:"): "  db_env: {1BAD: x}"},
         says=(at(line_of("app_port:"), "lab.db_env.1BAD: "),), never=("[key]",))
# The command line: an empty destination is refused, not the current directory.
cli("cli_example_empty_dest", ["example", ""], 2, ("empty",))
cli("cli_validate_empty_file", ["validate", ""], 2, ("file name is empty",))
# Run records: what is wrong with a number, not "should be a number, found a number".
for command in ("report", "compare"):
    for label, value, word in (("nan", float("nan"), "NaN is not a measurement"),
                               ("huge", 1e300, "1e+300 is beyond any measurement (limit 1e15)")):
        trial = {**RESULT["trials"][0], "ttd_s": value}
        record(f"ttd_{label}", result=result_with(trials=[trial, *RESULT["trials"][1:]]),
               command=command, word=f"field 'trials[0].ttd_s': {word}")
# history names every record it skips: a symlink loop too.
record("result_loop", result=LOOP, command="history", word="symlink loop", code=0)


# -- the runner -------------------------------------------------------------------------------
def materialise(d: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("run/") and not (d / "run" / "done").exists():
            shutil.copytree(SAMPLE_RUN, d / "run", dirs_exist_ok=True)
            (d / "run" / "done").write_text("")
            path.unlink(missing_ok=True)
        if content == FIFO:
            os.mkfifo(path)
        elif content == DIRECTORY:
            path.mkdir()
        elif content == LOOP:
            path.symlink_to(path.name)
        elif content == DEV_ZERO:
            path.symlink_to("/dev/zero")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")


PER_CASE_S = 10.0


MEMORY_HEADROOM = 1 << 30    # a case that reads /dev/zero to the end fails, not the machine


@contextlib.contextmanager
def memory_limit() -> Iterator[None]:
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (pages * os.sysconf("SC_PAGE_SIZE") + MEMORY_HEADROOM,
                                            hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_case(case: Case, d: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Exit code and output of ``case``; a hang is exit -1."""
    materialise(d, case.files)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(d)
    try:
        with time_limit(PER_CASE_S), memory_limit():
            return run_main(case.argv(d))
    except Hang as exc:
        return -1, str(exc)


def problems(case: Case, code: int, output: str, d: Path) -> list[str]:
    """What is wrong with how chaos handled ``case`` (empty: handled well)."""
    main = str(d / case.main)
    wrong = []
    if code != case.code:
        wrong.append(f"exit {code}, expected {case.code}")
    for bad in NOISE + SECRETS + case.never:
        if bad in output:
            wrong.append(f"output holds {bad!r}")
    for want in case.says:
        text = want.replace("{f}", main).replace("{d}", str(d))
        if text not in output:
            wrong.append(f"output lacks {text!r}")
    if case.no_nonfinite_words and NONFINITE_WORDS.search(output):
        wrong.append("NaN/infinity shown as Python prints it")
    if case.every_line_names_file:
        for line in output.splitlines():
            if line and not line.startswith((main, f"chaos: {main}")):
                wrong.append(f"a line that does not name the file: {line[:100]!r}")
    return wrong


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """No case may reach Docker: a run that got past validation would start a lab."""
    from chaos import run

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sweep reached the lab")

    monkeypatch.setattr(run, "start_lab", refuse, raising=False)


def test_the_sweep_is_large_and_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    assert len(CASES) >= 200, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run_case(case, tmp_path, monkeypatch)
    wrong = problems(case, code, output, tmp_path)
    assert not wrong, "\n".join(wrong) + "\n--- output:\n" + output[-3000:]
