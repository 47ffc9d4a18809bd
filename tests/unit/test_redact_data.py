"""What the run record masks when it is written (``redact_data``, used by every JSON file
chaos writes): a fault's or step's parameters under secret-looking names, whatever the
part calls them."""

from __future__ import annotations

import json

from chaos.atomic import write_json
from chaos.redact import MASK, redact_data


def test_secret_named_text_is_masked_whatever_the_part_calls_it():
    params = {"api_key": "sk-live-0123456789", "X-Api-Key": "abc", "authorization": "Bearer x",
              "private_key": "-----BEGIN", "client_credential": "c", "session_cookie": "s",
              "table": "products", "url": "http://u:hunter2hunter2@db/x"}
    out = redact_data({"faults": [{"type": "webhook", "params": params}]})
    got = out["faults"][0]["params"]
    for key in ("api_key", "X-Api-Key", "authorization", "private_key", "client_credential",
                "session_cookie"):
        assert got[key] == MASK, key
    assert got["table"] == "products"                   # not a secret name: kept
    assert got["url"] == f"http://u:{MASK}@db/x"        # a password inside text: masked


def test_numbers_are_masked_under_password_names_only():
    got = redact_data({"db_password": 12345678, "pin_secret": 4321, "tokens_per_s": 5,
                       "max_tokens": 100, "password": None, "token": {"ttl": 3}})
    assert got["db_password"] == MASK and got["pin_secret"] == MASK
    assert got["tokens_per_s"] == 5 and got["max_tokens"] == 100   # counts, not secrets
    assert got["password"] is None                    # nothing to hide: shown as nothing
    assert got["token"] == {"ttl": 3}                 # a structure is walked, not blanked


def test_the_written_record_holds_no_secret(tmp_path):
    path = tmp_path / "result.json"
    write_json(path, {"scenario": {"faults": [{"params": {"apiKey": "sk-0123456789abc"}}]},
                      "note": "curl -H 'api_key=sk-0123456789abc'"})
    text = path.read_text()
    assert "sk-0123456789abc" not in text
    assert json.loads(text)["scenario"]["faults"][0]["params"]["apiKey"] == MASK
