"""Was the load the same on both sides of a comparison? From each trial's load hosts
(``trials[].load_hosts``): how many hosts, their Locust versions, the users they ran.

    load_note(base.result, candidate.result)   # None, or a sentence saying what differed

A different load is not a reason to refuse a comparison (a change of load may be the
point), but a reader must know: MTTR under 3 load hosts and under 1 are two questions.
"""

from __future__ import annotations

from chaos.record import RunRecord


def load_shape(result: RunRecord) -> str | None:
    """``3 hosts, Locust 2.47.0, 60 users`` for the run's trials (None: no host recorded,
    a run from before issue #27); trials that differ are listed each."""
    shapes = []
    for trial in result.trials:
        hosts = trial.load_hosts
        if not hosts:
            continue
        versions = sorted({h.locust or "?" for h in hosts})
        users = sum(h.users or 0 for h in hosts)
        shape = (f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}, Locust "
                 f"{'/'.join(versions)}, {users} users")
        if shape not in shapes:
            shapes.append(shape)
    return "; ".join(shapes) if shapes else None


def load_note(base: RunRecord, candidate: RunRecord) -> str | None:
    b, c = load_shape(base), load_shape(candidate)
    if b is None or c is None:
        return None if b == c else (
            "the load is recorded on one side only (a run from before load hosts were "
            "recorded): whether it was the same cannot be told")
    if b != c:
        return f"the load differed: base {b}; candidate {c}"
    return None
