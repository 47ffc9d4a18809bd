"""Did the steady state hold before the fault? The baseline check.

A trial injects nothing into a system that is already failing: if most
requests fail before any fault (the load does not fit the app: every path
404s), every number measured afterwards would be noise. The check looks at
the requests answered in the ``window`` seconds before the first fault and
holds them to the steady state's error-ratio limit.

    base = Baseline()
    base.add(end_t, ok, "GET /items/[id]", 404)
    base.verdict(t_fault, window=5.0, below=0.01)   # None, or why it failed
"""

from __future__ import annotations

from collections import Counter, deque


class Baseline:
    def __init__(self) -> None:
        self.answers: deque[tuple[float, bool, str, int]] = deque(maxlen=200_000)

    def add(self, end_t: float, ok: bool, name: str, status: int) -> None:
        self.answers.append((end_t, ok, name, status))

    def verdict(self, t: float, window: float, below: float) -> str | None:
        if window <= 0:
            return None
        seen = [a for a in self.answers if t - window <= a[0] <= t]
        if not seen:
            return (f"no request was answered in the {window:g} s before the first fault: "
                    "is the app reachable, and does the load start?")
        failed = [a for a in seen if not a[1]]
        ratio = len(failed) / len(seen)
        if ratio < below:
            return None
        (status, name), count = Counter((a[3], a[2]) for a in failed).most_common(1)[0]
        answer = f"HTTP {status}" if status else "no answer"
        return (f"{ratio:.0%} of requests failed before any fault ({len(failed)} of {len(seen)} "
                f"in the last {window:g} s; the steady state allows under {below:.2%}): "
                f"most were {answer} on {name} ({count}) — does the load fit this app?")
