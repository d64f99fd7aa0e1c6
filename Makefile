# Clientele: `make run` to use it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev bench screenshots clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) devserver

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The pages listed in app/dev/screenshots.py (SHOTS), at 1366x768 and 390x844, from a
# fresh demo database, into docs/screenshots/ (Debian's chromium); then every main page
# for each role at both sizes, into tests/artifacts/screens/.
screenshots: install-dev
	$(BIN)/python -m app.dev.screenshots
	CLIENTELE_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:randomly tests/browser/test_screenshots.py

bench: install-dev
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) instance .pytest_cache
