# test/lib.sh: shared by test/run, test/demo and test/bench/run.
#
# Installs missing Debian packages (when root), and starts and stops private
# PostgreSQL clusters: a data directory, a unix socket inside it, a free TCP
# port on loopback.  As root the server runs as the "postgres" OS user, as
# PostgreSQL refuses to run as root.

PG_CONFIG=${PG_CONFIG:-pg_config}

log() { printf '%s\n' "$*" >&2; }

# ensure_packages PKG...: apt-get install the packages that are not installed
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		log "missing packages: ${missing[*]} (run as root, or install them)"
		return 1
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q "${missing[@]}" >/tmp/bankcrm-apt.log 2>&1; then
		apt-get update -q >>/tmp/bankcrm-apt.log 2>&1
		apt-get install -y -q "${missing[@]}" >>/tmp/bankcrm-apt.log 2>&1 || {
			tail -20 /tmp/bankcrm-apt.log >&2
			return 1
		}
	fi
}

BASE_PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-contrib make gcc clang libc6-dev python3)
TEST_PACKAGES=(postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl valgrind libclang-rt-14-dev)

pg_bindir() { "$PG_CONFIG" --bindir; }

# run_as_pg CMD...: run a server-side command as the cluster's OS user
run_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# cluster_start DIR [CONF_FILE]: initdb DIR/data, start it; sets PGHOST PGPORT PGUSER
cluster_start() {
	local dir=$1 conf=${2:-} bindir
	bindir=$(pg_bindir)
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		chmod 755 "$dir"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		run_as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			return 1
		}
		if [ -n "$conf" ]; then
			cat "$conf" | run_as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
		fi
	fi
	PGPORT=$(free_port)
	run_as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $PGPORT -k $dir -c listen_addresses=127.0.0.1" start >/dev/null || {
		tail -30 "$dir/server.log" >&2
		return 1
	}
	export PGHOST=$dir PGPORT PGUSER=postgres PGDATABASE=postgres
}

# cluster_stop DIR: fast shutdown, no error if it is not running
cluster_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	run_as_pg "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}
