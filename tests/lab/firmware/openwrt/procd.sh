# Stand-in for OpenWrt's /lib/functions/procd.sh (package procd), which the stand-in
# rc.common sources for a script with USE_PROCD=1; installed as <root>/lib/functions/procd.sh.
# The same functions build the same service message, one line per item (fields split by
# tabs) instead of jshn's JSON, and procd_close_service hands it to the stand-in procd
# (<root>/sbin/procd) where the real one runs `ubus call service set`. procd_kill is
# `ubus call service delete`. What procd does with them: see procd (procd.py).
#
# As the real one does, sourcing it takes the service's lock, an flock on file descriptor
# 1000 (<root>/var/lock/procd_<service>.lock), for the whole rc.common run and for anything
# that run leaves behind with the descriptor still open; an rc.common run started from within
# one (the descriptor inherited, the lock already its own) goes on, any other waits.
#
# Left out: triggers, validation, jails, procd_add_mdns, procd_running, procd_send_signal,
# procd_set_config_changed, the uci defaults of respawn (procd's 3600 5 5 apply).
# initscript and _rc_root are rc.common's; [NAME] is optional; BusyBox ash (OpenWrt's /bin/sh)
# takes descriptors above 9, as the real procd.sh's lock needs.
# shellcheck shell=sh disable=SC2154,SC2119,SC2120,SC3023

_procd_message=
_procd_instance_seq=0
_procd_tab=$(printf '\t')

procd_lock() {
	basescript=$(readlink "$initscript")
	service_name=$(basename "${basescript:-$initscript}")
	if ! flock -n 1000 >/dev/null 2>&1; then
		mkdir -p "$_rc_root/var/lock"
		exec 1000>"$_rc_root/var/lock/procd_${service_name}.lock"
		flock 1000 || logger "warning: procd flock for $service_name failed"
	fi
}

_procd_line() { # KIND FIELD...: one line of the message
	line=$1
	shift
	for field in "$@"; do
		line="$line$_procd_tab$field"
	done
	_procd_message="$_procd_message$line
"
}

procd_open_service() { # NAME [SCRIPT]
	_procd_message=
	_procd_instance_seq=0
	_procd_line service "$1" "${2:-}"
}

procd_close_service() { # [set|add]
	printf '%s' "$_procd_message" | "$_rc_root/sbin/procd" "${1:-set}"
}

procd_open_instance() { # [NAME]
	_procd_instance_seq=$((_procd_instance_seq + 1))
	_procd_line instance "${1:-instance$_procd_instance_seq}"
}

procd_set_param() { # TYPE [VALUE...]
	_procd_line param "$@"
}

procd_append_param() { # TYPE [VALUE...]
	_procd_line append "$@"
}

procd_close_instance() {
	return 0
}

procd_add_instance() { # COMMAND...
	procd_open_instance
	procd_set_param command "$@"
	procd_close_instance
}

procd_kill() { # SERVICE [INSTANCE]
	"$_rc_root/sbin/procd" delete "$1" ${2:+"$2"}
}

procd_lock
