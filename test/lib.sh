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
# optional: a stage that needs them is skipped, with the reason, when they
# cannot be installed (test/run's report and drivers stages; test/t/030_pg_cron.pl)
BROWSER_PACKAGES=(chromium fonts-wqy-zenhei)
CRON_PACKAGES=(postgresql-15-cron)
# the BI drivers (test/run's drivers stage): ODBC through unixODBC and pyodbc,
# JDBC with a headless JDK to compile the probe, psycopg2
DRIVER_PACKAGES=(odbc-postgresql unixodbc python3-pyodbc libpostgresql-jdbc-java default-jdk-headless python3-psycopg2)

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

# ---- Citus: a coordinator and two workers on loopback -------------------
#
# citus_ensure: make sure Citus is installed in the PostgreSQL that
# $PG_CONFIG names, building it from ../shared/citus when that folder is
# there.  Returns 1, with the reason in CITUS_SKIP, when neither is there.
CITUS_SKIP=
citus_ensure() {
	local libdir shared
	libdir=$("$PG_CONFIG" --pkglibdir)
	shared=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/citus
	if [ -x "$shared/build.sh" ]; then
		PG_CONFIG=$PG_CONFIG "$shared/build.sh" >/tmp/bankcrm-citus-build.log 2>&1 || {
			tail -20 /tmp/bankcrm-citus-build.log >&2
			CITUS_SKIP="building Citus from $shared failed (see /tmp/bankcrm-citus-build.log)"
			return 1
		}
	fi
	if [ ! -f "$libdir/citus.so" ]; then
		CITUS_SKIP="Citus is not installed in $libdir and ../shared/citus is not there to build it from"
		return 1
	fi
}

# citus_start DIR [CONF_FILE]: start a coordinator (DIR/coord) and two workers
# (DIR/w1, DIR/w2), each preloading citus then bankcrm, create DB on each
# with CREATE EXTENSION citus, and join them.  Sets CITUS_HOST (the socket
# directory of the coordinator) and CITUS_PORTS ("coord w1 w2").
citus_start() {
	local dir=$1 conf=${2:-} db=${3:-postgres} node port ports=() bindir
	bindir=$(pg_bindir)
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 755 "$(dirname "$dir")" "$dir"
	fi
	{
		[ -n "$conf" ] && cat "$conf"
		echo "shared_preload_libraries = 'citus,bankcrm'"
		echo "max_connections = 200"
		echo "citus.log_remote_commands = off"
		echo "wal_level = logical"
		echo "max_prepared_transactions = 64"
	} >"$dir/citus.conf"
	for node in coord w1 w2; do
		mkdir -p "$dir/$node"
		if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/$node"; chmod 755 "$dir/$node"; fi
		run_as_pg "$bindir/initdb" -D "$dir/$node/data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >"$dir/$node/initdb.log" 2>&1 || {
			cat "$dir/$node/initdb.log" >&2
			return 1
		}
		run_as_pg tee -a "$dir/$node/data/postgresql.conf" <"$dir/citus.conf" >/dev/null
		port=$(free_port)
		run_as_pg "$bindir/pg_ctl" -D "$dir/$node/data" -l "$dir/$node/server.log" -w -t 60 \
			-o "-p $port -k $dir/$node -c listen_addresses=127.0.0.1" start >/dev/null || {
			tail -30 "$dir/$node/server.log" >&2
			return 1
		}
		ports+=("$port")
	done
	CITUS_HOST=$dir/coord
	CITUS_PORTS="${ports[*]}"
	local i=0
	for node in coord w1 w2; do
		if [ "$db" != postgres ]; then
			psql -qX -h "$dir/$node" -p "${ports[$i]}" -U postgres -d postgres \
				-c "CREATE DATABASE $db" >/dev/null || return 1
		fi
		psql -qX -h "$dir/$node" -p "${ports[$i]}" -U postgres -d "$db" -v ON_ERROR_STOP=1 \
			-c "CREATE EXTENSION citus" >/dev/null || return 1
		i=$((i + 1))
	done
	psql -qX -h "$CITUS_HOST" -p "${ports[0]}" -U postgres -d "$db" -v ON_ERROR_STOP=1 \
		-c "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${ports[1]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${ports[2]})" >/dev/null || return 1
	export CITUS_HOST CITUS_PORTS
}

# citus_stop DIR: stop every node of a cluster citus_start made
citus_stop() {
	local dir=$1 node
	for node in coord w1 w2; do
		[ -f "$dir/$node/data/postmaster.pid" ] || continue
		run_as_pg "$(pg_bindir)/pg_ctl" -D "$dir/$node/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	done
}

# ---- pg_cron ---------------------------------------------------------------
#
# cron_ensure: make sure pg_cron is installed in the PostgreSQL that
# $PG_CONFIG names: Debian's postgresql-15-cron, copied into that server's
# directories when $PG_CONFIG is another build of the same major version.
# Returns 1, with the reason in CRON_SKIP, when it cannot be had.
CRON_SKIP=
cron_ensure() {
	local libdir extdir f
	libdir=$("$PG_CONFIG" --pkglibdir)
	extdir=$("$PG_CONFIG" --sharedir)/extension
	[ -f "$libdir/pg_cron.so" ] && [ -f "$extdir/pg_cron.control" ] && return 0
	ensure_packages "${CRON_PACKAGES[@]}" 2>/tmp/bankcrm-cron-apt.log || {
		CRON_SKIP="postgresql-15-cron cannot be installed ($(tail -1 /tmp/bankcrm-cron-apt.log))"
		return 1
	}
	if [ ! -f "$libdir/pg_cron.so" ] && [ -f /usr/lib/postgresql/15/lib/pg_cron.so ] &&
		[ "$("$PG_CONFIG" --version | cut -d' ' -f2 | cut -d. -f1)" = 15 ]; then
		cp /usr/lib/postgresql/15/lib/pg_cron.so "$libdir/" || { CRON_SKIP="cannot write $libdir"; return 1; }
		for f in /usr/share/postgresql/15/extension/pg_cron*; do cp "$f" "$extdir/"; done
	fi
	[ -f "$libdir/pg_cron.so" ] && [ -f "$extdir/pg_cron.control" ] || {
		CRON_SKIP="pg_cron is not installed in $libdir"
		return 1
	}
}

# ---- who uses the installed library -----------------------------------------
#
# so_users [EXCEPT_DIR]: the data directories of running servers (other than
# the one in EXCEPT_DIR) whose processes have the installed bankcrm.so of
# $PG_CONFIG loaded, one "PID DATADIR" a line.  A `make install` replaces that
# file under them: their running processes keep the old code, new backends
# and restarted workers load the new one.
so_users() {
	local except=${1:-} so pid dir seen=" "
	so=$("$PG_CONFIG" --pkglibdir)/bankcrm.so
	for pid in $(grep -l -F "$so" /proc/[0-9]*/maps 2>/dev/null | cut -d/ -f3); do
		dir=$(readlink "/proc/$pid/cwd" 2>/dev/null) || continue
		[ -n "$except" ] && [ "${dir#"$except"}" != "$dir" ] && continue
		case "$seen" in *" $dir "*) continue ;; esac
		seen="$seen$dir "
		printf '%s %s\n' "$pid" "$dir"
	done
}
