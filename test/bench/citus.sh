#!/usr/bin/env bash
# test/bench/citus.sh: scale-out benchmarks (test/bench/run citus | scale).
#
#   test/bench/run citus [PARTIES]     3 nodes (a coordinator and two workers)
#                                      against 1 node, on this machine
#   test/bench/run scale [N1 N2 ...]   one node at 1 M, 2 M and 4 M parties
#
# Both load the synthetic bank (test/data/load --parties N, all of its
# tables) and time, each as the median of REPS runs (default 3):
#   score_all      a new day's score_all (the nightly run): each run is the
#                  next day, after a first run that is not timed;
#   churn_scan     the full churn evaluation of every party with a series;
#   segment        segment_refresh of a rule segment from empty (members
#                  deleted before each run).
# "citus" prints each time on 3 nodes and on 1 node with the ratio, and
# EXPLAIN ANALYZE excerpts of the cluster showing the work in shard tasks;
# "scale" prints the time per party at each size and its ratio to the
# smallest size.  Never pass/fail: the numbers go to doc/benchmarks.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib.sh

mode=${1:?citus or scale}
shift
REPS=${REPS:-3}

tmp=$(mktemp -d /tmp/bankcrm-bench-citus.XXXXXX)
chmod 755 "$tmp"
cleanup() { citus_stop "$tmp/citus"; cluster_stop "$tmp/single"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cat test/conf/preload.conf - >"$tmp/bench.conf" <<'CONF'
shared_buffers = '1GB'
work_mem = '256MB'
maintenance_work_mem = '1GB'
max_parallel_workers_per_gather = 2
bankcrm.churn_monitor = off
CONF

# the timing functions, the same on every database
timing_sql() {
	cat <<'SQL'
CREATE FUNCTION pg_temp.ms(stmt text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE stmt;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SQL
}

# run_case PSQL-ARGS... : prints "case median_ms" lines for the three cases
run_cases() {
	{
		echo '\set QUIET on'
		timing_sql
		cat <<SQL
SET client_min_messages = warning;
INSERT INTO bankcrm.segment (name, kind, rule) VALUES ('bench: affluent individuals', 'rule',
  \$\$kind = 'individual' AND status = 'active' AND wealth_tier IN ('affluent', 'hnw', 'uhnw')\$\$)
  ON CONFLICT (name) DO NOTHING;
SELECT pg_temp.ms('SELECT * FROM bankcrm.score_all(NULL, DATE ''2026-11-16'')') AS first_run \\gset
CREATE TEMP TABLE t (c text, ms double precision);
SQL
		for r in $(seq 1 "$REPS"); do
			cat <<SQL
INSERT INTO t SELECT 'score_all', pg_temp.ms(format('SELECT * FROM bankcrm.score_all(NULL, %L)', DATE '2026-11-16' + $r));
INSERT INTO t SELECT 'churn_scan', pg_temp.ms('SELECT * FROM bankcrm.churn_scan()');
DELETE FROM bankcrm.segment_member WHERE segment_id = (SELECT segment_id FROM bankcrm.segment WHERE name = 'bench: affluent individuals');
INSERT INTO t SELECT 'segment', pg_temp.ms('SELECT * FROM bankcrm.segment_refresh((SELECT segment_id FROM bankcrm.segment WHERE name = ''bench: affluent individuals''))');
SQL
		done
		echo "SELECT c, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) FROM t GROUP BY c ORDER BY c;"
	} | psql -X -At -F ' ' -v ON_ERROR_STOP=1 "$@"
}

load_bank() {	# HOST PORT PARTIES
	PGHOST=$1 PGPORT=$2 test/data/load --parties "$3" --dbname bankcrm_bench >"$tmp/load.log" 2>&1 || {
		tail -20 "$tmp/load.log"
		return 1
	}
}

ensure_packages "${BASE_PACKAGES[@]}" || exit 1
make -s >/dev/null && make -s install >/dev/null || exit 1
echo "PostgreSQL $(pg_config --version | sed 's/^PostgreSQL //'), $(nproc) cores, $(date -u +%Y-%m-%d)"

case "$mode" in
citus)
	parties=${1:-1000000}
	citus_ensure || { echo "skipped: $CITUS_SKIP"; exit 0; }
	citus_start "$tmp/citus" "$tmp/bench.conf" bankcrm_bench >/dev/null || exit 1
	coord=(-h "$CITUS_HOST" -p "${CITUS_PORTS%% *}" -U postgres -d bankcrm_bench)
	cluster_start "$tmp/single" "$tmp/bench.conf" || exit 1
	single=(-h "$PGHOST" -p "$PGPORT" -U postgres -d bankcrm_bench)
	psql -qX -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE bankcrm_bench" >/dev/null
	psql -qX "${single[@]}" -c "CREATE EXTENSION bankcrm" >/dev/null
	psql -qX "${coord[@]}" -c "CREATE EXTENSION bankcrm" >/dev/null
	echo "loading $parties parties on 1 node and on 3 nodes"
	load_bank "$PGHOST" "$PGPORT" "$parties" || exit 1
	load_bank "$CITUS_HOST" "${CITUS_PORTS%% *}" "$parties" || exit 1
	psql -qX -v ON_ERROR_STOP=1 "${coord[@]}" \
		-c "ALTER TABLE bankcrm_truth.churner DROP CONSTRAINT churner_party_id_fkey" \
		-c "ALTER TABLE bankcrm_truth.hidden_gold DROP CONSTRAINT hidden_gold_party_id_fkey" \
		-c "SELECT count(*) FROM bankcrm.distribute()" >/dev/null || exit 1
	psql -qX "${coord[@]}" -c "VACUUM ANALYZE" >/dev/null
	run_cases "${single[@]}" >"$tmp/single.out" || exit 1
	run_cases "${coord[@]}" >"$tmp/citus.out" || exit 1
	echo
	echo "case        1 node ms   3 nodes ms   3 nodes / 1 node"
	join "$tmp/single.out" "$tmp/citus.out" |
		awk '{ printf "%-11s %10.1f %12.1f %18.2f\n", $1, $2, $3, $3 / $2 }'
	echo
	echo "== EXPLAIN ANALYZE on the cluster (excerpts)"
	psql -X "${coord[@]}" <<'SQL' | grep -E 'Custom Scan|Task Count|Tasks Shown|Node: host|->.*Scan on|Execution Time' | head -30
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT count(*) FROM bankcrm.segment_preview($$kind = 'individual' AND status = 'active' AND wealth_tier IN ('affluent', 'hnw', 'uhnw')$$);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT p.kind, count(*), sum(h.balance) FROM bankcrm.party p JOIN bankcrm.holding h USING (party_id) GROUP BY 1;
SQL
	;;
scale)
	sizes=("$@")
	[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 2000000 4000000)
	cluster_start "$tmp/single" "$tmp/bench.conf" || exit 1
	echo "case        parties      median ms   us per party   vs ${sizes[0]}"
	for n in "${sizes[@]}"; do
		psql -qX -d postgres -c "DROP DATABASE IF EXISTS bankcrm_bench" -c "CREATE DATABASE bankcrm_bench" >/dev/null
		psql -qX -d bankcrm_bench -c "CREATE EXTENSION bankcrm" >/dev/null
		load_bank "$PGHOST" "$PGPORT" "$n" || exit 1
		run_cases -d bankcrm_bench >"$tmp/scale.$n" || exit 1
		while read -r c ms; do
			base=$(awk -v c="$c" '$1 == c { print $2 }' "$tmp/scale.${sizes[0]}")
			awk -v c="$c" -v n="$n" -v ms="$ms" -v b="$base" -v n0="${sizes[0]}" \
				'BEGIN { printf "%-11s %9d %12.1f %14.2f %10.2f\n", c, n, ms, ms * 1000 / n, (ms / n) / (b / n0) }'
		done <"$tmp/scale.$n"
	done
	;;
*)
	echo "usage: test/bench/run citus [PARTIES] | scale [N...]" >&2
	exit 2
	;;
esac
