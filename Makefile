# The only set-up entry points: `make serve` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links printed by `demo` and emailed by the gate point at the address `make serve` listens on.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
export NO_MKDOCS_2_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: serve test test-fast setup serve-setup lock system-deps site db demo lint audit bench clean

CONSTRAINTS := requirements/constraints.txt
# -qq: pip's errors only (not the warnings about this machine's mirror locations).
PIP := $(BIN)/python -m pip install -qq -c $(CONSTRAINTS)
# Extras `make test` installs: everything the suite imports (see pyproject.toml).
TEST_EXTRAS := test,dev,postgres,redis

# The virtual environment: one stamp per install, each redone when pyproject.toml or the
# constraints change. `make serve` installs only what serving needs; `make test` adds its extras.
$(BIN)/python:
	@echo "creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade pip

$(BIN)/.serve-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "installing . into $(VENV) (log: $(VENV)/pip-serve.log)"
	@$(PIP) -e . > $(VENV)/pip-serve.log || { cat $(VENV)/pip-serve.log; exit 1; }
	@touch $@

$(BIN)/.test-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "installing .[$(TEST_EXTRAS)] into $(VENV) (log: $(VENV)/pip-test.log)"
	@$(PIP) -e ".[$(TEST_EXTRAS)]" > $(VENV)/pip-test.log || { cat $(VENV)/pip-test.log; exit 1; }
	@touch $@

$(BIN)/.audit-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo "installing .[audit] into $(VENV) (log: $(VENV)/pip-audit.log)"
	@$(PIP) -e ".[audit]" > $(VENV)/pip-audit.log || { cat $(VENV)/pip-audit.log; exit 1; }
	@touch $@

serve-setup: $(BIN)/.serve-installed

setup: $(BIN)/.serve-installed $(BIN)/.test-installed

# Refresh the constraints file: a fresh virtual environment with every extra, then pip freeze.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -qq --upgrade pip
	.lock-venv/bin/python -m pip install -qq ".[$(TEST_EXTRAS),audit]"
	{ echo "# Made by \`make lock\` from pyproject.toml's dependencies and every extra."; \
	  .lock-venv/bin/python -m pip freeze --exclude sop-portal; } > $(CONSTRAINTS)
	rm -rf .lock-venv
	@echo "wrote $(CONSTRAINTS)"

# Debian packages the browser, nginx and PostgreSQL tests need (root on Debian only).
system-deps:
	@missing=""; \
	for pair in chromium:/usr/bin/chromium nginx:/usr/sbin/nginx postgresql:/usr/lib/postgresql wrk:/usr/bin/wrk redis-server:/usr/bin/redis-server openssl:/usr/bin/openssl; do \
	  pkg=$${pair%%:*}; path=$${pair#*:}; [ -e "$$path" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing system packages:$$missing (browser/nginx/PostgreSQL tests will skip)"; \
	  fi; \
	fi

site: serve-setup
	$(BIN)/sop-portal build

db: serve-setup
	$(BIN)/sop-portal db upgrade

demo: db
	$(BIN)/sop-portal demo

serve: site demo
	$(BIN)/sop-portal serve --host $(HOST) --port $(PORT)

# Checked by `mypy --strict` (stubs for untyped libraries in typings/).
MYPY_STRICT := calculators hooks gate

lint: setup
	@$(BIN)/ruff check -q gate calculators hooks tests bench scripts typings
	@# bandit reports even a clean run at length: its report is shown only when it finds something.
	@$(BIN)/bandit -q -c pyproject.toml -r gate calculators hooks > $(VENV)/bandit.log 2>&1 \
	  || { cat $(VENV)/bandit.log; exit 1; }
	@$(BIN)/mypy --strict --no-error-summary $(MYPY_STRICT)

test: setup system-deps site lint
	$(BIN)/python -m pytest -q

# The fast tier: no browser, nginx, PostgreSQL or other system service (`make test` runs all).
test-fast: setup site
	$(BIN)/python -m pytest -q -m "not browser and not system"

# Audits the packages installed in .venv; exits non-zero when its advisory data cannot be reached.
audit: $(BIN)/.audit-installed
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

# Benchmarks print their figures (loopback only; each is bounded in time).
bench: setup site system-deps
	$(BIN)/python bench/calculators.py
	$(BIN)/python bench/gate_vs_nginx.py
	$(BIN)/python bench/load.py

clean:
	rm -rf .lock-venv site members-site .sop-builds .pytest_cache .hypothesis tests/artifacts
