"""The page that pages, on the real stack: Prometheus evaluates the user's rule,
Alertmanager notifies chaos's receiver, and the notification shows on a responder's
screen (a real headless Chromium) as a pager shows it, with its beep; the scenario
asked for forwarding, so it also reaches a Slack-compatible webhook (a listener on
127.0.0.1 standing in for the team's channel), and the webhook's URL is in no file of
the run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import shop
from tests.e2e.conftest import load_result
from tests.e2e.test_gameday import LINK, Run
from tests.liveclient import Participant
from tests.unit.test_live_pager import Channel
from tests.webdriver import chrome, click, type_into, wait_js

pytestmark = pytest.mark.docker

DATA = Path(__file__).resolve().parents[1] / "data" / "alerting"
RULES = """\
groups:
  - name: pager-test
    rules:
      - alert: CheckoutErrors
        expr: |
          sum(rate(http_requests_total{code=~"5.."}[10s]))
            / sum(rate(http_requests_total[10s])) > 0.2
        for: 2s
        labels: {severity: page}
        annotations:
          summary: More than a fifth of the shop's requests fail
"""


def scenario(tmp: Path, webhook: str) -> Path:
    rules = tmp / "pager-rules.yml"
    rules.write_text(RULES)
    doc: dict[str, Any] = {
        "name": "pager on the real stack",
        "lab": shop.lab(),
        "load": shop.load(5),
        "faults": [{"type": "kill", "target": "db", "at": "10s", "signal": "SIGKILL"}],
        "observe": {"prometheus": {
            "scrape_interval": "1s", "evaluation_interval": "1s",
            "targets": [{"service": "app", "port": 8080, "path": "/metrics"}],
            "rule_files": [str(rules)],
            "alertmanager": {"config": str(DATA / "alertmanager.yml")}}},
        "detect": [{"name": "page", "type": "prometheus_alert", "alert": "CheckoutErrors"}],
        "recovery": {"steps": [{"restart": "db"}]},
        "time_limit": "2m",
        "gameday": {"pager": {"forward": webhook}},
    }
    path = tmp / "pager.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_notification_pages_the_responder_and_the_opted_in_channel(
        tmp_path, lab_images, observe_image):
    channel = Channel()
    out = tmp_path / "run"
    run = Run(str(scenario(tmp_path, channel.url)), "--out", str(out), "--allow-outside-files")
    try:
        links = {role: run.wait_line(LINK.format(role=role), timeout=240).group(1)
                 for role in ("facilitator", "responder")}
        base = links["responder"].split("?", 1)[0]
        boss = Participant(base, links["facilitator"].split("key=", 1)[1])
        with chrome(args=("--autoplay-policy=no-user-gesture-required",)) as b:
            b.get(links["responder"])
            wait_js(b, "window.chaosLive && chaosLive.updates > 0", timeout=180)
            type_into(b, "#name", "Ana")
            click(b, "#join-button")
            card = wait_js(b, "document.querySelector('.page.firing[data-alert=CheckoutErrors]')"
                              " && document.querySelector('.page.firing').innerText",
                           timeout=90)
            assert "FIRING CheckoutErrors" in card and "PAGE" in card   # severity, as a badge
            assert "More than a fifth of the shop's requests fail" in card
            beeps = wait_js(b, "chaosLive.beeps", timeout=5)
            assert beeps and beeps[0] == "running", beeps   # the sound was played
            assert not b.execute_script("return document.querySelector('#pager').hidden")
            # The same page reached the team's channel, once, as Slack's JSON.
            deadline = time.monotonic() + 20
            while not channel.bodies and time.monotonic() < deadline:
                time.sleep(0.1)
            texts = [body["json"]["text"] for body in channel.bodies]
            assert texts and texts[0].startswith("[FIRING] CheckoutErrors (page): More than")
            assert "pager on the real stack" in texts[0]   # not blind: the name may go
            click(b, "#mark-detected")
            boss.post("/api/step", {"index": 0, "by": "Lee"})
            wait_js(b, "[...document.querySelectorAll('#events li')]"
                       ".some(li => li.dataset.kind === 'recovered')", timeout=90)
            assert boss.post("/api/mark", {"mark": "end", "by": "Lee"})[0] == 200
            assert run.proc.wait(timeout=90) in (0, 1), "\n".join(run.lines[-40:])
    finally:
        run.stop()
        channel.close()
    trial = load_result(out).as_dict()["trials"][0]
    notified = [e for e in trial["events"] if e["kind"] == "alert_notified"]
    forwarded = [e for e in trial["events"] if e["kind"] == "page_forwarded"]
    assert notified and notified[0]["page"]["alert"] == "CheckoutErrors"
    assert forwarded and forwarded[0]["ok"] is True and forwarded[0]["http_status"] == 200
    assert forwarded[0]["page_t"] == notified[0]["t"]
    assert trial["human_ttd_by"] == "Ana"
    for path in out.rglob("*"):   # the webhook's URL is a credential: in no file of the run
        if path.is_file():
            assert b"secretpart" not in path.read_bytes(), path
