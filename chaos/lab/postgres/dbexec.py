"""Run PostgreSQL client tools inside the lab's database container.

pg_dump and pg_restore run where the server is, so their versions match it
and the host needs no PostgreSQL client. The password travels in the exec's
environment, never on a command line that `ps` or a log could show.
"""

from __future__ import annotations

from chaos.errors import LabError
from chaos.lab.lab import Lab


def db_exec(lab: Lab, argv: list[str], what: str) -> str:
    s = lab.spec
    container = lab.container(s.db_service)
    code, output = container.exec_run(
        argv, environment={"PGPASSWORD": s.db_password, "PGUSER": s.db_user,
                           "PGDATABASE": s.db_name, "PGPORT": str(s.db_port)},
        demux=False,
    )
    text = (output if isinstance(output, bytes) else b"").decode(errors="replace")  # no stream
    if code != 0:
        raise LabError(f"{what} failed in {s.db_service} (exit {code}): {text.strip()[-800:]}")
    return text
