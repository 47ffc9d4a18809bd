"""Which names the lab images go by: defaults, the environment, bad values (exit 2)."""

from __future__ import annotations

import pytest

from chaos.errors import EXIT_INVALID_INPUT, UsageError
from chaos.lab.images.imagenames import ImageNames
from chaos.lab.images.recipes import APP_TAG, DB_TAG, ONLINE_APP_BASE, ONLINE_DB_SOURCE, PYBASE_TAG


def test_the_defaults_are_the_documented_names():
    names = ImageNames.from_env({})
    assert (names.pybase, names.db, names.app) == (PYBASE_TAG, DB_TAG, APP_TAG)
    assert (names.db_source, names.app_base) == (ONLINE_DB_SOURCE, ONLINE_APP_BASE)
    assert ImageNames.from_env({"CHAOS_IMAGE_PREFIX": " ", "CHAOS_DB_SOURCE_IMAGE": ""}) == names


def test_the_environment_renames_sources_and_the_set():
    names = ImageNames.from_env({
        "CHAOS_DB_SOURCE_IMAGE": "127.0.0.1:5000/postgres:16",
        "CHAOS_APP_BASE_IMAGE": "mirror.internal/lib/python@sha256:" + "a" * 64,
        "CHAOS_IMAGE_PREFIX": "chaos-test-1f/",
    })
    assert names.db_source == "127.0.0.1:5000/postgres:16"
    assert names.app_base.endswith("@sha256:" + "a" * 64)
    assert (names.pybase, names.db, names.app) == (
        "chaos-test-1f/pybase:bookworm", "chaos-test-1f/db:latest", "chaos-test-1f/app:latest")
    assert names.tags(offline=True) == (names.pybase, names.db, names.app)
    assert names.tags(offline=False, app=False) == (names.db,)


@pytest.mark.parametrize("ref", ["postgres", "postgres:16", "library/postgres:16.4-bookworm",
                                 "localhost:5000/postgres:16", "127.0.0.1:5391/python:3.12-slim",
                                 "mirror.internal/a/b/python:3.12-slim", "registry:5000/pg:16"])
def test_valid_references_are_accepted(ref):
    assert ImageNames.from_env({"CHAOS_DB_SOURCE_IMAGE": ref}).db_source == ref


@pytest.mark.parametrize("var, value", [
    ("CHAOS_DB_SOURCE_IMAGE", "Postgres:16"),          # upper case path
    ("CHAOS_DB_SOURCE_IMAGE", "postgres:16 --rm"),
    ("CHAOS_APP_BASE_IMAGE", "python:3.12:slim"),
    ("CHAOS_APP_BASE_IMAGE", "../python"),
    ("CHAOS_IMAGE_PREFIX", "Chaos/"),
    ("CHAOS_IMAGE_PREFIX", "chaos test/"),
    ("CHAOS_IMAGE_PREFIX", "chaos/../"),
])
def test_a_bad_name_is_bad_input_naming_the_variable(var, value):
    with pytest.raises(UsageError) as err:
        ImageNames.from_env({var: value})
    assert err.value.exit_code == EXIT_INVALID_INPUT
    assert var in str(err.value) and repr(value) in str(err.value)
