"""Resilience tests beside unit tests: chaos as a pytest plugin (entry point ``pytest11``).

A fixture, for tests that want to look at the record themselves::

    @pytest.mark.docker
    def test_alert_fires_within_30s(chaos_run):
        record = chaos_run("scenarios/half-applied-update.yaml", trials=3)
        ttd = [t["ttd_s"] for t in record["trials"]]   # null: no alert fired in that trial
        assert None not in ttd and max(ttd) < 30, record["targets"]

Or every scenario file as a test item that fails when a target is missed or an
invariant does not hold (failed, or could not be read)::

    pytest --chaos-scenarios 'scenarios/*.yaml' --chaos-reports reports

Nothing happens unless a test asks for ``chaos_run`` or ``--chaos-scenarios`` is
given: this module imports none of the run engine at start-up, so installing
chaos costs other test suites nothing.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:   # the plugin imports chaos lazily: it costs other test suites nothing
    from _pytest._code.code import TracebackStyle

    from chaos.record import RunRecord
    from chaos.run import RunOptions

PROPERTIES = ("ttd_s", "ttr_s", "data_loss.lost")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "chaos resilience scenarios")
    group.addoption("--chaos-scenarios", action="append", default=[], metavar="GLOB",
                    help="Collect scenario files matching GLOB as tests (repeatable); each runs "
                         "the scenario and fails when a target is missed.")
    group.addoption("--chaos-trials", type=int, default=1, metavar="N",
                    help="Trials per collected scenario (default 1).")
    group.addoption("--chaos-reports", metavar="DIR", default=None,
                    help="Where runs are written (default reports/ under the working directory).")
    group.addoption("--chaos-max-duration", metavar="DURATION", default=None,
                    help="Time budget per scenario run, e.g. 10m.")


_SCENARIOS = pytest.StashKey[set[Path]]()


#: Markers the plugin's documentation puts on tests (docs/ci.md): registered here, so a
#: user's project that copies the example gets no PytestUnknownMarkWarning.
MARKERS = ("docker: needs a real Docker engine (a chaos lab)",)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    patterns = config.getoption("chaos_scenarios")
    if not patterns:
        return
    files = {Path(p).resolve() for pattern in patterns for p in glob.glob(pattern, recursive=True)
             if Path(p).is_file()}
    if not files:
        raise pytest.UsageError(f"--chaos-scenarios {' '.join(patterns)}: no file matches")
    config.stash[_SCENARIOS] = files
    from chaos.signals import terminate_like_ctrl_c

    terminate_like_ctrl_c()   # a CI runner's SIGTERM still tears the labs down
    # Collect them even when they lie outside the paths pytest was given (e.g. testpaths).
    given = [Path(a.split("::")[0]).resolve() for a in config.args]
    config.args.extend(str(f) for f in sorted(files)
                       if not any(f == g or g in f.parents for g in given))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.resolve() in parent.config.stash.get(_SCENARIOS, ()):
        return ScenarioTestFile.from_parent(parent, path=file_path)
    return None


def _options(config: pytest.Config, path: Path, **overrides: Any) -> RunOptions:
    from chaos.atomic import exclusive_dir
    from chaos.cli.run_commands import budget_seconds
    from chaos.run import RunOptions, new_run_id
    from chaos.scenario import load_scenario

    reports = overrides.pop("reports", None) or config.getoption("chaos_reports")
    out = overrides.pop("out", None)
    if out is None and reports:
        scenario = load_scenario(path)
        out = exclusive_dir(Path(reports), lambda: new_run_id(scenario, path))
    max_duration = overrides.pop("max_duration", None) or config.getoption("chaos_max_duration")
    return RunOptions(out=Path(out) if out else None,
                      max_duration=budget_seconds(max_duration), **overrides)


@pytest.fixture
def chaos_run(request: pytest.FixtureRequest) -> Callable[..., dict[str, Any]]:
    """Run a scenario file and return its record (result.json as a dict).

    ``chaos_run(path, trials=1, label=None, out=None, reports=None, max_duration=None,
    keep_lab=False)``; raises the run's ``ChaosError`` when the lab or the tool fails.
    """
    from chaos.run import run_scenario
    from chaos.signals import terminate_like_ctrl_c

    # SIGTERM (a CI job cancelled, a timeout) would kill pytest before any fixture's
    # teardown: as Ctrl-C, the session unwinds and every teardown runs.
    terminate_like_ctrl_c()

    def run(scenario: str | Path, **options: Any) -> dict[str, Any]:
        path = Path(scenario)   # a test reads the record as result.json has it
        return run_scenario(path, _options(request.config, path, **options)).as_dict()

    return run


class ScenarioTestFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        from chaos.errors import ScenarioError
        from chaos.scenario import load_scenario

        try:
            scenario = load_scenario(self.path)  # validate before anything runs
        except ScenarioError as exc:
            raise self.CollectError(f"invalid scenario:\n{exc}") from None
        yield ScenarioItem.from_parent(self, name=self.path.stem, title=scenario.name)


class TargetsMissed(Exception):
    def __init__(self, record: RunRecord) -> None:
        super().__init__(record.run_id)
        self.record = record


class ScenarioItem(pytest.Item):
    def __init__(self, *, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = title

    def runtest(self) -> None:
        from chaos.record.judged import judged_nothing
        from chaos.run import run_scenario

        opts = _options(self.config, self.path, trials=self.config.getoption("chaos_trials"))
        record = run_scenario(self.path, opts)
        summary = record.summary or {}
        for name in PROPERTIES:  # shown by pytest's own --junitxml
            spread = summary.get(name)
            self.user_properties.append((name, None if spread is None else spread.median))
        self.user_properties.append(("run_id", record.run_id))
        if not record.passed:
            raise TargetsMissed(record)
        if judged_nothing(record):   # passed only because nothing was judged
            pytest.skip(f"ran (run {record.run_id}), but the scenario declares no "
                        "targets and no invariants: nothing was judged")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: TracebackStyle | None = None) -> str:
        from chaos.errors import ChaosError

        if isinstance(excinfo.value, TargetsMissed):
            return describe_miss(excinfo.value.record)
        if isinstance(excinfo.value, ChaosError):
            return f"chaos: {excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"chaos scenario: {self.title}"


def describe_miss(record: RunRecord) -> str:
    from chaos.record.judged import invariant_lines, verdict

    lines = [f"{record.scenario.name}: {verdict(record)} (run {record.run_id}, "
             f"status {record.status})"]
    for t in record.targets or []:
        mark = "PASS" if t.passed else "FAIL"
        observed = "not measured" if t.observed is None else t.observed
        lines.append(f"  {mark} {t.metric:<16} observed {observed!s:<12} "
                     f"limit {t.limit}" + (f"  ({t.note})" if t.note else ""))
    lines += invariant_lines(record, every_trial=True)
    # A run can miss no target and still fail: a trial an abort_if stopped.
    lines += [f"  trial {t.trial} {t.status}" + (f": {t.abort_reason}" if t.abort_reason else "")
              for t in record.trials if t.status != "completed"]
    if record.abort_reason:
        lines.append(f"  run aborted: {record.abort_reason}")
    return "\n".join(lines)
