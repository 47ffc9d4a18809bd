"""What the observability image is made of, and where its binaries are.

``chaos/observe:latest`` (offline) is Debian bookworm + ``prometheus``,
``prometheus-alertmanager`` and ``prometheus-postgres-exporter``, less what a headless
lab never serves: the web consoles, the classic UI's JavaScript libraries (Debian
ships them as hard dependencies: 218 MB installed, 214 MB of it moment-timezone),
documentation, manual pages and translations. Its recipe hashes the packages, the
paths stripped, the image changes and the build version, like the other images'
(:mod:`chaos.lab.images.recipes`).

With a registry, the same parts come from the upstream images instead, one each;
their binaries sit in ``/bin`` (:data:`ONLINE_BINARIES`).
"""

from __future__ import annotations

from chaos.lab.images.recipes import base_recipe, digest
from chaos.lab.images.rootfs import STD_PATH

OBSERVE_TAG = "chaos/observe:latest"

#: Bump to rebuild the observe image when its build steps (observerootfs) change.
OBSERVE_BUILD_VERSION = "1"

OBSERVE_PACKAGES = ("prometheus", "prometheus-alertmanager", "prometheus-postgres-exporter",
                    "ca-certificates")

#: Never unpacked (dpkg ``path-exclude``), and removed after the install if present:
#: the UI assets Prometheus serves at /graph and /consoles. The HTTP API (/api/v1/...)
#: and the Alertmanager API and templates do not read any of them.
OBSERVE_EXCLUDE = (
    "/usr/share/javascript/*",          # libjs-* (jquery, bootstrap, d3, moment-timezone...)
    "/usr/share/nodejs/*",              # the same libraries' node copies
    "/usr/share/sass/*",                # bootstrap's sources
    "/usr/share/fonts/*",               # glyphicons, for the same UI
    "/usr/share/fonts-glyphicons/*",
    "/usr/share/prometheus/web/*",      # --web.local-assets: the classic UI
    "/usr/share/bash-completion/*",
)
#: Removed after the install (conffiles dpkg must still see as installed).
OBSERVE_REMOVE = (
    "etc/prometheus/consoles",           # --web.console.templates (a README in Debian)
    "etc/prometheus/console_libraries",  # --web.console.libraries (likewise)
    "etc/apache2/conf-available/javascript-common.conf",
    "etc/lighttpd",
)

#: The binaries as Debian installs them (``/bin`` is a link to ``/usr/bin`` in bookworm).
OFFLINE_BINARIES = {
    "prometheus": "/usr/bin/prometheus",
    "promtool": "/usr/bin/promtool",
    "alertmanager": "/usr/bin/prometheus-alertmanager",
    "amtool": "/usr/bin/amtool",
    "postgres_exporter": "/usr/bin/prometheus-postgres-exporter",
}

#: Upstream images, pinned to the releases bookworm packages (Prometheus 2.42,
#: Alertmanager 0.25, postgres_exporter 0.11.1) so that both paths run the same code.
ONLINE_SOURCES = {
    "prometheus": "prom/prometheus:v2.42.0",
    "alertmanager": "prom/alertmanager:v0.25.0",
    "postgres-exporter": "prometheuscommunity/postgres-exporter:v0.11.1",
}
#: component -> (which upstream image, binary in it)
ONLINE_BINARIES = {
    "prometheus": ("prometheus", "/bin/prometheus"),
    "promtool": ("prometheus", "/bin/promtool"),
    "alertmanager": ("alertmanager", "/bin/alertmanager"),
    "amtool": ("alertmanager", "/bin/amtool"),
    "postgres_exporter": ("postgres-exporter", "/bin/postgres_exporter"),
}

#: Data directories owned by ``nobody``, as in the upstream images, so that one set of
#: flags (``--storage.tsdb.path=/prometheus``, ``--storage.path=/alertmanager``) and
#: one user serve both paths.
DATA_DIRS = ("prometheus", "alertmanager")
NOBODY = 65534


def observe_changes() -> list[str]:
    return [
        f"ENV PATH={STD_PATH}",
        "ENV LANG=C.UTF-8",
        "WORKDIR /prometheus",
        "USER nobody",
        "EXPOSE 9090 9093 9187",
        'CMD ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", '
        '"--storage.tsdb.path=/prometheus"]',
    ]


def observe_recipe() -> str:
    return digest({"image": "observe", "base": base_recipe(),
                   "packages": sorted(OBSERVE_PACKAGES), "exclude": list(OBSERVE_EXCLUDE),
                   "remove": list(OBSERVE_REMOVE), "data_dirs": list(DATA_DIRS),
                   "binaries": OFFLINE_BINARIES, "changes": observe_changes(),
                   "build": OBSERVE_BUILD_VERSION})


def observe_online_recipe(part: str, source: str, source_id: str) -> str:
    return digest({"image": f"observe-{part}", "from": source, "source_id": source_id})
