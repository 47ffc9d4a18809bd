"""What the database image's rootfs needs beyond its packages.

:func:`chaos.lab.images.rootfs` builds any image from Debian packages; these two hooks make
that rootfs behave like the official postgres image: the cluster is created by
``docker-entrypoint.sh`` in ``$PGDATA`` on first start, not by the package install.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from chaos.errors import LabError
from chaos.lab.images.rootfs import ENTRYPOINT_SRC


def db_pre(root: Path) -> None:
    """Before the packages: no cluster is made at install; the entrypoint makes it."""
    d = root / "etc/postgresql-common"
    d.mkdir(parents=True, exist_ok=True)
    (d / "createcluster.conf").write_text(
        "# chaos: the entrypoint creates the cluster in $PGDATA on first start\n"
        "create_main_cluster = false\n")


def db_post(root: Path) -> None:
    """After the packages: the entrypoint, an empty data directory owned by postgres."""
    dest = root / "usr/local/bin/docker-entrypoint.sh"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ENTRYPOINT_SRC, dest)
    dest.chmod(0o755)
    (root / "docker-entrypoint-initdb.d").mkdir(exist_ok=True)
    data = root / "var/lib/postgresql/data"
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    # postgres' uid/gid as created by postgresql-common inside the rootfs
    uid = gid = None
    for line in (root / "etc/passwd").read_text().splitlines():
        f = line.split(":")
        if f[0] == "postgres":
            uid, gid = int(f[2]), int(f[3])
    if uid is None or gid is None:
        raise LabError("chaos/db: the postgres user was not created by the package install")
    for p in (root / "var/lib/postgresql", data):
        os.chown(p, uid, gid)
    # /run, not /var/run: the latter is an absolute symlink that would lead to the host
    run = root / "run/postgresql"
    if run.is_dir() and not run.is_symlink():
        os.chown(run, uid, gid)
        run.chmod(0o2775)
