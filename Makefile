# eenplan — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in invitations and mails, and the sign-in banner, name the address `make run` serves on
# (unless EENPLAN_PUBLIC_URL is set, e.g. behind a proxy).
EENPLAN_PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test lint node-deps bundle system-deps pdf-deps bench bench-sustained clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install pdf-deps
	$(BIN)/eenplan migrate
	EENPLAN_PUBLIC_URL=$(EENPLAN_PUBLIC_URL) $(BIN)/eenplan demo --if-empty --filled
	EENPLAN_PUBLIC_URL=$(EENPLAN_PUBLIC_URL) $(BIN)/eenplan serve --host $(HOST) --port $(PORT)

# Everything the test suite needs beyond Python: Chromium for browser tests, poppler for PDF
# text, and the npm packages for the Yjs interop tests.
test: install system-deps node-deps
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/mypy app
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/mypy app

# Pango for WeasyPrint (the PDF of the plan); `make run` needs only this.
pdf-deps:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then \
		echo "Installing Pango and fonts for PDF printing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	fi

system-deps: pdf-deps
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Rebuild the pinned browser bundle (committed; `make run` never needs Node).
bundle: node-deps
	npm run --silent build

# Benchmarks (not part of `make test`): results go to docs/benchmarks.md by hand.
bench: install node-deps
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.load_100k

# Minutes of mixed load on SQLite and PostgreSQL (the CI test, longer): EENPLAN_LOAD_EDITS per editor.
bench-sustained: install
	EENPLAN_LOAD_EDITS=$${EENPLAN_LOAD_EDITS:-3000} EENPLAN_TEST_POSTGRES_URL=$${EENPLAN_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q -s tests/crdt/test_sustained_load.py

clean:
	rm -rf $(VENV) node_modules
