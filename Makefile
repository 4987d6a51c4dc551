# Quick start: `make demo` renders the seed routine into audio/, `make test`
# runs the whole suite. Both need only Python 3 (>= 3.10) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check
SEED   := scripts/lower-back-relief.yaml

.PHONY: demo test test-fast check install install-test lint typecheck layers bench golden docs shots clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[neural]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[neural,web,cluster,test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(VENV)/bin/cuecast render $(SEED) --engine best -o audio/lower-back-relief.mp3

# test: lint, types, the layering contracts, then the whole suite on JOBS
# pytest-xdist workers (most of its time is engines and ffmpeg waiting on
# each other; two workers keep two cores busy).
# test-fast: the same checks and the suite without the e2e, browser, cluster
# and slow tests (no real engines, no browser): under 20 s, for every edit.
FAST := not e2e and not browser and not cluster and not slow
JOBS ?= 2

test: check
	$(PY) -m pytest -q -n $(JOBS)

test-fast: check
	$(PY) -m pytest -q -m "$(FAST)"

check: lint typecheck layers

lint: install-test
	$(VENV)/bin/ruff check src tests benchmarks scripts

typecheck: install-test
	$(VENV)/bin/mypy

layers: install-test
	$(VENV)/bin/lint-imports

bench: install
	$(PIP) install -e '.[neural,bench]'
	$(PY) benchmarks/render_speed.py

golden: install-test
	$(PY) -m tests.regen_golden

docs: install-test
	$(PY) -m tests.cli_docs

# shots: docs/edit.png, the seed open in `cuecast edit` in Debian's Chromium
# (see docs/writing-docs.md); README's alt text names its total.
shots: install-test
	$(PY) scripts/dev/shots.py

clean:
	rm -rf $(VENV) audio/*.mp3 audio/*.json
