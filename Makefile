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

# Host tools for offline image builds and browser tests (Debian/Ubuntu, as root).
sysdeps:
	@scripts/sysdeps

# --observe: the observability image too, so that tests find it and never build it.
images: install sysdeps
	$(BIN)/chaos lab build --observe

# The main job: replay the seed incident end to end and write its report.
demo: images
	@BIN=$(BIN) scripts/demo

# The whole test suite (unit + integration on the real Docker engine).
test: images
	$(BIN)/pytest -q -ra -n 2 --dist loadgroup --durations=40

unit: install
	$(BIN)/pytest -q -m "not slow" tests/unit

clean-labs: install
	$(BIN)/chaos lab down --all
