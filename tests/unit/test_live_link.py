"""`chaos mark --link URL`: a responder in a terminal, on any machine that reaches the page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chaos.live import open_live
from chaos.live.access import Role
from tests.unit.test_live import trial

REPO = Path(__file__).parents[2]


def run_chaos(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def test_chaos_mark_with_a_responder_link_from_another_terminal(tmp_path, monkeypatch):
    """Against a live page in this process (no lab: the trial is never run)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "nowhere"))
    t = trial(tmp_path)
    live = open_live("20261206-000000-link", t.sc, tmp_path, lambda line: None)
    try:
        live.board.attach(1, t)
        proc = run_chaos("mark", "detected", "--link", live.link(Role.RESPONDER),
                         "--name", "Ana", timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "as Ana (responder)" in proc.stdout
        proc = run_chaos("mark", "end", "--link", live.link(Role.RESPONDER), "--name", "Ana",
                         timeout=60)
        assert proc.returncode == 2 and "may not end" in proc.stderr
        proc = run_chaos("mark", "detected", "--link", live.url + "?key=forged-token-000000",
                         timeout=60)
        assert proc.returncode == 2 and "link you were given" in proc.stderr
        assert live.access.tokens[Role.RESPONDER] not in proc.stderr + proc.stdout
    finally:
        live.close()
    marks = [json.loads(x) for x in (tmp_path / "timeline.jsonl").read_text().splitlines()
             if '"mark"' in x]
    assert [(m["mark"], m["by"], m["role"]) for m in marks] == [("detected", "Ana", "responder")]


def test_the_links_come_out_whole_through_the_clis_redaction(tmp_path, monkeypatch):
    """The CLI prints each log line through ``redact``: the start lines must survive it
    (the parameter is not called ``token``), and later lines must not show a token."""
    from chaos.redact import redact

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    printed: list[str] = []
    live = open_live("20261206-000000-print", trial(tmp_path).sc, tmp_path,
                     lambda line: printed.append(redact(line)))
    try:
        for role in Role:
            assert sum(live.link(role) in line for line in printed) == 1
            assert live.access.tokens[role] not in redact(f"later: {live.link(role)}")
    finally:
        live.close()


def test_listen_beyond_loopback_warns_and_tls_is_uvicorns(tmp_path, monkeypatch):
    """127.0.0.2: not 127.0.0.1, so served "beyond" it, yet nothing leaves this machine."""
    import ssl
    import urllib.request

    from chaos.errors import UsageError
    from chaos.live import ServeOptions, parse_listen
    from tests.needs import need_tool

    assert parse_listen(None) == ("127.0.0.1", 0)
    assert parse_listen("[::1]:8080") == ("::1", 8080)
    for bad in ("somewhere:80", "0.0.0.0", "0.0.0.0:99999"):
        try:
            parse_listen(bad)
        except UsageError:
            continue
        raise AssertionError(f"{bad!r} accepted")
    openssl = need_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    lines: list[str] = []
    live = open_live("20261206-000000-tls", trial(tmp_path).sc, tmp_path, lines.append,
                     ServeOptions(listen="127.0.0.2:0", tls=(str(cert), str(key))))
    try:
        assert any(line.startswith("warning: the live page is served on 127.0.0.2:")
                   for line in lines)
        assert live.url.startswith("https://")
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
        url = f"https://127.0.0.2:{live.server.port}/api/state"
        req = urllib.request.Request(url, headers={
            "Authorization": f"Bearer {live.access.tokens[Role.OBSERVER]}"})
        with urllib.request.urlopen(req, timeout=10, context=unverified) as resp:
            assert resp.status == 200 and json.loads(resp.read())["role"] == "observer"
    finally:
        live.close()
