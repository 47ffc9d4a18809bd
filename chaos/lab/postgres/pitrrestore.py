"""Point-in-time recovery of the lab's database, in the phases a person would go through.

    pitr = PitrRestore(lab)
    pitr.stop()                         # the database container stops (fast shutdown)
    pitr.restore_base(settings)         # base backup into the data directory, recovery set up
    pitr.start()
    lsn = pitr.wait_promoted(timeout)   # replayed to the target and promoted: the LSN now

The data directory is rewritten by a helper container (the db's own image, as
root, ``--volumes-from`` the stopped db, no network, labelled ``chaos.lab=<id>``)
following the PostgreSQL manual's recovery procedure: keep the WAL the server
wrote but had not archived yet, replace the data directory with the base backup,
put that WAL back into ``pg_wal``, write the recovery settings into
``postgresql.auto.conf`` and create ``recovery.signal``.
"""

from __future__ import annotations

import time

from chaos.errors import LabError
from chaos.lab import labels
from chaos.lab.engine import client
from chaos.lab.lab import Lab
from chaos.lab.postgres.walarchive import BASE_DIR, PITR_MOUNT, client_env

# Runs in the helper; the data directory and the settings arrive in its environment.
RESTORE_SCRIPT = f"""set -eu
D="$PGDATA"; KEEP={PITR_MOUNT}/unarchived
[ -f {BASE_DIR}/backup_label ] || {{ echo "no base backup in {BASE_DIR}"; exit 3; }}
rm -rf "$KEEP" && mkdir -p "$KEEP"
find "$D/pg_wal" -maxdepth 1 -type f -name '0*' -exec cp -p {{}} "$KEEP/" \\;
find "$D" -mindepth 1 -delete
cp -a {BASE_DIR}/. "$D/"
find "$KEEP" -maxdepth 1 -type f -exec cp -p {{}} "$D/pg_wal/" \\;
rm -rf "$KEEP"
rm -f "$D/standby.signal"
sed -i '/^[[:space:]]*\\(restore_command\\|recovery_target[a-z_]*\\)[[:space:]]*=/d' \\
    "$D/postgresql.auto.conf"
printf '%s\\n' "$CHAOS_RECOVERY_CONF" >> "$D/postgresql.auto.conf"
touch "$D/recovery.signal"
chown -R postgres:postgres "$D" && chmod 0700 "$D"
"""

# What the restore left in postgresql.auto.conf, reset once the server is promoted.
RECOVERY_KEYS = ("restore_command", "recovery_target_lsn", "recovery_target_time",
                 "recovery_target_inclusive", "recovery_target_action")


def recovery_conf(settings: dict[str, str]) -> str:
    """``key = 'value'`` lines; single quotes doubled as PostgreSQL wants."""
    return "".join(f"{k} = '{v.replace(chr(39), chr(39) * 2)}'\n" for k, v in settings.items())


class PitrRestore:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.container = lab.container(lab.spec.db_service)

    def stop(self, timeout: int = 60) -> None:
        self.container.stop(timeout=timeout)

    def restore_base(self, settings: dict[str, str], timeout: float = 1800) -> None:
        c = self.container
        c.reload()
        env = dict(e.split("=", 1) for e in c.attrs["Config"].get("Env") or [] if "=" in e)
        if c.image is None or c.image.id is None or c.id is None:
            raise LabError("the database container has no image left to restore with")
        helper = client().containers.run(
            c.image.id, entrypoint=["sh", "-c", RESTORE_SCRIPT], user="root",
            volumes_from=[c.id], network_mode="none", detach=True,
            labels=labels.lab_labels(self.lab.id, self.lab.owner_pid),
            environment={"PGDATA": env.get("PGDATA", "/var/lib/postgresql/data"),
                         "CHAOS_RECOVERY_CONF": recovery_conf(settings)})
        try:
            code = helper.wait(timeout=timeout).get("StatusCode", 1)
            if code != 0:
                logs = helper.logs().decode(errors="replace").strip()[-800:]
                raise LabError(f"restoring the base backup failed (exit {code}): {logs}")
        finally:
            helper.remove(force=True)

    def start(self) -> None:
        self.container.start()

    def wait_promoted(self, timeout: float = 1800) -> str:
        """Until recovery has reached its target and the server accepts writes; the
        database's own reason when it gives up (a target the archive cannot reach)."""
        deadline = time.monotonic() + timeout
        c, env = self.container, client_env(self.lab.spec)
        while time.monotonic() < deadline:
            c.reload()
            if c.status in ("exited", "dead"):
                raise LabError(f"the database stopped during recovery: {self._reason()}")
            code, out = c.exec_run(["psql", "-qAt", "-c", "SELECT pg_is_in_recovery(), "
                                    "pg_current_wal_lsn()"], environment=env) \
                if c.status == "running" else (1, b"")
            line = (out if isinstance(out, bytes) else b"").decode(errors="replace").strip()
            if code == 0 and line.startswith("f|"):
                self._reset_settings(env)
                return line.split("|", 1)[1]
            time.sleep(0.1)
        raise LabError(f"the database did not finish recovery within {timeout:.0f} s: "
                       f"{self._reason()}")

    def _reset_settings(self, env: dict[str, str]) -> None:
        for key in RECOVERY_KEYS:   # ALTER SYSTEM, one per statement (not in a transaction)
            self.container.exec_run(["psql", "-qAt", "-c", f"ALTER SYSTEM RESET {key}"],
                                    environment=env)

    def _reason(self) -> str:
        lines = self.container.logs(tail=40).decode(errors="replace").splitlines()
        fatal = [ln for ln in lines if "FATAL" in ln or "PANIC" in ln]
        return " / ".join((fatal or lines)[-3:]).strip() or "no log"
