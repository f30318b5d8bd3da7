# `make test` runs every test of the project: formatting, lints, the Rust unit, property and
# conformance tests, the doc tests, and a smoke run of the main example.
# Later layers (bindings, databases) add their own targets to `test`.

SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
export CARGO_PROFILE_DEV_DEBUG ?= line-tables-only
export CARGO_PROFILE_TEST_DEBUG ?= line-tables-only

.PHONY: test lint fmt rust-test sqlite-full example-smoke bench clean

test: lint rust-test sqlite-full example-smoke

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

fmt:
	$(CARGO) fmt --all

rust-test:
	$(CARGO) test --workspace --all-targets --locked
	$(CARGO) test --workspace --doc --locked

# Crash safety and multi-process exactly-once at full size, in release: 100 SIGKILLs of a
# writer, and four processes sharing one SQLite file over 20,000 tickets.
sqlite-full:
	ESCALATION_CRASH_RUNS=100 ESCALATION_PROCESS_TICKETS=20000 \
		$(CARGO) test --locked --release -p escalation-sqlite --test crash --test processes

# The main job must keep running end to end; a short day keeps this quick.
example-smoke:
	$(CARGO) run --locked --example support_desk -- --tickets 60 --show-logs 1 > /dev/null

bench:
	$(CARGO) bench --locked --bench intake
	$(CARGO) bench --locked --bench calendar
	$(CARGO) bench --locked --bench sweep

clean:
	$(CARGO) clean
