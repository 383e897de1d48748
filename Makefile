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

.PHONY: serve test setup system-deps site db demo lint audit bench clean

# Virtual environment with the project and its test extra, redone when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,audit]"
	touch $@

setup: $(BIN)/.installed

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

site: setup
	$(BIN)/sop-portal build

db: setup
	$(BIN)/sop-portal db upgrade

demo: db
	$(BIN)/sop-portal demo

serve: site demo
	$(BIN)/sop-portal serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check gate calculators hooks tests bench scripts
	$(BIN)/bandit -q -c pyproject.toml -r gate calculators hooks
	$(BIN)/mypy --strict calculators hooks gate/api

test: setup system-deps site lint
	$(BIN)/python -m pytest -q

# Audits the packages installed in .venv; exits non-zero when its advisory data cannot be reached.
audit: setup
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

# Benchmarks print their figures (loopback only; each is bounded in time).
bench: setup site system-deps
	$(BIN)/python bench/calculators.py
	$(BIN)/python bench/gate_vs_nginx.py
	$(BIN)/python bench/load.py

clean:
	rm -rf site members-site .sop-builds .pytest_cache .hypothesis tests/artifacts
