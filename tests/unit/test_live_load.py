"""20 participants posting 1,000 marks in 10 s, against the real server in this process:
none lost, none doubled, in timeline.jsonl and on an observer's live stream."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

from chaos.live import open_live
from chaos.live.access import Role
from tests.liveclient import Participant
from tests.unit.test_live import trial

PEOPLE, EACH, SECONDS = 20, 50, 10.0


def test_a_thousand_marks_from_twenty_people_are_all_kept_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    t = trial(tmp_path)
    live = open_live("20261206-000000-load", t.sc, tmp_path, lambda line: None)
    failures: list[tuple[str, int, object]] = []
    try:
        live.board.attach(1, t)
        watcher = Participant(live.url, live.access.tokens[Role.OBSERVER])
        with watcher.listen(timeout=60) as stream:
            stream.wait_for(lambda m: m[0] == "state")
            start = time.monotonic()

            def person(i: int) -> None:
                p = Participant(live.url, live.access.tokens[Role.RESPONDER])
                for k in range(EACH):   # paced: the thousand spread over the ten seconds
                    due = start + SECONDS * (k + i / PEOPLE) / EACH
                    time.sleep(max(0.0, due - time.monotonic()))
                    status, body = p.post("/api/mark", {"mark": "note", "note": f"m-{i}-{k}",
                                                        "by": f"person {i}"})
                    if status != 200:
                        failures.append((f"m-{i}-{k}", status, body))

            threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=60)
            took = time.monotonic() - start
            stream.wait_for(lambda m: any(e.get("note") == f"m-{PEOPLE - 1}-{EACH - 1}"
                                          for e in m[1].get("events", [])), timeout=20)
            seen = Counter(e.get("note") for e in stream.events() if e.get("kind") == "mark")
    finally:
        live.close()
    assert not failures, failures[:5]
    assert took < SECONDS + 5
    lines = [json.loads(x) for x in (tmp_path / "timeline.jsonl").read_text().splitlines()]
    kept = Counter(e["note"] for e in lines if e.get("kind") == "mark")
    wanted = {f"m-{i}-{k}" for i in range(PEOPLE) for k in range(EACH)}
    assert set(kept) == wanted and set(kept.values()) == {1}, "lost or doubled in the record"
    assert set(seen) == wanted and set(seen.values()) == {1}, "lost or doubled on the stream"
    joined = [e for e in lines if e.get("kind") == "joined"]
    assert len(joined) == PEOPLE   # each person once, however many marks
