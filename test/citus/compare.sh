# test/citus/compare.sh: sourced by test/run (the citus stage).
#
# Starts a Citus cluster (a coordinator and two workers on loopback), loads
# the ci bank into it and lays it out with bankcrm.distribute(); loads the
# same bank into a database of the single-node test cluster; then runs every
# capability script test/citus/*.sql on both, in name order, and compares
# the output of each case (the lines after a line "### name") by digest.
#
# A case listed in test/citus/gaps (name, a tab, the reason) is a known gap:
# it is reported as such, and reported as a failure the day it starts to
# agree, so that the list stays true.

citus_case_split() {	# FILE DIR: one file per case, named after it
	awk -v dir="$2" '
		/^### / { name = substr($0, 5); gsub(/[^A-Za-z0-9_.-]/, "_", name); file = dir "/" name; printf "" > file; next }
		file != "" { print >> file }
	' "$1"
}

# citus_monitor DB ON|OFF -h H -p P -U U -d D -h H2 -p P2: the churn monitor
# serves DB on both servers (the coordinator, then the single node), or not
citus_monitor() {
	local db=$1 on=$2 h1=$4 p1=$6 h2=${12} p2=${14} h p
	for hp in "$h1 $p1" "$h2 $p2"; do
		read -r h p <<<"$hp"
		if [ "$on" = 1 ]; then
			psql -qX -h "$h" -p "$p" -U postgres -d postgres \
				-c "ALTER SYSTEM SET bankcrm.churn_databases = '$db'" \
				-c "ALTER SYSTEM SET bankcrm.churn_interval = 1" -c "SELECT pg_reload_conf()" >/dev/null
		else
			psql -qX -h "$h" -p "$p" -U postgres -d postgres \
				-c "ALTER SYSTEM RESET bankcrm.churn_databases" \
				-c "ALTER SYSTEM RESET bankcrm.churn_interval" -c "SELECT pg_reload_conf()" >/dev/null
		fi
	done
}

citus_compare() {
	local tmp=$1 dir=$1/citus db=bankcrm_cap single_host=$PGHOST single_port=$PGPORT
	local coord port script name gap reason
	mkdir -p "$dir/out"
	if ! citus_start "$dir" test/conf/preload.conf "$db" >"$dir/start.log" 2>&1; then
		cat "$dir/start.log"
		fail "citus/cluster start"
		return
	fi
	coord=(-h "$CITUS_HOST" -p "${CITUS_PORTS%% *}" -U postgres -d "$db")
	ok "citus/cluster start (coordinator and 2 workers)"

	# the same bank on both
	if ! psql -qX -v ON_ERROR_STOP=1 "${coord[@]}" -c "CREATE EXTENSION bankcrm" >"$dir/load.log" 2>&1 ||
		! PGHOST=$CITUS_HOST PGPORT=${CITUS_PORTS%% *} test/data/load --size ci --dbname "$db" >>"$dir/load.log" 2>&1; then
		tail -20 "$dir/load.log"
		fail "citus/load ci bank"
		return
	fi
	# the generator's ground truth points at party: it stays a local table
	psql -qX -v ON_ERROR_STOP=1 "${coord[@]}" \
		-c "ALTER TABLE bankcrm_truth.churner DROP CONSTRAINT churner_party_id_fkey" \
		-c "ALTER TABLE bankcrm_truth.hidden_gold DROP CONSTRAINT hidden_gold_party_id_fkey" >>"$dir/load.log" 2>&1
	if psql -X -v ON_ERROR_STOP=1 "${coord[@]}" -c "SELECT * FROM bankcrm.distribute()" >"$dir/distribute.out" 2>&1 &&
		! grep -q "not kept" "$dir/distribute.out" ||
		grep -q "party_relation_related_party_id_fkey not kept" "$dir/distribute.out"; then
		ok "citus/distribute"
	else
		cat "$dir/distribute.out"
		fail "citus/distribute"
		return
	fi
	if psql -XAt -v ON_ERROR_STOP=1 "${coord[@]}" -c "SELECT action FROM bankcrm.distribute()" 2>&1 |
		grep -qv '^unchanged: already '; then
		fail "citus/distribute again changes nothing"
	else
		ok "citus/distribute again changes nothing"
	fi

	# a database with Citus but no worker joined: refused, with what to do
	local bare=(-h "$CITUS_HOST" -p "${CITUS_PORTS%% *}" -U postgres -d bankcrm_noworkers)
	psql -qX -h "$CITUS_HOST" -p "${CITUS_PORTS%% *}" -U postgres -d postgres -c "CREATE DATABASE bankcrm_noworkers" >/dev/null 2>&1
	psql -qX "${bare[@]}" -c "CREATE EXTENSION citus" -c "CREATE EXTENSION bankcrm" >"$dir/noworkers.out" 2>&1
	psql -XAt "${bare[@]}" -v VERBOSITY=verbose -c "SELECT * FROM bankcrm.distribute()" >>"$dir/noworkers.out" 2>&1
	if grep -q "ERROR:  55000: the Citus cluster has no worker nodes" "$dir/noworkers.out"; then
		ok "citus/distribute refuses without workers (55000)"
	else
		cat "$dir/noworkers.out"
		fail "citus/distribute refuses without workers (55000)"
	fi

	if ! psql -qX -v ON_ERROR_STOP=1 -h "$single_host" -p "$single_port" -U postgres -d postgres \
			-c "CREATE DATABASE $db" >"$dir/single.log" 2>&1 ||
		! psql -qX -v ON_ERROR_STOP=1 -h "$single_host" -p "$single_port" -U postgres -d "$db" \
			-c "CREATE EXTENSION bankcrm" >>"$dir/single.log" 2>&1 ||
		! PGHOST=$single_host PGPORT=$single_port test/data/load --size ci --dbname "$db" >>"$dir/single.log" 2>&1; then
		tail -20 "$dir/single.log"
		fail "citus/single-node bank"
		return
	fi

	for script in test/citus/[0-9]*.sql; do
		[ -e "$script" ] || continue
		name=$(basename "$script" .sql)
		# a script about the churn monitor runs with the monitor serving the
		# database (on the coordinator of the cluster), the others without it
		case "$name" in
		*churn_monitor*) citus_monitor "$db" 1 "${coord[@]}" -h "$single_host" -p "$single_port" ;;
		esac
		stdbuf -o0 psql -X -q -P pager=off -v ON_ERROR_STOP=0 -v VERBOSITY=terse \
			-h "$single_host" -p "$single_port" -U postgres -d "$db" -f "$script" >"$dir/out/$name.single" 2>&1
		stdbuf -o0 psql -X -q -P pager=off -v ON_ERROR_STOP=0 -v VERBOSITY=terse \
			"${coord[@]}" -f "$script" >"$dir/out/$name.citus" 2>&1
		case "$name" in
		*churn_monitor*) citus_monitor "$db" 0 "${coord[@]}" -h "$single_host" -p "$single_port" ;;
		esac
		mkdir -p "$dir/out/$name.single.d" "$dir/out/$name.citus.d"
		citus_case_split "$dir/out/$name.single" "$dir/out/$name.single.d"
		citus_case_split "$dir/out/$name.citus" "$dir/out/$name.citus.d"
		for f in "$dir/out/$name.single.d"/*; do
			[ -e "$f" ] || continue
			local case=$name/$(basename "$f") a b
			a=$(md5sum <"$f" | cut -c1-32)
			b=$(md5sum <"$dir/out/$name.citus.d/$(basename "$f")" 2>/dev/null | cut -c1-32)
			gap=$(awk -F '\t' -v c="$case" '$1 == c { print $2 }' test/citus/gaps 2>/dev/null)
			if [ "$a" = "$b" ]; then
				if [ -n "$gap" ]; then
					fail "citus/$case agrees now: remove it from test/citus/gaps"
				else
					ok "citus/$case"
				fi
			elif [ -n "$gap" ]; then
				skip "citus/$case" "known gap: $gap"
			else
				diff -u "$f" "$dir/out/$name.citus.d/$(basename "$f")" | head -40
				fail "citus/$case"
			fi
		done
	done
}
