# router-wg: every way of working on the project is a target here.
#   make demo       set everything up and run the main job
#   make test       lint, unit tests, host tier, ARM tier (what CI runs)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTEST  := $(PY) -m pytest
OUT     ?= /tmp/wireguard
TESTS   ?=
# Debian packages the project needs on the machine that builds and tests it.
HOST_PACKAGES := python3-venv iproute2 iptables wireguard-tools wireguard-go tinc \
	iputils-ping procps kmod util-linux busybox e2fsprogs \
	qemu-system-arm qemu-user-static mmdebstrap arch-test binfmt-support

.PHONY: help setup deps venv lint unit host-test qemu-test test demo bench clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

setup: deps venv ## install Debian packages and the Python environment

deps: ## install the Debian packages the tests and the ARM guest need
	@missing=$$(for p in $(HOST_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		for try in 1 2 3; do \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends $$missing && break; \
			[ $$try = 3 ] && exit 1; echo "apt failed, index may be syncing; retry $$try in 20 s"; sleep 20; \
		done; \
	fi

venv: $(VENV)/.installed ## the Python environment with router-wg installed (editable)
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

lint: venv ## ruff over the code and the tests
	$(PY) -m ruff check router_wg tests
	$(PY) -m ruff format --check router_wg tests

unit: venv ## the pure layers, no root needed
	$(PYTEST) -q --junitxml=out/junit-unit.xml tests/unit

host-test: venv ## every other test that runs on the host (namespaces, wireguard-go, tinc)
	$(PYTEST) -q --junitxml=out/junit-host.xml -m 'not kernel_module' \
		$(or $(TESTS),--ignore=tests/unit tests)

qemu-test: venv ## the ARM suite in the qemu guest; TESTS="path ..." picks tests
	qemu/run-tests $(TESTS)

test: deps venv ## everything CI runs: lint, unit, host tier, ARM tier
	@$(PY) tests/tools/tiers.py \
		lint "$(MAKE) --no-print-directory lint" -- \
		unit "$(MAKE) --no-print-directory unit" out/junit-unit.xml -- \
		host "$(MAKE) --no-print-directory host-test" out/junit-host.xml -- \
		ARM "$(MAKE) --no-print-directory qemu-test" out/qemu/junit.xml

demo: setup ## the main job: makeconf on the shipped example mesh
	$(VENV)/bin/router-wg makeconf --answers router_wg/examples/three-sites.toml --out $(OUT)

bench: venv ## benchmarks that print figures
	$(PY) tests/bench/bench_makeconf.py

clean:
	rm -rf $(VENV) build *.egg-info
