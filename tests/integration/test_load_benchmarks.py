"""CI samples of the benchmarks: each runs in a reduced form; the output format
(one JSON object per line, a final summary) is checked, never the timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def bench(*args: str, timeout: float) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert rows and all("bench" in r for r in rows)
    return rows


def test_growth_benchmark_reports_cost_per_request():
    rows = bench("benchmarks.growth", "--rate", "100", "--seconds", "5", timeout=120)
    (row,) = rows
    assert row["requests"] == 500
    for key in ("cpu_us_per_request", "core_share", "bytes_per_request", "acked_writes",
                "timeline_bytes_per_s"):
        assert isinstance(row[key], (int, float)), key


@pytest.mark.docker
def test_lab_start_benchmark_output(lab_images):
    rows = bench("benchmarks.lab_start", "--pairs", "1", timeout=300)
    runs, summary = rows[:-1], rows[-1]["summary"]
    assert sorted(r["how"] for r in runs) == ["bare", "chaos"]
    assert all(r["seconds"] > 0 for r in runs)
    assert {"bare_s", "chaos_s", "ratio"} <= set(summary)
    assert summary["ratio"]["n"] == 1


@pytest.mark.docker
def test_load_overhead_benchmark_output(lab_images):
    rows = bench("benchmarks.load_overhead", "--pairs", "1", "--seconds", "5", "--warmup", "0",
                 timeout=600)
    runs, summary = rows[:-1], rows[-1]["summary"]
    assert sorted((r["case"], r["how"]) for r in runs) == [
        ("declared", "bare"), ("declared", "chaos"),
        ("locustfile", "bare"), ("locustfile", "chaos")]
    for r in runs:
        assert r["requests"] > 0 and r["failed"] == 0, r
        assert r["rps"] > 0, r
        if r["how"] == "chaos":     # the listener saw what Locust counted
            assert r["stream_ok"] and r["stream_lines"] > 0, r
    for case in ("locustfile", "declared"):
        assert {"bare_rps", "chaos_rps", "ratio"} <= set(summary[case])
        assert summary[case]["pair_ratio"]["n"] == 1
        assert summary[case]["stream_ok"]


@pytest.mark.docker
def test_remote_load_benchmark_output(loadworker_image):
    """3 worker containers, one short bare/chaos pair: the shape, and that chaos's stream
    saw every request Locust counted exactly once (and the target served them all)."""
    rows = bench("benchmarks.remote_load", "--pairs", "1", "--seconds", "6", "--users", "6",
                 "--warmup", "0", timeout=240)
    runs, summary = rows[:-1], rows[-1]["summary"]
    assert sorted(r["how"] for r in runs) == ["bare", "chaos"]
    for r in runs:
        assert r["workers"] == 3 and r["requests"] > 0 and r["failed"] == 0, r
        assert r["rps"] > 0 and r["served"] == r["requests"], r
        for key in ("master_cpu_us_per_request", "channel_in_bytes_per_request"):
            assert isinstance(r[key], (int, float)), (key, r)
        if r["how"] == "chaos":
            assert r["stream_lines"] == r["requests"] and r["stream_exact"], r
            assert len(r["hosts"]) == 3 and r["batch_bytes_per_request"] > 0, r
    assert {"bare_rps", "chaos_rps", "ratio", "costs"} <= set(summary)
    assert summary["pair_ratio"]["n"] == 1 and summary["stream_exact"]
