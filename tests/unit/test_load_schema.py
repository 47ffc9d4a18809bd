"""The load section: the user's locustfile (checked before any container starts)
or declared requests; data_loss and baseline rules. Every error names file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.scenario import load_scenario
from chaos.scenario.template import Template, field_of, parse_tree, render_tree
from tests.cli_helpers import run_main

DATA = Path(__file__).resolve().parents[1] / "data"

HEAD = """\
name: t
lab: {compose: compose.yml}
faults: [{type: kill, at: 10s, target: db}]
detect: [{type: error_rate, above: 5%}]
"""


def write(tmp_path: Path, body: str, locustfile: str | None = None) -> Path:
    shutil.copy(DATA / "compose.yml", tmp_path / "compose.yml")
    if locustfile is not None:
        (tmp_path / "lf.py").write_text(locustfile)
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + body)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


GOOD_USER = ("from locust import HttpUser, task\nclass U(HttpUser):\n"
             "    @task\n    def t(self):\n        pass\n")


def test_a_plain_locustfile_is_accepted(tmp_path):
    sc = load_scenario(write(tmp_path, "load: {users: 3, locustfile: lf.py}\n", GOOD_USER))
    assert sc.load.locustfile == (tmp_path / "lf.py").resolve()


@pytest.mark.parametrize("source, expect, line", [
    ("def broken(:\n", "lf.py:1: syntax error", 5),
    ("import os\nimport no_such_module_here\n", "lf.py:2: import failed: ModuleNotFoundError", 5),
    ("from locust import HttpUser\nX = 1\n", "defines no User class", 5),
])
def test_a_locustfile_that_cannot_run_is_a_located_error(tmp_path, source, expect, line):
    (found,) = problems(write(tmp_path, "load: {users: 3, locustfile: lf.py}\n", source))
    assert expect in found
    assert found.startswith(f"{tmp_path / 's.yaml'}:{line}: load.locustfile: ")


def test_a_missing_locustfile(tmp_path):
    (found,) = problems(write(tmp_path, "load: {locustfile: nope.py}\n"))
    assert "load.locustfile: file not found: nope.py" in found


def test_no_load_at_all_says_chaos_does_not_know_the_app(tmp_path):
    (found,) = problems(write(tmp_path, "load: {users: 3}\n"))
    assert "needs a 'locustfile:'" in found and "does not know your app" in found


def test_declared_requests_validate_like_the_rest(tmp_path):
    found = problems(write(tmp_path, """\
load:
  requests:
    - {path: "/a/{int:9:1}"}
    - {path: /b, methd: GET}
    - {method: POST, path: /c, json: {x: 1}, write: {ref: client}}
    - {method: POST, path: /d, write: {ref: response}}
    - {path: "/e/{ref}"}
    - {path: "/f/{nope}"}
"""))
    text = "\n".join(found)
    assert ":7: load.requests[0].path: " in text and "low end 9 is above the high end 1" in text
    assert ":8: load.requests[1].methd: unknown field 'methd'; did you mean 'method'?" in text
    assert ":9: load.requests[2]: " in text and "must send its reference" in text
    assert ":10: load.requests[3].write: " in text and "needs 'field:'" in text
    assert ":11: load.requests[4]: " in text
    assert ":12: load.requests[5].path: " in text and "unknown placeholder" in text


def test_declared_requests_become_what_the_locust_side_reads(tmp_path):
    sc = load_scenario(write(tmp_path, """\
load:
  wait: [0.1, 0.3]
  requests:
    - {name: read, path: "/items/{int:1:5}", weight: 4, success: [200, 404]}
    - method: put
      path: /items
      headers: {X-Ref: "{ref}"}
      json: {n: "{int:1:1}", tag: "t-{choice:a|b}"}
      write: {ref: client}
"""))
    read, put = (r.as_locust() for r in sc.load.requests)
    assert read == {"name": "read", "method": "GET", "path": "/items/{int:1:5}", "headers": {},
                    "json": None, "weight": 4, "success": [200, 404], "write": None}
    assert put["name"] == "PUT /items" and put["write"] == {"ref": "client", "field": None}
    assert sc.load.wait == (0.1, 0.3)


def test_wait_belongs_to_declared_requests(tmp_path):
    (found,) = problems(write(tmp_path, "load: {locustfile: lf.py, wait: 1s}\n", GOOD_USER))
    assert "load.wait: 'wait' applies to declared requests" in found


def test_a_data_loss_target_needs_a_way_to_measure_it(tmp_path):
    found = problems(write(tmp_path,
                           "load: {requests: [{path: /}]}\ntargets: {data_loss: 0, rpo: 1s}\n"))
    assert any(":6: targets.data_loss: a 'data_loss' target needs a 'data_loss' section" in p
               for p in found), found
    assert any("targets.rpo:" in p for p in found)
    ok = ("load: {requests: [{path: /}]}\n"
          "data_loss: {query: 'SELECT r FROM t WHERE r = ANY(%(refs)s)'}\n")
    assert load_scenario(write(tmp_path, ok + "targets: {data_loss: 0}\n")).data_loss is not None


def test_the_data_loss_query_takes_the_refs(tmp_path):
    (found,) = problems(write(tmp_path,
                              "load: {requests: [{path: /}]}\ndata_loss: {query: SELECT 1}\n"))
    assert "data_loss: " in found and "%(refs)s" in found


def test_the_baseline_must_end_by_the_first_fault(tmp_path):
    (found,) = problems(write(tmp_path, "load: {requests: [{path: /}]}\nbaseline: {for: 11s}\n"))
    assert "baseline.for: the baseline window (11s) must end by the first fault (at 10s)" in found
    sc = load_scenario(write(tmp_path, "load: {requests: [{path: /}]}\n"))
    assert sc.baseline.window(10.0) == 5.0 and sc.baseline.window(2.0) == 2.0


def test_shop_fault_parameters_have_no_defaults(tmp_path):
    body = "load: {requests: [{path: /}]}\n"
    path = write(tmp_path, body)
    path.write_text(path.read_text().replace("{type: kill, at: 10s, target: db}",
                                             "{type: corrupt_rows, at: 10s}"))
    found = "\n".join(problems(path))
    assert "missing required field 'table'" in found and "missing required field 'column'" in found


def test_validate_exits_2_naming_the_locustfile_line(tmp_path):
    path = write(tmp_path, "load: {locustfile: lf.py}\n", "import os\nraise SystemExit('no')\n")
    code, said = run_main(["validate", str(path)])
    assert code == 2, said
    assert "lf.py:2: import failed: SystemExit: no" in said and "Traceback" not in said


# ---- templates -------------------------------------------------------------------------


def test_templates_render_each_placeholder():
    t = Template.parse("/a/{int:3:3}/{choice:x}/{{lit}}/{ref}")
    assert t.render(ref="R") == "/a/3/x/{lit}/R"
    assert Template.parse("{int:7:7}").render() == 7          # a bare integer stays a number
    uuid_text = Template.parse("{uuid}").render()
    assert len(uuid_text) == 36 and uuid_text != Template.parse("{uuid}").render()
    body = render_tree(parse_tree({"n": "{int:2:2}", "l": ["{ref}", 1, None]}), "R")
    assert body == {"n": 2, "l": ["R", 1, None]}


@pytest.mark.parametrize("bad", ["{int:1}", "{x}", "a{b", "}", "{choice:a||b}"])
def test_bad_templates_are_refused(bad):
    with pytest.raises(ValueError):
        Template.parse(bad)


def test_field_of_walks_the_answer():
    assert field_of({"note": {"uid": 7}}, "note.uid") == 7
    assert field_of({"items": [{"id": "a"}]}, "items.0.id") == "a"
    for bad in ("note.nope", "note"):
        with pytest.raises(KeyError):
            field_of({"note": {"uid": 7}}, bad)
