#!/usr/bin/env bash
# test/pbx/asterisk.sh: a private Asterisk for the pbx stage of test/run.
#
#   test/pbx/asterisk.sh find              print the asterisk binary, building it
#                                          with ../shared/asterisk/build.sh if
#                                          missing; exit 3 (and say why) when
#                                          neither is there
#   test/pbx/asterisk.sh start DIR PORT    a private instance in DIR, AMI on PORT
#   test/pbx/asterisk.sh stop DIR          stop it (core stop now, then SIGKILL)
#   test/pbx/asterisk.sh kill DIR          SIGKILL it (a PBX crash)
#   test/pbx/asterisk.sh rx DIR CMD        one CLI command
#
# manager.conf and extensions.conf are not written here: they are the blocks
# of doc/dialer.md marked "<!-- test/pbx: manager.conf -->" and
# "<!-- test/pbx: extensions.conf -->", so the documented set-up is the one
# tested (only the AMI port is changed to PORT); so are queues.conf and
# amd.conf (the predictive queues and the detector).  Everything else (the
# directories, the modules, the log) is
# the minimum a private instance needs (../shared/asterisk/README.md).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=${ASTERISK_PREFIX:-/usr/local/asterisk}

find_asterisk() {
	local bin
	for bin in "${ASTERISK:-}" "$PREFIX/sbin/asterisk"; do
		if [ -n "$bin" ] && [ -x "$bin" ] && "$bin" -V 2>/dev/null | grep -q '^Asterisk '; then
			echo "$bin"
			return 0
		fi
	done
	if [ -x "$top/../shared/asterisk/build.sh" ]; then
		echo "building Asterisk with ../shared/asterisk/build.sh (once, about 10 minutes)" >&2
		bin=$(PREFIX="$PREFIX" "$top/../shared/asterisk/build.sh" | tail -n 1) || return 1
		[ -x "$bin" ] && echo "$bin" && return 0
		return 1
	fi
	echo "no Asterisk in $PREFIX and no ../shared/asterisk to build one from" >&2
	return 3
}

# doc_block FILE: the fenced block of doc/dialer.md after its test/pbx marker
doc_block() {
	awk -v want="<!-- test/pbx: $1 -->" '
		$0 == want { found = 1; next }
		found == 1 && /^```/ { found = 2; next }
		found == 2 && /^```/ { exit }
		found == 2 { print }
	' "$top/doc/dialer.md"
}

write_config() {
	local dir=$1 port=$2
	mkdir -p "$dir"/{etc,lib,db,keys,spool,run,log}
	cat >"$dir/etc/asterisk.conf" <<EOF
[directories]
astetcdir => $dir/etc
astmoddir => $PREFIX/lib/asterisk/modules
astvarlibdir => $dir/lib
astdbdir => $dir/db
astkeydir => $dir/keys
astdatadir => $PREFIX/var/lib/asterisk
astagidir => $PREFIX/var/lib/asterisk/agi-bin
astspooldir => $dir/spool
astrundir => $dir/run
astlogdir => $dir/log
astsbindir => $PREFIX/sbin

[options]
verbose = 3
debug = 0
EOF
	cat >"$dir/etc/modules.conf" <<'EOF'
[modules]
autoload = yes
; nothing here uses SIP, PJSIP, IAX or the HTTP server
noload => chan_iax2.so
noload => res_http_websocket.so
noload => chan_unistim.so
noload => chan_mgcp.so
noload => chan_skinny.so
noload => res_phoneprov.so
noload => cdr_sqlite3_custom.so
noload => cel_sqlite3_custom.so
EOF
	doc_block queues.conf >"$dir/etc/queues.conf"
	doc_block amd.conf >"$dir/etc/amd.conf"
	printf '[general]\n' >"$dir/etc/http.conf"
	printf '[general]\nenabled = no\n' >"$dir/etc/cdr.conf"
	printf '[general]\n[logfiles]\nmessages => notice,warning,error,verbose\n' >"$dir/etc/logger.conf"
	doc_block manager.conf | sed -E "s/^port = [0-9]+/port = $port/" >"$dir/etc/manager.conf"
	doc_block extensions.conf >"$dir/etc/extensions.conf"
	if ! grep -q "^port = $port" "$dir/etc/manager.conf" || ! grep -q '^\[crm-out\]' "$dir/etc/extensions.conf"; then
		echo "doc/dialer.md has no test/pbx manager.conf or extensions.conf block" >&2
		return 1
	fi
}

cmd=${1:-}
case "$cmd" in
find)
	find_asterisk
	;;
start)
	dir=$2 port=$3
	bin=$(find_asterisk) || exit $?
	write_config "$dir" "$port" || exit 1
	# foreground (-f) in the background: the pid is ours to kill
	"$bin" -C "$dir/etc/asterisk.conf" -f -U root -G root >"$dir/log/console.log" 2>&1 &
	echo $! >"$dir/asterisk.pid"
	for _ in $(seq 1 300); do
		if "$bin" -C "$dir/etc/asterisk.conf" -rx 'core waitfullybooted' 2>/dev/null | grep -q 'fully booted'; then
			exit 0
		fi
		kill -0 "$(cat "$dir/asterisk.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "Asterisk did not start:" >&2
	tail -20 "$dir/log/console.log" "$dir/log/messages" >&2 2>/dev/null
	exit 1
	;;
stop | kill)
	dir=$2
	[ -f "$dir/asterisk.pid" ] || exit 0
	pid=$(cat "$dir/asterisk.pid")
	if [ "$cmd" = stop ] && bin=$(find_asterisk 2>/dev/null); then
		"$bin" -C "$dir/etc/asterisk.conf" -rx 'core stop now' >/dev/null 2>&1
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	kill -KILL "$pid" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$dir/asterisk.pid" "$dir/run/asterisk.ctl" "$dir/run/asterisk.pid"
	;;
rx)
	dir=$2
	shift 2
	bin=$(find_asterisk) || exit $?
	"$bin" -C "$dir/etc/asterisk.conf" -rx "$*"
	;;
*)
	echo "usage: test/pbx/asterisk.sh find | start DIR PORT | stop DIR | kill DIR | rx DIR CMD" >&2
	exit 2
	;;
esac
