# Developer entry points; .ci/run calls exactly these.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: install sysdeps images demo test unit clean-labs

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

# Host tools the tests need (Debian/Ubuntu, installed as root; scripts/sysdeps says which).
sysdeps:
	@scripts/sysdeps test

# The image sets the tests use, so that they find them and never build them: the offline
# one (their fixtures build offline), the observability image and the load-worker image
# (the venv's Locust copied onto Debian: tests/loadhosts.py).
images: install sysdeps
	$(BIN)/chaos lab build --offline --observe --loadworker

# The main job: replay the seed incident end to end and write its report. No host package
# and no root when the lab images are here or a registry serves them (they are pulled);
# debootstrap and root only for an offline build (`chaos lab build --needs`).
demo: install
	@BIN=$(BIN) scripts/sysdeps demo
	$(BIN)/chaos lab build
	@BIN=$(BIN) scripts/demo

# The whole test suite (unit + integration on the real Docker engine).
test: images
	$(BIN)/pytest -q -ra -n 2 --dist loadgroup --durations=40

unit: install
	$(BIN)/pytest -q -m "not slow" tests/unit

clean-labs: install
	$(BIN)/chaos lab down --all
