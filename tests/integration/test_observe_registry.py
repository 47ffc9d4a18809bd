"""The observability images' registry path, for real, against a local registry.

As in test_registry_path.py: Debian's ``docker-registry`` on 127.0.0.1:<free port>.
It is given, under the upstream names (``prom/prometheus:v2.42.0``,
``prom/alertmanager:v0.25.0``, ``prometheuscommunity/postgres-exporter:v0.11.1``),
images shaped like the upstream ones: the binary under ``/bin`` with the upstream
name, as the entrypoint, user ``nobody``, plus a marker layer. They are made from
chaos/observe (the upstream images cannot be reached here), so what this proves is
the engine-side path (pull, relabel, choose the components, run them with their
entrypoint overridden, check_rules through them, reuse, fail clearly), not that the
upstream images behave as Debian's builds do.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos import settings
from chaos.errors import LabError
from chaos.lab.images.observenames import SOURCE_ENV, ObserveNames
from chaos.lab.images.observerecipe import OBSERVE_TAG, ONLINE_SOURCES
from chaos.lab.images.observeset import Component, ensure_observe_image, observe_components
from chaos.lab.images.online import SOURCE_LABEL
from chaos.lab.images.recipes import MODE_LABEL
from chaos.lab.observability.promtool import check_rules
from chaos.settings import Settings
from tests.integration.test_observe_image import run
from tests.integration.test_registry_path import Registry, _push, _remove_tag, _tar
from tests.needs import need_tool

pytestmark = pytest.mark.docker

RULES = Path(__file__).resolve().parents[1] / "data" / "rules"
MARKER = "/etc/chaos-registry-marker"
#: part -> (the Debian binary in chaos/observe, the upstream name under /bin)
SHAPE = {"prometheus": ("prometheus", "prometheus"),
         "alertmanager": ("prometheus-alertmanager", "alertmanager"),
         "postgres-exporter": ("prometheus-postgres-exporter", "postgres_exporter")}


def registry_token(env: dict[str, str]) -> str:
    return env["CHAOS_IMAGE_PREFIX"].removeprefix("chaos-obsreg-").rstrip("/")


def _upstream_like(part: str, token: str) -> str:
    debian, name = SHAPE[part]
    links = [f"ln -sf {debian} /usr/bin/{name}"]
    if part == "prometheus":
        links = []   # /bin/prometheus and /bin/promtool are there already (merged /usr)
    run_line = f"RUN {' && '.join(links)}\n" if links else ""
    return (f"FROM {OBSERVE_TAG}\nUSER root\n{run_line}COPY marker {MARKER}\n"
            f'USER nobody\nENTRYPOINT ["/bin/{name}"]\n')


@pytest.fixture(scope="module")
def served(docker_client, tmp_path_factory) -> Iterator[tuple[Registry, ObserveNames, dict]]:
    binary = need_tool("docker-registry")
    ensure_observe_image(client=docker_client, offline=True, log=print)
    token = secrets.token_hex(4)
    registry = Registry(binary, tmp_path_factory.mktemp("registry"))
    registry.start()
    env = {"CHAOS_IMAGE_PREFIX": f"chaos-obsreg-{token}/",
           **{SOURCE_ENV[p]: f"{registry.host}/{ONLINE_SOURCES[p]}" for p in SOURCE_ENV}}
    names = ObserveNames.from_env(env)
    ours = [u.source for u in names.upstreams] + [u.local for u in names.upstreams]
    try:
        for u in names.upstreams:
            context = _tar({"Dockerfile": _upstream_like(u.part, token), "marker": token + "\n"})
            docker_client.images.build(fileobj=io.BytesIO(context), custom_context=True,
                                       tag=u.source, pull=False, rm=True,
                                       labels={"chaos.lab": f"test-{token}"})
            registry.pushed[u.source] = _push(docker_client, u.source)
            _remove_tag(docker_client, u.source)     # to be pulled, not found locally
        yield registry, names, env
    finally:
        registry.stop()
        for ref in ours:
            _remove_tag(docker_client, ref)


def test_the_online_set_is_pulled_relabelled_and_runs(served, docker_client, test_label):
    registry, names, env = served
    infos = ensure_observe_image(client=docker_client, offline=False, names=names, log=print)
    assert [(i.tag, i.built) for i in infos] == [(u.local, True) for u in names.upstreams]
    seen = registry.requests()
    for u in names.upstreams:
        repo = u.source.split("/", 1)[1].rsplit(":", 1)[0]
        # the engine asks for the tag (HEAD), then fetches the manifest by the pushed digest
        assert ("GET", f"/v2/{repo}/manifests/{registry.pushed[u.source]}", 200) in seen, seen
        assert any(m == "GET" and p.startswith(f"/v2/{repo}/blobs/sha256:") and s == 200
                   for m, p, s in seen), seen    # at least the config and the marker layer
        assert docker_client.images.get(u.source).attrs["RepoDigests"] == [
            f"{u.source.rsplit(':', 1)[0]}@{registry.pushed[u.source]}"]
        img = docker_client.images.get(u.local)
        assert img.labels[MODE_LABEL] == "online" and img.labels[SOURCE_LABEL] == u.source
    parts = observe_components(docker_client, names)
    assert {k: (c.image, c.argv) for k, c in parts.items()} == {
        "prometheus": (names.upstream("prometheus").local, ("/bin/prometheus",)),
        "promtool": (names.upstream("prometheus").local, ("/bin/promtool",)),
        "alertmanager": (names.upstream("alertmanager").local, ("/bin/alertmanager",)),
        "amtool": (names.upstream("alertmanager").local, ("/bin/amtool",)),
        "postgres_exporter": (names.upstream("postgres-exporter").local,
                              ("/bin/postgres_exporter",)),
    }
    for part, comp in parts.items():
        code, out = run(docker_client, comp, ["--version"], test_label)
        assert code == 0 and "version" in out, (part, out)
    sh = Component(parts["postgres_exporter"].image, ("cat",))
    assert run(docker_client, sh, [MARKER], test_label)[1].strip() == registry_token(env)
    # check_rules finds the online promtool through the names the environment's settings give
    with settings.override(**vars(Settings.from_env(env))):
        problems = check_rules([RULES / "good.yml", RULES / "bad_expr.yml"], use_host=False,
                               client=docker_client)
    assert [(p.file.name, p.line) for p in problems] == [("bad_expr.yml", 7)]


def test_without_the_registry_the_set_is_reused_and_online_fails_clearly(served, docker_client):
    registry, names, _env = served
    ensure_observe_image(client=docker_client, offline=False, names=names, log=print)
    registry.stop()
    before = len(registry.requests())
    infos = ensure_observe_image(client=docker_client, offline=None, names=names,
                                 log=lambda m: None)
    assert [(i.tag, i.built) for i in infos] == [(u.local, False) for u in names.upstreams]
    assert len(registry.requests()) == before
    with pytest.raises(LabError, match="cannot pull the observability images") as err:
        ensure_observe_image(client=docker_client, offline=False, names=names,
                             log=lambda m: None)
    assert registry.host in str(err.value)
