#!/bin/sh
# router-wg.sh: the router's entry point to router-wg (FreshTomato /jffs, OpenWrt, BusyBox ash).
#
#   router-wg.sh [-v] [start|stop|restart|check|show|plan|makeconf|boot|watch] [ARGS...]
#
# It finds python3 (Entware's /opt/bin first, then /opt/usr/bin, then PATH), runs
# `python3 -m router_wg VERB --conf-dir <this folder>` (the site bundle, wg.conf and wg0.conf,
# sits beside this script), uses the router_wg in lib/ beside it when there is one, and logs
# what it does, and why it stops, to syslog under the tag router-wg. The default verb is start.
#
# FreshTomato: paste this one line into Administration > Scripts > Firewall:
#
#     /jffs/router-wg/router-wg.sh boot &
#
# The firmware runs that box at boot and after every firewall restart (which flushes our
# rules). `boot` waits at most ROUTER_WG_BOOT_WAIT seconds (120) for what a slow boot lacks:
# the bundle readable (/jffs mounted), python3 (/opt mounted), a default route (uplink), a
# clock past 2024; then it runs `start`. When time is up it logs what was missing and exits 0;
# cron and the next firewall restart converge later. The `&` is part of the line on purpose:
# the firmware waits for its firewall script, and the uplink we wait for may come up only
# after that script returns. `boot` itself stays in the foreground so that a person (or a
# test) running it by hand sees its exit code. Only one boot waits at a time: a firewall
# restart during the wait joins the waiting one; one during `start` makes it run again.
#
# Environment (tests and unusual installs): ROUTER_WG_ROOT re-roots /opt and /tmp/router-wg
# here and is passed on as --root; ROUTER_WG_CONF_DIR (bundle folder), ROUTER_WG_PYTHON (a
# python3 to use), ROUTER_WG_BOOT_WAIT, ROUTER_WG_BOOT_POLL (seconds).
set -u

self=$(readlink -f "$0" 2>/dev/null) || self=$0
here=$(cd "$(dirname "$self")" && pwd -P) || exit 1
root=${ROUTER_WG_ROOT:-}
conf_dir=${ROUTER_WG_CONF_DIR:-$here}
state_dir=$root/tmp/router-wg
verbose=
python=
missing=
replace_shell= # set: python3 takes this shell's place (exec), keeping its pid

# router_wg reads these: the bundle, and the command its cron entry should run.
ROUTER_WG_CONF_DIR=$conf_dir
ROUTER_WG_WRAPPER=${ROUTER_WG_WRAPPER:-$self}
export ROUTER_WG_CONF_DIR ROUTER_WG_WRAPPER

log() {
	logger -t router-wg "$*" 2>/dev/null
	[ -t 2 ] && echo "router-wg: $*" >&2
	return 0
}

find_python() {
	if [ -n "${ROUTER_WG_PYTHON:-}" ]; then
		python=$ROUTER_WG_PYTHON
		[ -x "$python" ]
		return
	fi
	for dir in "$root/opt/bin" "$root/opt/usr/bin"; do
		[ -x "$dir/python3" ] && python=$dir/python3 && return 0
	done
	python=$(command -v python3)
}

run_router_wg() { # VERB [ARGS...]: python3 -m router_wg [--root R] [-v] VERB [--conf-dir D] ARGS
	verb=$1
	shift
	case $verb in
	start | stop | check | show | plan | watch) set -- "$verb" --conf-dir "$conf_dir" "$@" ;;
	*) set -- "$verb" "$@" ;;
	esac
	[ -n "$verbose" ] && set -- -v "$@"
	[ -n "$root" ] && set -- --root "$root" "$@"
	if [ -d "$here/lib/router_wg" ]; then
		PYTHONPATH=$here/lib${PYTHONPATH:+:$PYTHONPATH}
		export PYTHONPATH
	fi
	# Bytecode goes to RAM, not to the router's flash: compiled once per boot. The current
	# folder stays off sys.path (a router_wg/ there must not shadow ours).
	PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-$state_dir/pycache}
	PYTHONSAFEPATH=1
	export PYTHONPYCACHEPREFIX PYTHONSAFEPATH
	[ -n "$replace_shell" ] && exec "$python" -m router_wg "$@"
	"$python" -m router_wg "$@"
}

need_python() {
	find_python && return 0
	log "$1: python3 not found in $root/opt/bin, $root/opt/usr/bin or PATH;" \
		"install Entware's python3 (opkg install python3) or mount /opt"
	exit 1
}

run_verb() { # VERB [ARGS...]: run it, log how it ended (a cron check logs only failures)
	verb=$1
	[ "$verb" = check ] || log "$verb: bundle $conf_dir, $python"
	run_router_wg "$@"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		log "$verb: failed with exit $rc (see the messages above)"
	elif [ "$verb" != check ]; then
		log "$verb: done"
	fi
	return "$rc"
}

# --- boot: the Firewall hook path ---------------------------------------------------------

has_default_route() { # IPv4 or IPv6, read from the kernel: no `ip` needed
	while read -r _iface destination _gateway _flags _refs _use _metric mask _rest; do
		[ "$destination" = 00000000 ] && [ "$mask" = 00000000 ] && return 0
	done </proc/net/route
	while read -r destination length _src _srclen _next _metric _refs _use _flags iface; do
		[ "$destination" = 00000000000000000000000000000000 ] && [ "$length" = 00 ] &&
			[ "$iface" != lo ] && return 0
	done 2>/dev/null </proc/net/ipv6_route
	return 1
}

ready() { # sets $missing to what boot still lacks
	missing=
	[ -r "$conf_dir/wg.conf" ] || missing="the bundle ($conf_dir/wg.conf unreadable: /jffs not mounted?)"
	find_python || missing="${missing:+$missing; }python3 (not in $root/opt/bin or PATH: /opt not mounted?)"
	has_default_route || missing="${missing:+$missing; }a default route (uplink down)"
	year=$(date +%Y)
	[ "$year" -ge 2024 ] 2>/dev/null || missing="${missing:+$missing; }a set clock (year $year)"
	[ -z "$missing" ]
}

take_boot_lock() { # a symlink to our pid: created atomically, and tells whether its owner lives
	lock=$state_dir/boot.lock
	ln -s "$$" "$lock" 2>/dev/null && return 0
	owner=$(readlink "$lock")
	kill -0 "$owner" 2>/dev/null && return 1
	rm -f "$lock"
	ln -s "$$" "$lock" 2>/dev/null
}

start_logged() { # start, with its output in syslog (nobody reads the hook's terminal)
	{
		run_router_wg start 2>&1
		echo $? >"$state_dir/boot.status"
	} | while IFS= read -r line; do log "boot: $line"; done
	return "$(cat "$state_dir/boot.status")"
}

boot() {
	bound=${ROUTER_WG_BOOT_WAIT:-120}
	poll=${ROUTER_WG_BOOT_POLL:-3}
	mkdir -p "$state_dir" || exit 0
	again=$state_dir/boot.again
	if ! take_boot_lock; then
		: >"$again"
		log "boot: another boot (pid $owner) is waiting; it will run start (again)"
		exit 0
	fi
	trap 'rm -f "$lock"' EXIT
	trap 'exit 143' INT TERM HUP
	# Count our own sleeps: at boot the clock is the thing that jumps.
	waited=0
	if ! ready; then
		log "boot: waiting up to ${bound}s for: $missing"
		while ! ready; do
			if [ "$waited" -ge "$bound" ]; then
				log "boot: gave up after ${waited}s, still missing: $missing;" \
					"cron and the next firewall restart will start router-wg"
				exit 0
			fi
			sleep "$poll"
			waited=$((waited + poll))
		done
		log "boot: ready after ${waited}s"
	fi
	while :; do
		rm -f "$again"
		log "boot: start: bundle $conf_dir, $python"
		start_logged
		rc=$?
		log "boot: start ended with exit $rc"
		[ -e "$again" ] || return "$rc"
		log "boot: the firewall restarted during start; starting again"
	done
}

# --- main ---------------------------------------------------------------------------------

while [ "${1:-}" = -v ]; do
	verbose=1
	shift
done
verb=${1:-start}
[ $# -gt 0 ] && shift

case $verb in
start | stop | check | show | plan | makeconf)
	need_python "$verb"
	run_verb "$verb" "$@"
	;;
restart)
	need_python restart
	run_verb stop "$@"
	run_verb start "$@"
	;;
boot)
	boot
	;;
watch)
	# The resident watcher, as a service manager (OpenWrt's procd) runs it: the process it
	# started must be the watcher itself, not a shell waiting for it, so that its SIGTERM
	# reaches the watcher and its respawn sees the watcher's end.
	need_python watch
	log "watch: bundle $conf_dir, $python"
	replace_shell=1
	run_router_wg watch "$@"
	;;
-h | --help | help | --version)
	need_python "$verb"
	[ "$verb" = help ] && verb=--help
	run_router_wg "$verb"
	;;
*)
	echo "usage: $0 [-v] [start|stop|restart|check|show|plan|makeconf|boot|watch] [ARGS...]" >&2
	exit 2
	;;
esac
