"""Between trials: the database back to how it was before trial 1, the app settled.

The database is dropped and made again from a template that holds the golden
snapshot, so whatever a trial created (a table, a schema, a function a migration
added) is gone too — a restore with ``pg_restore --clean`` only replaces what the
dump holds. The template is restored from the golden dump once, at the first
reset, in a database nobody connects to; each reset after that is
``CREATE DATABASE … TEMPLATE``, a file copy, however large the data.
"""

from __future__ import annotations

import time
import urllib.request

from chaos.errors import LabError
from chaos.lab.lab import Lab
from chaos.lab.postgres.dbexec import db_exec
from chaos.recover.backups import Backup, BackupStore

TEMPLATE_SUFFIX = "_chaos_golden"


def _psql(lab: Lab, sql: str, what: str) -> str:
    return db_exec(lab, ["psql", "-h", "127.0.0.1", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                         "-qAt", "-c", sql], what)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def reset_database(lab: Lab, golden: Backup, health_path: str | None) -> float:
    """Put the database back as it was before trial 1; returns the seconds it took."""
    t0 = time.monotonic()
    try:
        _from_template(lab, golden)
    except LabError:
        # A user without CREATEDB (a compose file of the user's own): the dump restored
        # over the database as before; objects a trial added to it then stay.
        BackupStore(lab).restore(golden)
    if health_path:
        settle_app(lab.app_url + health_path)
    return round(time.monotonic() - t0, 3)


def _from_template(lab: Lab, golden: Backup) -> None:
    db = lab.spec.db_name
    template = db + TEMPLATE_SUFFIX
    literal = template.replace("'", "''")
    exists = _psql(lab, f"SELECT 1 FROM pg_database WHERE datname = '{literal}'",
                   "looking for the golden template").strip() == "1"
    if not exists:
        _psql(lab, f"CREATE DATABASE {_ident(template)}", "creating the golden template")
        try:
            db_exec(lab, ["pg_restore", "-h", "127.0.0.1", "--single-transaction",
                          "--no-owner", "-d", template, golden.path],
                    "restoring the golden template")
        except LabError:   # never leave an empty template to reset from next time
            _psql(lab, f"DROP DATABASE IF EXISTS {_ident(template)}", "dropping the template")
            raise
    # FORCE ends the app's sessions; it reconnects once the database is back (below).
    _psql(lab, f"DROP DATABASE IF EXISTS {_ident(db)} WITH (FORCE)", "dropping the database")
    _psql(lab, f"CREATE DATABASE {_ident(db)} TEMPLATE {_ident(template)}",
          "making the database again from the golden template")


def settle_app(health_url: str, clean: int = 20, timeout: float = 30) -> None:
    """Let the app drop the pooled connections the restore killed: each would
    fail one request of the next trial, before its fault (a false alarm and
    failed requests that are not the fault's). Sequential calls to the
    scenario's ``lab.health_path`` cycle through the pool until ``clean`` in a
    row succeed. Without a health path the next trial's baseline is the check."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < clean and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health_url, timeout=2) as resp:
                streak = streak + 1 if resp.status == 200 else 0
        except OSError:
            streak = 0
            time.sleep(0.1)
