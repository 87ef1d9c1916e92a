# router-wg: every way of working on the project is a target here.
#   make demo       set everything up and run the main job
#   make test       lint, unit tests, host tier, ARM tier (what CI runs)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTEST  := $(PY) -m pytest
TESTS   ?=
# The pyroute2 the router gets (lib/ of the archives), from its wheel, checked.
PYROUTE2_VERSION := 0.9.7
PYROUTE2_WHEEL := out/wheels/pyroute2-$(PYROUTE2_VERSION)-py3-none-any.whl
PYROUTE2_SHA256 := 01a2a3afe565a6acb0a0d5d8ac86c9682b6564407e3d9589070191ae94b737e8
# Debian packages the project needs on the machine that builds and tests it.
HOST_PACKAGES := python3-venv iproute2 iptables nftables wireguard-tools wireguard-go tinc \
	iputils-ping procps kmod util-linux busybox e2fsprogs \
	qemu-system-arm qemu-user-static mmdebstrap arch-test binfmt-support shellcheck

.PHONY: help setup deps venv lint unit host-test qemu-test test demo bench bench-guest clean

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

SHELL_SCRIPTS := files/jffs/router-wg/router-wg.sh files/etc/init.d/router-wg \
	files/etc/hotplug.d/iface/95-router-wg files/usr/bin/router-wg \
	files/CONTROL/postinst files/CONTROL/prerm .ci/run \
	$(filter-out %.py,$(wildcard tests/lab/firmware/*/*))

lint: venv ## ruff over the code and the tests, shellcheck over the router's scripts
	$(PY) -m ruff check router_wg tests qemu/run-tests
	$(PY) -m ruff format --check router_wg tests qemu/run-tests
	shellcheck $(SHELL_SCRIPTS)

unit: venv ## the pure layers, no root needed
	$(PYTEST) -q --junitxml=out/junit-unit.xml tests/unit

# Most of the host tier's time is waiting (watchdog ticks, handshakes, hold-downs), so it runs
# in HOST_WORKERS pytest processes, a test file per process at a time (--dist loadfile: a
# module's shared mesh is built once). Every lab names its namespaces after its own process
# (tests/lab/names.py), so the workers never meet. The wheel is fetched first, not by two
# packaging tests at once.
HOST_WORKERS ?= 2
host-test: venv $(PYROUTE2_WHEEL) ## every other test that runs on the host (namespaces, wireguard-go, tinc)
	$(PYTEST) -q --junitxml=out/junit-host.xml -m 'not kernel_module' \
		-n $(HOST_WORKERS) --dist loadfile $(or $(TESTS),--ignore=tests/unit tests)

# The ARM suite: every kernel path and command once, the host_only variants left to the host
# tier (qemu/README.md lists what the guest proves), spread over two guests at once (one per
# core) by the last run's per-file times. The bound only ends a hung guest: well above the
# 12 minutes a slow 2-core machine may take, and within CI's 90 minutes.
export ROUTER_WG_QEMU_TIMEOUT ?= 1800

# The guest has no make: it tests the archives built here, in out/ (/mnt/tree/out inside).
# Built aside and renamed into place, so a guest already running never reads a half-written one.
qemu-test: venv ## the ARM suite in the qemu guest; TESTS="path ..." picks tests
	mkdir -p out && pkg=$$(mktemp -d out/.pkg-XXXXXX) && \
		$(MAKE) --no-print-directory dist ipk PKG_OUT=$$pkg >/dev/null && \
		mv -f $$pkg/router-wg-$(VERSION).tar.gz $$pkg/router-wg_$(VERSION)_all.ipk out/ && \
		rm -rf $$pkg
	qemu/run-tests $(TESTS)

test: deps venv ## everything CI runs: lint, unit, host tier, ARM tier
	@$(PY) tests/tools/tiers.py \
		lint "$(MAKE) --no-print-directory lint" -- \
		unit "$(MAKE) --no-print-directory unit" out/junit-unit.xml -- \
		host "$(MAKE) --no-print-directory host-test" out/junit-host.xml -- \
		ARM "$(MAKE) --no-print-directory qemu-test" out/qemu/junit.xml

# make demo: three emulated routers, one link cut and healed, narrated (tests/demo). In the ARM
# guest with the WireGuard kernel module, or DEMO_ON=host: host namespaces with wireguard-go.
# DEMO_ARGS passes options (python -m demo --help); the guest gets the archive built here.
DEMO_ON ?= guest
demo: setup ## the main job on three emulated routers: in the ARM guest, or DEMO_ON=host
	@case "$(DEMO_ON)" in \
	host) PYTHONPATH=tests $(PY) -m demo $(DEMO_ARGS) ;; \
	guest) pkg=$$(mktemp -d) && trap 'rm -rf "$$pkg"' EXIT && \
		$(MAKE) --no-print-directory dist PKG_OUT=$$pkg >/dev/null && \
		qemu/run-tests --demo --dist $$pkg/router-wg-$(VERSION).tar.gz $(DEMO_ARGS) ;; \
	*) echo "make demo: DEMO_ON is guest (the default) or host, not '$(DEMO_ON)'" >&2; exit 2 ;; \
	esac

bench: venv ## benchmarks that print figures (all but makeconf's need root)
	$(PY) tests/bench/bench_makeconf.py
	$(PY) tests/bench/bench_start.py 3 100
	$(PY) tests/bench/bench_check.py
	$(PY) tests/bench/bench_prober.py 3 30
	$(PY) tests/bench/bench_watcher.py

# The README's performance figures, measured under emulation (one guest boot per script).
bench-guest: venv ## the start, check and watcher benchmarks in the ARM guest (the README's figures)
	qemu/run-tests --bench tests/bench/bench_start.py 3 100
	qemu/run-tests --bench tests/bench/bench_check.py
	qemu/run-tests --bench tests/bench/bench_watcher.py

clean:
	rm -rf $(VENV) build *.egg-info

# --- packaging ---
# make install DESTDIR=DIR [PLATFORM=freshtomato|openwrt]: the files as on the router (both
#   platforms unless PLATFORM picks one). files/LAYOUT.md lists every path, in short:
#   FreshTomato  DIR/jffs/router-wg/{router-wg.sh,INSTALL.txt,lib/{router_wg,pyroute2}}
#   OpenWrt      DIR/etc/init.d/router-wg, DIR/etc/hotplug.d/iface/95-router-wg,
#                DIR/etc/router-wg/ (the bundle), DIR/lib/upgrade/keep.d/router-wg (what
#                sysupgrade keeps: the bundle), DIR/usr/bin/router-wg,
#                DIR/usr/share/router-wg/{router-wg.sh,lib/{router_wg,pyroute2}}
# make ipk:  PKG_OUT/router-wg_VERSION_all.ipk, the OpenWrt layout for opkg; the outer archive
#   is a gzip'd tar as OpenWrt's (and Entware's) ipkg-build makes it.
# make dist: PKG_OUT/router-wg-VERSION.tar.gz, the FreshTomato folder, unpacked in /jffs.
# The lib/ folders hold pure Python only (router_wg, pyroute2 from its wheel): no compiler on
# the router. Archives are reproducible: sorted, 0:0, dated SOURCE_DATE_EPOCH (the last
# commit), no bytecode.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
PKG_OUT ?= out
PLATFORM ?= freshtomato openwrt
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
REPRO_TAR := tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime=@$(SOURCE_DATE_EPOCH)

.PHONY: install install-freshtomato install-openwrt ipk dist

install: ## the files as on the router: DESTDIR=DIR [PLATFORM=freshtomato|openwrt]
	$(if $(DESTDIR),,$(error give the router's root as a folder: make install DESTDIR=DIR))
	$(foreach p,$(PLATFORM),$(MAKE) --no-print-directory install-$(p) DESTDIR=$(DESTDIR);)

install-freshtomato: $(PYROUTE2_WHEEL)
	install -d -m 755 $(DESTDIR)/jffs/router-wg
	install -m 755 files/jffs/router-wg/router-wg.sh $(DESTDIR)/jffs/router-wg/
	install -m 644 files/jffs/router-wg/INSTALL.txt $(DESTDIR)/jffs/router-wg/
	$(call install_lib,$(DESTDIR)/jffs/router-wg/lib)

install-openwrt: $(PYROUTE2_WHEEL)
	install -d -m 755 $(DESTDIR)/etc/init.d $(DESTDIR)/etc/hotplug.d/iface \
		$(DESTDIR)/lib/upgrade/keep.d $(DESTDIR)/usr/bin $(DESTDIR)/usr/share/router-wg
	install -d -m 700 $(DESTDIR)/etc/router-wg
	install -m 755 files/etc/init.d/router-wg $(DESTDIR)/etc/init.d/
	install -m 644 files/etc/hotplug.d/iface/95-router-wg $(DESTDIR)/etc/hotplug.d/iface/
	install -m 644 files/lib/upgrade/keep.d/router-wg $(DESTDIR)/lib/upgrade/keep.d/
	install -m 755 files/usr/bin/router-wg $(DESTDIR)/usr/bin/
	install -m 755 files/jffs/router-wg/router-wg.sh $(DESTDIR)/usr/share/router-wg/
	$(call install_lib,$(DESTDIR)/usr/share/router-wg/lib)

# $(1)/router_wg from this tree without bytecode, and pyroute2 unpacked from its wheel.
define install_lib
	rm -rf $(1) && install -d -m 755 $(1)
	tar -cf - --exclude=__pycache__ --exclude='*.pyc' router_wg | tar -xf - -C $(1)
	python3 -m zipfile -e $(PYROUTE2_WHEEL) $(1)
	chmod -R u=rwX,go=rX $(1)
endef

$(PYROUTE2_WHEEL): | $(VENV)/.installed
	$(PY) -m pip download -q --no-deps --only-binary=:all: pyroute2==$(PYROUTE2_VERSION) -d $(@D)
	echo "$(PYROUTE2_SHA256)  $@" | sha256sum -c --quiet || { rm -f $@; exit 1; }

ipk: ## OpenWrt package: PKG_OUT/router-wg_VERSION_all.ipk
	rm -rf $(PKG_OUT)/ipk
	$(MAKE) --no-print-directory install PLATFORM=openwrt DESTDIR=$(PKG_OUT)/ipk/data
	install -d -m 755 $(PKG_OUT)/ipk/control
	install -m 755 files/CONTROL/postinst files/CONTROL/prerm $(PKG_OUT)/ipk/control/
	size=$$(cd $(PKG_OUT)/ipk/data && $(REPRO_TAR) -cf - . | wc -c); \
	sed -e 's/@VERSION@/$(VERSION)/' -e "s/@INSTALLED_SIZE@/$$size/" files/CONTROL/control \
		> $(PKG_OUT)/ipk/control/control
	cd $(PKG_OUT)/ipk/data && $(REPRO_TAR) -cf - . | gzip -9n > ../data.tar.gz
	cd $(PKG_OUT)/ipk/control && $(REPRO_TAR) -cf - . | gzip -9n > ../control.tar.gz
	echo 2.0 > $(PKG_OUT)/ipk/debian-binary
	chmod 644 $(PKG_OUT)/ipk/control/control $(PKG_OUT)/ipk/*.tar.gz $(PKG_OUT)/ipk/debian-binary
	cd $(PKG_OUT)/ipk && $(REPRO_TAR) -cf - ./debian-binary ./data.tar.gz ./control.tar.gz \
		| gzip -9n > ../router-wg_$(VERSION)_all.ipk
	@ls -l $(PKG_OUT)/router-wg_$(VERSION)_all.ipk

dist: ## FreshTomato archive for /jffs: PKG_OUT/router-wg-VERSION.tar.gz
	rm -rf $(PKG_OUT)/dist
	$(MAKE) --no-print-directory install PLATFORM=freshtomato DESTDIR=$(PKG_OUT)/dist
	cd $(PKG_OUT)/dist/jffs && $(REPRO_TAR) -cf - router-wg | gzip -9n > ../../router-wg-$(VERSION).tar.gz
	@ls -l $(PKG_OUT)/router-wg-$(VERSION).tar.gz
