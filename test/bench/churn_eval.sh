#!/usr/bin/env bash
# test/bench/churn_eval.sh: the churn early warning on an independent
# generator (test/bench/churn_gen.py), many settings and seeds.
#
#   test/bench/churn_eval.sh [PARTIES]     (default 1000 parties a setting and seed)
#   CANDIDATES=file test/bench/churn_eval.sh   policies to compare, one
#                                              "name|SET clause" a line
#
# Two data sets of the same settings: a tuning set (seeds 1, 2) on which
# candidate policies are compared, and a held-out set (seeds 101, 102)
# that only the chosen defaults and the naive rule see.  Prints markdown
# tables for doc/benchmarks.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib.sh

parties=${1:-1000}
make -s >/dev/null && make -s install >/dev/null || exit 1
tmp=$(mktemp -d /tmp/bankcrm-churn-eval.XXXXXX)
trap 'cluster_stop "$tmp"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cat test/conf/preload.conf - >"$tmp/eval.conf" <<'CONF'
bankcrm.churn_monitor = off
shared_buffers = '512MB'
work_mem = '256MB'
max_parallel_workers_per_gather = 2
CONF
cluster_start "$tmp" "$tmp/eval.conf" || exit 1

# name|generator options: noise 5-25 %, shrinking down to -8 %/year, dips of
# 1-4 weeks, churn over 8-30 weeks, Chinese New Year from late January to
# mid-February (start years 2019-2024)
settings=(
	"base|--noise 0.10"
	"quiet|--noise 0.05"
	"noisy|--noise 0.20"
	"noisiest|--noise 0.25"
	"shrinking|--noise 0.10 --trend-min -0.08 --trend-max 0.02"
	"dips|--noise 0.10 --dip 0.10 --dip-min 1 --dip-max 4"
	"fast_churn|--noise 0.10 --churn-min 8 --churn-max 14"
	"slow_churn|--noise 0.10 --churn-min 20 --churn-max 30"
	"from_2019|--noise 0.15 --start-year 2019"
	"from_2021|--noise 0.15 --start-year 2021 --trend-min -0.08"
	"from_2024|--noise 0.15 --start-year 2024 --dip-max 4"
)

load() {
	local db=$1; shift
	createdb "$db" || exit 1
	psql -qX -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION bankcrm' \
		-c 'CREATE TABLE ev_act (setting text, party_id integer, week date, loan float8, txn float8, cnt integer)' \
		-c 'CREATE TABLE ev_truth (setting text, party_id integer, kind text, trend float8, decline_start date, exit_week date)' || exit 1
	local s name opts seed
	for s in "${settings[@]}"; do
		name=${s%%|*}
		opts=${s#*|}
		for seed in "$@"; do
			# shellcheck disable=SC2086
			python3 test/bench/churn_gen.py --setting "$name/$seed" --seed "$seed" --parties "$parties" $opts >"$tmp/gen.csv"
			grep '^A,' "$tmp/gen.csv" | cut -d, -f2- | psql -qX -d "$db" -c "\\copy ev_act FROM STDIN CSV"
			grep '^T,' "$tmp/gen.csv" | cut -d, -f2- | psql -qX -d "$db" -c "\\copy ev_truth FROM STDIN CSV"
		done
	done
	psql -qX -d "$db" -c 'ANALYZE' -f test/bench/churn_eval.sql >/dev/null || exit 1
}

echo "loading: ${#settings[@]} settings x 2 seeds x $parties parties, twice"
load ev_tune 1 2
load ev_holdout 101 102

# candidates: the policy's columns changed from the defaults
cand_file=${CANDIDATES:-}
candidates=("defaults|")
if [ -n "$cand_file" ]; then
	while IFS= read -r line; do [ -n "$line" ] && candidates+=("$line"); done <"$cand_file"
fi

figures() {
	local db=$1 set=$2
	psql -qX -d "$db" -v ON_ERROR_STOP=1 <<SQL
BEGIN;
CREATE TEMP TABLE cand AS SELECT * FROM bankcrm.churn_policy WHERE false;
INSERT INTO cand (policy_id, name) VALUES (1, 'cand');
${set:+UPDATE cand SET $set;}
SELECT ev_alerts(c::text::bankcrm.churn_policy) FROM cand c;
COMMIT;
SQL
}

echo
echo "## tuning set (seeds 1, 2): candidates, across all settings"
echo
echo "| candidate | worst recall % | median lead, mean (min) | p10 lead, min | false alarms per quarter %, mean | worst quarter % | worst first-year quarter % | dip parties ever alerted % | shrinking > 4 %/year ever alerted % |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in "${candidates[@]}"; do
	name=${c%%|*}
	set=${c#*|}
	figures ev_tune "$set" >/dev/null || exit 1
	psql -qXAt -d ev_tune -F ' | ' -c "SELECT '| $name', min(recall), round(avg(median_lead), 1) || ' (' || min(median_lead) || ')',
	       min(p10_lead), round(avg(mean_quarter_pct), 2), max(worst_quarter_pct), max(first_year_worst_pct),
	       round(avg(dip_alerted_pct), 1), round(avg(shrinking_alerted_pct), 1) || ' |' FROM ev_figures('ev_alert')"
done

echo
echo "## held-out set (seeds 101, 102), per setting and seed: ${CHOSEN:-defaults} against the naive rule"
echo
chosen_set=""
for c in "${candidates[@]}"; do [ "${c%%|*}" = "${CHOSEN:-defaults}" ] && chosen_set=${c#*|}; done
figures ev_holdout "$chosen_set" >/dev/null || exit 1
psql -qX -d ev_holdout -P format=aligned -c "SET client_min_messages = warning" -c "
SELECT b.setting, b.churners, b.recall, b.median_lead AS lead, b.p10_lead AS lead_p10,
       b.mean_quarter_pct AS fa_mean, b.worst_quarter_pct AS fa_worst, b.first_year_worst_pct AS fa_first_year,
       b.shrinking_alerted_pct AS shrinking_ever, b.dip_alerted_pct AS dip_ever,
       n.recall AS naive_recall, n.mean_quarter_pct AS naive_fa_mean, n.worst_quarter_pct AS naive_fa_worst
  FROM ev_figures('ev_alert') b JOIN ev_figures('ev_naive') n USING (setting)
 ORDER BY 1"
psql -qX -d ev_holdout -c "
SELECT 'all' AS setting, min(recall) AS worst_recall, min(median_lead) AS min_lead, round(avg(mean_quarter_pct), 2) AS fa_mean,
       max(worst_quarter_pct) AS fa_worst, max(first_year_worst_pct) AS fa_first_year
  FROM ev_figures('ev_alert')"

echo
echo "## churn probability: trained on the tuning seeds, scored on the held-out seeds"
echo
psql -qX -d ev_tune -v stage=load -f test/bench/churn_model_eval.sql >/dev/null || exit 1
psql -qX -d ev_tune -v stage=train -f test/bench/churn_model_eval.sql || exit 1
coef=$(psql -qXAt -d ev_tune -c "SELECT coef FROM bankcrm.churn_model WHERE name = 'eval' ORDER BY version DESC LIMIT 1")
psql -qX -d ev_tune -c "SELECT f AS feature, round(c::numeric, 4) AS coefficient
  FROM bankcrm.churn_model m, unnest(ARRAY['intercept'] || m.features, m.coef) u(f, c) WHERE m.name = 'eval'"
psql -qX -d ev_holdout -v stage=load -f test/bench/churn_model_eval.sql >/dev/null || exit 1
psql -qX -d ev_holdout -v stage=score -v coef="$coef" -f test/bench/churn_model_eval.sql || exit 1
