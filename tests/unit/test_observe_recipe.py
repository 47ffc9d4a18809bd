"""The observability image without an engine: names, recipe, components, when it is built."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import docker
import pytest

from chaos.errors import EXIT_INVALID_INPUT, LabError, UsageError
from chaos.lab.images import ensure as ensure_module
from chaos.lab.images import observerecipe, observerootfs
from chaos.lab.images import observeset as observeimages
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.localimages import info
from chaos.lab.images.observenames import SOURCE_ENV, ObserveNames, derived_name
from chaos.lab.images.observerecipe import (
    OBSERVE_TAG,
    OFFLINE_BINARIES,
    ONLINE_BINARIES,
    ONLINE_SOURCES,
    observe_online_recipe,
    observe_recipe,
)
from chaos.lab.images.observeset import Component, ensure_observe_image, observe_components
from chaos.lab.images.recipes import RECIPE_LABEL, db_offline_recipe, pybase_recipe

# --------------------------------------------------------------------------- names


def test_the_default_names():
    names = ObserveNames.from_env({})
    assert names.offline == OBSERVE_TAG == ImageNames.from_env({}).observe
    assert [(u.part, u.source, u.local) for u in names.upstreams] == [
        ("prometheus", "prom/prometheus:v2.42.0", "chaos/observe-prometheus:latest"),
        ("alertmanager", "prom/alertmanager:v0.25.0", "chaos/observe-alertmanager:latest"),
        ("postgres-exporter", "prometheuscommunity/postgres-exporter:v0.11.1",
         "chaos/observe-postgres-exporter:latest"),
    ]


def test_the_prefix_and_the_source_variables():
    names = ObserveNames.from_env({
        "CHAOS_IMAGE_PREFIX": "chaos-t1/",
        "CHAOS_PROMETHEUS_IMAGE": "127.0.0.1:5000/prom/prometheus:v2.42.0",
        "CHAOS_ALERTMANAGER_IMAGE": " ",
        "CHAOS_POSTGRES_EXPORTER_IMAGE": "mirror.internal/pe@sha256:" + "b" * 64,
    })
    assert names.offline == "chaos-t1/observe:latest"
    assert names.upstream("prometheus").source == "127.0.0.1:5000/prom/prometheus:v2.42.0"
    assert names.upstream("alertmanager").source == ONLINE_SOURCES["alertmanager"]
    assert names.upstream("postgres-exporter").source.endswith("b" * 64)
    assert names.upstream("prometheus").local == "chaos-t1/observe-prometheus:latest"


@pytest.mark.parametrize("var", sorted(SOURCE_ENV.values()))
def test_a_bad_source_is_bad_input_naming_the_variable(var):
    with pytest.raises(UsageError) as err:
        ObserveNames.from_env({var: "Prom/Prometheus:v2"})
    assert var in str(err.value) and err.value.exit_code == EXIT_INVALID_INPUT


def test_a_bad_prefix_names_the_observe_image_too():
    with pytest.raises(UsageError, match="CHAOS_IMAGE_PREFIX"):
        ObserveNames.from_env({"CHAOS_IMAGE_PREFIX": "Chaos/"})


@pytest.mark.parametrize("offline, part, derived", [
    ("chaos/observe:latest", "prometheus", "chaos/observe-prometheus:latest"),
    ("localhost:5000/x/observe:v1", "alertmanager", "localhost:5000/x/observe-alertmanager:v1"),
    ("localhost:5000/x/observe", "prometheus", "localhost:5000/x/observe-prometheus:latest"),
])
def test_derived_names(offline, part, derived):
    assert derived_name(offline, part) == derived


# --------------------------------------------------------------------------- recipe


def test_the_recipe_is_stable_and_its_own():
    assert observe_recipe() == observe_recipe()
    assert observe_recipe() not in {pybase_recipe(), db_offline_recipe()}


@pytest.mark.parametrize("name, value", [
    ("OBSERVE_PACKAGES", ("prometheus",)),
    ("OBSERVE_EXCLUDE", ()),
    ("OBSERVE_REMOVE", ()),
    ("OBSERVE_BUILD_VERSION", "2"),
    ("OFFLINE_BINARIES", {"prometheus": "/usr/bin/prometheus"}),
])
def test_the_recipe_follows_what_goes_in(monkeypatch, name, value):
    before = observe_recipe()
    monkeypatch.setattr(observerecipe, name, value)
    assert observe_recipe() != before


def test_the_recipe_follows_the_base_and_the_changes(monkeypatch):
    before = observe_recipe()
    monkeypatch.setattr(observerecipe, "base_recipe", lambda: {"build": "other"})
    assert observe_recipe() != before
    monkeypatch.undo()
    monkeypatch.setattr(observerecipe, "observe_changes", lambda: ["USER root"])
    assert observe_recipe() != before


def test_the_online_recipe_follows_the_source_id():
    a = observe_online_recipe("prometheus", "prom/prometheus:v2.42.0", "sha256:a")
    assert a == observe_online_recipe("prometheus", "prom/prometheus:v2.42.0", "sha256:a")
    assert a != observe_online_recipe("prometheus", "prom/prometheus:v2.42.0", "sha256:b")
    assert a != observe_online_recipe("alertmanager", "prom/prometheus:v2.42.0", "sha256:a")


def test_the_packages_and_binaries_the_lab_needs():
    assert {"prometheus", "prometheus-alertmanager",
            "prometheus-postgres-exporter"} <= set(observerecipe.OBSERVE_PACKAGES)
    needed = {"prometheus", "promtool", "alertmanager", "postgres_exporter"}
    assert needed <= set(OFFLINE_BINARIES) and set(OFFLINE_BINARIES) == set(ONLINE_BINARIES)
    assert all(b.startswith("/") for b in OFFLINE_BINARIES.values())
    assert {part for part, _b in ONLINE_BINARIES.values()} == set(ONLINE_SOURCES)


# --------------------------------------------------------------------------- rootfs hooks


def test_the_hooks_keep_the_ui_out_and_make_the_data_dirs(tmp_path: Path, monkeypatch):
    root = tmp_path
    observerootfs.observe_pre(root)
    excludes = (root / observerootfs.DPKG_EXCLUDE).read_text()
    assert "path-exclude /usr/share/javascript/*" in excludes
    for rel in ("usr/share/javascript/moment-timezone/x.js", "usr/share/prometheus/web/a/b",
                "etc/prometheus/consoles/README", "usr/share/prometheus/alertmanager/t.tmpl",
                "etc/prometheus/prometheus.yml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")
    chowned, started = [], []
    monkeypatch.setattr(observerootfs.os, "chown", lambda p, u, g: chowned.append((p, u, g)))
    monkeypatch.setattr(observerootfs, "_check_starts", lambda r, part, b: started.append(part))
    observerootfs.observe_post(root)
    assert list((root / "usr/share/javascript").iterdir()) == []
    assert list((root / "usr/share/prometheus/web").iterdir()) == []
    assert not (root / "etc/prometheus/consoles").exists()
    assert (root / "usr/share/prometheus/alertmanager/t.tmpl").is_file()   # kept
    assert (root / "etc/prometheus/prometheus.yml").is_file()
    assert {Path(p).name for p, _u, _g in chowned} == {"prometheus", "alertmanager"}
    assert {(u, g) for _p, u, g in chowned} == {(65534, 65534)}
    assert started == list(OFFLINE_BINARIES)


def test_a_missing_binary_fails_the_build(tmp_path: Path):
    with pytest.raises(LabError, match="promtool.*missing"):
        observerootfs._check_starts(tmp_path, "promtool", "/usr/bin/promtool")


# --------------------------------------------------------------------------- when it builds


class FakeImages:
    def __init__(self, tags: dict[str, dict[str, str]], pull_error: bool = True):
        self.tags = tags          # tag -> labels
        self.pull_error = pull_error
        self.pulled: list[str] = []

    def get(self, tag: str):
        if tag not in self.tags:
            raise docker.errors.ImageNotFound(tag)
        return SimpleNamespace(id=f"sha256:{tag}", labels=self.tags[tag], tags=[tag],
                               attrs={"Size": 1000})

    def pull(self, ref: str):
        self.pulled.append(ref)
        if self.pull_error:
            raise docker.errors.APIError("no such host")
        self.tags[ref] = {}
        return self.get(ref)

    def build(self, fileobj, tag, labels, **kw):
        self.tags[tag] = labels
        return self.get(tag), []


@pytest.fixture
def fake(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CHAOS_CACHE_DIR", str(tmp_path))
    built: list[str] = []

    def build_offline(c, images, mirror, force, log):   # no debootstrap: the tag appears
        tag = images.names.offline
        c.images.tags[tag] = {RECIPE_LABEL: observe_recipe()}
        built.append(tag)
        return [info(c.images.get(tag), tag, True, 1.0)]

    monkeypatch.setattr(ensure_module, "build_offline", build_offline)
    client = SimpleNamespace(images=FakeImages({}))
    return client, built


def test_missing_without_a_registry_falls_back_to_the_offline_build(fake):
    client, built = fake
    logs: list[str] = []
    infos = ensure_observe_image(client=client, log=logs.append, names=ObserveNames.from_env({}))
    assert [i.tag for i in infos] == [OBSERVE_TAG] and built == [OBSERVE_TAG]
    assert client.images.pulled == ["prom/prometheus:v2.42.0"]
    assert any("building offline instead" in m for m in logs)
    # built once, then reused: no pull, no build
    client.images.pulled.clear()
    again = ensure_observe_image(client=client, log=logs.append, names=ObserveNames.from_env({}))
    assert [i.built for i in again] == [False] and built == [OBSERVE_TAG]
    assert client.images.pulled == []


def test_offline_never_asks_a_registry_and_online_fails_loudly(fake):
    client, built = fake
    names = ObserveNames.from_env({})
    ensure_observe_image(client=client, log=lambda m: None, offline=True, names=names)
    assert client.images.pulled == [] and built == [OBSERVE_TAG]
    with pytest.raises(LabError, match="cannot pull the observability images: no such host"):
        ensure_observe_image(client=client, log=lambda m: None, offline=False, names=names)
    ensure_observe_image(client=client, log=lambda m: None, offline=True, force=True, names=names)
    assert built == [OBSERVE_TAG, OBSERVE_TAG]


def test_an_outdated_image_is_rebuilt(fake):
    client, built = fake
    client.images.tags[OBSERVE_TAG] = {RECIPE_LABEL: "an-old-recipe"}
    ensure_observe_image(client=client, log=lambda m: None, offline=True,
                         names=ObserveNames.from_env({}))
    assert built == [OBSERVE_TAG]


def test_the_online_set_is_pulled_derived_and_its_components_are_upstreams(fake):
    client, built = fake
    client.images.pull_error = False
    names = ObserveNames.from_env({})
    infos = ensure_observe_image(client=client, log=lambda m: None, offline=False, names=names)
    assert [i.tag for i in infos] == [u.local for u in names.upstreams] and built == []
    parts = observe_components(client, names)
    assert parts["promtool"] == Component("chaos/observe-prometheus:latest", ("/bin/promtool",))
    assert parts["alertmanager"].command("--version") == ["/bin/alertmanager", "--version"]
    assert parts["postgres_exporter"].image == "chaos/observe-postgres-exporter:latest"
    assert observeimages.observe_image_ready(client, names)


def test_components_offline_and_none_ready(fake):
    client, _built = fake
    names = ObserveNames.from_env({})
    with pytest.raises(LabError, match="chaos lab build --observe"):
        observe_components(client, names)
    client.images.tags[OBSERVE_TAG] = {RECIPE_LABEL: observe_recipe()}
    parts = observe_components(client, names)
    assert parts["alertmanager"] == Component(OBSERVE_TAG, ("/usr/bin/prometheus-alertmanager",))
    assert parts["postgres_exporter"].argv == ("/usr/bin/prometheus-postgres-exporter",)
    assert {c.image for c in parts.values()} == {OBSERVE_TAG}
