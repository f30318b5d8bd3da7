# `make test` runs every test of the project: formatting, lints, the Rust unit, property and
# conformance tests, the doc tests, the crash and multi-process tests on SQLite and PostgreSQL,
# the report in a browser, smoke runs of the main example, and the Python package's tests.
#
# Every target that needs PostgreSQL runs under tests/scripts/with_postgres.sh, which starts a
# throwaway PostgreSQL 15 cluster (initdb into a temporary directory, as an unprivileged user,
# on a free loopback port), exports ESCALATION_PG_URL, and stops and removes the cluster when
# the command ends, pass or fail. If the cluster cannot start, the target fails and says why.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
export CARGO_PROFILE_DEV_DEBUG ?= line-tables-only
export CARGO_PROFILE_TEST_DEBUG ?= line-tables-only

.PHONY: test lint fmt rust-test sqlite-full postgres-full example-smoke browser-test bench \
	bench-postgres python-test python-bench python-dev python-ext-missing node-test \
	node-bench node-ext-missing clean

test: lint rust-test python-test node-test sqlite-full postgres-full example-smoke browser-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --all-features --no-deps --locked

fmt:
	$(CARGO) fmt --all

# The PostgreSQL crash and multi-process tests run small here (debug) and at full size in
# postgres-full (release).
rust-test:
	tests/scripts/with_postgres.sh env ESCALATION_PG_CRASH_RUNS=5 \
		ESCALATION_PG_PROCESS_TICKETS=2000 \
		$(CARGO) test --workspace --all-targets --locked
	$(CARGO) test --workspace --doc --all-features --locked

# Crash safety and multi-process exactly-once at full size, in release: 100 SIGKILLs of a
# writer, and four processes sharing one SQLite file over 20,000 tickets.
sqlite-full:
	ESCALATION_CRASH_RUNS=100 ESCALATION_PROCESS_TICKETS=20000 \
		$(CARGO) test --locked --release -p escalation-sqlite --test crash --test processes

# Exactly once across processes on PostgreSQL, at full size, in release: four engine processes
# share one database (25,000 tickets over 20 tenants, a simulated week), and a writer is
# SIGKILLed 50 times.
postgres-full:
	tests/scripts/with_postgres.sh env ESCALATION_PG_CRASH_RUNS=50 \
		ESCALATION_PG_PROCESS_TICKETS=25000 \
		$(CARGO) test --locked --release -p escalation-postgres --test crash --test processes \
		-- --nocapture

# The main job must keep running end to end (a light week keeps this quick, on the in-memory
# store and on a SQLite file), and a run on a file continues where the last one stopped, even
# after SIGKILL (tests/scripts/example_resume.sh).
example-smoke:
	$(CARGO) build --locked --example support_desk
	target/debug/examples/support_desk --memory --tickets 60 --show-logs 1 > /dev/null
	tests/scripts/example_resume.sh target/debug/examples/support_desk

# The HTML weekly report renders in headless Chromium without errors, on screen and in print
# (tests/browser/check_report.mjs), for a busy week and an empty one. Chromium comes from
# Debian's packages and puppeteer-core from tests/browser/package-lock.json, installed when
# missing.
browser-test: tests/browser/node_modules/.installed
	@test -x /usr/bin/chromium || { \
		echo "browser-test: /usr/bin/chromium is missing; installing Debian's chromium"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	} || { \
		echo "browser-test: could not install Chromium (apt-get needs root and Debian's" \
			"package registry); install the 'chromium' package and run again" >&2; \
		exit 1; \
	}
	mkdir -p target/browser
	ESCALATION_REPORT_HTML_OUT=$(CURDIR)/target/browser/report.html \
		$(CARGO) test --locked -p escalation-core --test report_render
	node tests/browser/check_report.mjs target/browser/report.html target/browser/report.png
	node tests/browser/check_report.mjs target/browser/report-empty.html \
		target/browser/report-empty.png

# The stamp lives in node_modules, so a changed lock file or a deleted node_modules reinstalls.
tests/browser/node_modules/.installed: tests/browser/package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

# The Python package (bindings-python/): a virtualenv in target/venv with the pinned tools of
# bindings-python/requirements-dev.txt, the extension built into it by `maturin develop`
# (debug), then the pytest suite and mypy.stubtest. Incremental: the venv is set up again only
# when requirements-dev.txt changes, and the extension is rebuilt only when a Rust source, a
# manifest, Cargo.lock or pyproject.toml changed since the last build (or its .so is gone).
# maturin builds in target/ with its own PyO3 settings, so the next plain cargo build of the
# workspace recompiles pyo3 and the binding crate once (a few seconds); nothing else.
PYTHON ?= python3
VENV := target/venv
VENV_PY := $(VENV)/bin/python
PY_EXT_SOURCES := $(shell find bindings-python/src escalation-core/src escalation-sqlite/src \
		escalation-sqlite/migrations escalation-postgres/src escalation-postgres/migrations \
		-type f) \
	bindings-python/Cargo.toml escalation-core/Cargo.toml escalation-sqlite/Cargo.toml \
	escalation-postgres/Cargo.toml Cargo.toml Cargo.lock bindings-python/pyproject.toml
# A phony prerequisite (always out of date) when the built extension is missing.
PY_EXT_MISSING := $(if $(wildcard bindings-python/python/escalation/_native*.so),,python-ext-missing)
python-ext-missing: ;

$(VENV)/.requirements-dev: bindings-python/requirements-dev.txt
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

$(VENV)/.escalation-built: $(VENV)/.requirements-dev $(PY_EXT_SOURCES) $(PY_EXT_MISSING)
	cd bindings-python && VIRTUAL_ENV=$(CURDIR)/$(VENV) $(CURDIR)/$(VENV)/bin/maturin develop \
		--locked --quiet
	touch $@

python-dev: $(VENV)/.escalation-built

# pytest runs beside a throwaway PostgreSQL cluster (for the PostgresStore tests); the stubs
# are checked against the runtime module, and the package's Python code with mypy --strict.
python-test: $(VENV)/.escalation-built
	cd bindings-python && ../tests/scripts/with_postgres.sh $(CURDIR)/$(VENV_PY) -m pytest -q
	cd bindings-python && $(CURDIR)/$(VENV_PY) -m mypy.stubtest escalation \
		--allowlist stubtest-allowlist.txt
	cd bindings-python && $(CURDIR)/$(VENV_PY) -m mypy --strict python/escalation

# Business-calendar throughput from Python against the Rust call and the PyPI peers
# (businesstimedelta, workclock) on the same inputs; builds the extension in release first.
# The next python-test rebuilds it in debug.
python-bench: $(VENV)/.requirements-dev
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check \
		-r bindings-python/requirements-bench.txt
	cd bindings-python && VIRTUAL_ENV=$(CURDIR)/$(VENV) $(CURDIR)/$(VENV)/bin/maturin develop \
		--locked --quiet --release
	rm -f $(VENV)/.escalation-built
	$(VENV_PY) bindings-python/bench/bench_calendar.py
	$(VENV_PY) bindings-python/bench/bench_engine.py

# The Node.js package (bindings-node/): npm installs the pinned @napi-rs/cli and TypeScript of
# bindings-node/package-lock.json (again only when the lock file changes); `napi build
# --platform` (debug) builds the addon, in its own target directory target-node/ so it never
# waits on target/'s lock, when a Rust source (of the addon, the core or a store), a manifest,
# Cargo.lock or package.json changed (or the .node file is gone), and rewrites the checked-in
# index.js and index.d.ts (a diff there means they were stale); then `node --test` runs
# __test__/ beside a throwaway PostgreSQL cluster (for the PostgresStore tests), and tsc
# type-checks __test__/types-check.ts against the package's types.
NODE_TARGET := target-node
NODE_BIN := bindings-node/node_modules/.bin
NODE_EXT_SOURCES := $(shell find bindings-node/src escalation-core/src escalation-sqlite/src \
		escalation-sqlite/migrations escalation-postgres/src escalation-postgres/migrations \
		-type f) \
	bindings-node/Cargo.toml bindings-node/build.rs escalation-core/Cargo.toml \
	escalation-sqlite/Cargo.toml escalation-postgres/Cargo.toml Cargo.toml Cargo.lock \
	bindings-node/package.json
# A phony prerequisite (always out of date) when the built addon is missing.
NODE_EXT_MISSING := $(if $(wildcard bindings-node/escalation.*.node),,node-ext-missing)
node-ext-missing: ;

# The stamp lives in node_modules, so a changed lock file or a deleted node_modules reinstalls.
bindings-node/node_modules/.installed: bindings-node/package-lock.json
	npm ci --prefix bindings-node --no-audit --no-fund
	touch $@

$(NODE_TARGET)/.escalation-built: bindings-node/node_modules/.installed $(NODE_EXT_SOURCES) \
		$(NODE_EXT_MISSING)
	cd bindings-node && CARGO_TARGET_DIR=$(CURDIR)/$(NODE_TARGET) \
		$(CURDIR)/$(NODE_BIN)/napi build --platform -- --locked
	touch $@

node-test: $(NODE_TARGET)/.escalation-built
	cd bindings-node && ../tests/scripts/with_postgres.sh node --test
	cd bindings-node && $(CURDIR)/$(NODE_BIN)/tsc --noEmit -p __test__/tsconfig.json
	$(CURDIR)/$(NODE_BIN)/tsc --noEmit -p examples/node/tsconfig.json

# Business-calendar throughput from Node.js against the Rust call and the npm peer
# moment-business-time on the same inputs, and `await engine.createTicket` against the Rust
# call; builds the addon in release first. The next node-test rebuilds it in debug.
node-bench: bindings-node/node_modules/.installed
	cd bindings-node && CARGO_TARGET_DIR=$(CURDIR)/$(NODE_TARGET) \
		$(CURDIR)/$(NODE_BIN)/napi build --platform --release -- --locked
	rm -f $(NODE_TARGET)/.escalation-built
	cd bindings-node && node bench/bench_calendar.mjs
	cd bindings-node && node bench/bench_engine.mjs

bench:
	$(CARGO) bench --locked --bench intake
	$(CARGO) bench --locked --bench calendar
	$(CARGO) bench --locked --bench sweep

# PostgreSQL intake and sweep throughput, on a durable (fsync on) throwaway cluster.
bench-postgres:
	tests/scripts/with_postgres.sh --durable \
		$(CARGO) bench --locked --features postgres --bench postgres

clean:
	$(CARGO) clean
