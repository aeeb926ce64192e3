# test/t/010_churn_worker.pl: the churn monitor background worker.
#
# Runs against the cluster test/run started (shared_preload_libraries =
# bankcrm).  Creates its own database, points bankcrm.churn_databases at it
# and proves: the monitor shows in pg_stat_activity; a declining series
# raises an alert without churn_scan (woken by the insert, not by its
# interval); NOTIFY bankcrm_churn carries the JSON payload; a monitor killed
# mid-batch loses no mark and raises no duplicate; a batch that fails is
# logged and retried, the monitor neither exits nor restarts; two callers of
# churn_process_dirty never take the same mark; bankcrm.churn_monitor = off
# stops it on reload.  Restores the settings and drops the database.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use BankcrmTest;

my $db = 'bankcrm_churn_tap';

my $monitor_sql = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'";

sub cleanup
{
	psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_databases');
	psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_interval');
	psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_monitor');
	reload();
}

psql('postgres', "DROP DATABASE IF EXISTS $db");
psql('postgres', "CREATE DATABASE $db");
psql($db, 'CREATE EXTENSION bankcrm');
psql($db, q{
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-BJ', 'Beijing', 'Beijing');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (1, 'BJ01', 'Beijing Main', 'CN-BJ');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (1, 1, 'Corporate 1');
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id) VALUES
	(1, 'Manager Wang', 'branch_manager', 1, NULL), (2, 'RM Li', 'rm', 1, 1);
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id)
	SELECT i, 'corporate', 'Company ' || i, 'CN-BJ', 'active', 1 FROM generate_series(1, 15) i;
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) SELECT i, 2, 'primary_rm', '2020-01-01' FROM generate_series(1, 15) i;
INSERT INTO bankcrm.churn_policy (name, trailing_weeks, min_history_weeks, confirm_weeks, cusum_h, z_clip, first_year_cusum_h) VALUES ('short', 4, 4, 2, 5, 4, 5);
});

# a long interval: an alert within seconds proves the insert woke the monitor
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_databases = '$db'");
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_interval = '10min'");
reload();
ok(poll_until('postgres', $monitor_sql, '1'), 'the monitor starts for the listed database');
is(psql('postgres', "SELECT application_name || '/' || coalesce(wait_event_type, '') FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'"),
	'bankcrm churn monitor/Extension', 'pg_stat_activity shows it waiting on its latch');
is(psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn launcher'"), '1',
	'the launcher runs');

# ten weeks: eight at 100, then two at 60
my $series = sub {
	my ($party) = @_;
	return "INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) "
	  . "SELECT $party, '2026-04-06'::date + 7 * i, CASE WHEN i >= 8 THEN 60 ELSE 100 END FROM generate_series(0, 9) i";
};

my $t0 = time();
psql($db, $series->(1));
ok(poll_until($db, "SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 1", '1', 20),
	'a declining series raises an alert without churn_scan');
my $elapsed = time() - $t0;
cmp_ok($elapsed, '<', 20, sprintf('within seconds of the insert (%.1f s) though the interval is 10 min', $elapsed));
is(psql($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty'), '0', 'the mark is gone');
is(psql($db, "SELECT severity || ' ' || rule || ' ' || rm_id || ' ' || branch_manager_id FROM bankcrm.churn_alert WHERE party_id = 1"),
	'watch drift+week_drop 2 1', 'the alert has its severity, rule and task force');

# NOTIFY bankcrm_churn: listen, insert, wait
my $listen = join(' ', map { "-c 'SELECT pg_sleep(0.5)'" } 1 .. 6);
my $notify_out = `psql -X -q -A -t -d $db -c 'LISTEN bankcrm_churn' -c "@{[ $series->(3) ]}" $listen 2>&1`;
like($notify_out, qr/Asynchronous notification "bankcrm_churn" with payload "\{"alert_id" : \d+, "party_id" : 3, "metric" : "txn_volume", "severity" : "watch", "event" : "raised"\}"/,
	'NOTIFY bankcrm_churn carries alert id, party id and severity as JSON');

# kill the monitor mid-batch: a session holds a lock the batch needs
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_interval = 1");
reload();
my $holder = fork();
if ($holder == 0)
{
	open(STDOUT, '>', '/dev/null');
	open(STDERR, '>', '/dev/null');
	exec('psql', '-X', '-q', '-d', $db, '-c',
		"BEGIN; LOCK TABLE bankcrm.churn_alert IN SHARE ROW EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;")
	  or die "exec psql: $!";
}
ok(poll_until($db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'churn_alert' AND l.mode = 'ShareRowExclusiveLock' AND l.granted", '1'),
	'a session holds a lock on churn_alert');
psql($db, $series->(2));
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db' AND wait_event_type = 'Lock'", '1'),
	'the monitor is blocked mid-batch, its marks taken');
my $pid = psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'");
is(psql('postgres', "SELECT pg_terminate_backend($pid)"), 't', 'the monitor is killed');
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'), 'it is gone');
is(psql($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty WHERE party_id = 2'), '1', 'no mark was lost');
is(psql($db, 'SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 2'), '0', 'and no alert of the killed batch survived');
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db' AND pid <> $pid", '1'),
	'the launcher restarts the monitor');
psql('postgres', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()");
waitpid($holder, 0);
ok(poll_until($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty', '0'), 'the restarted monitor takes the mark');
is(psql($db, "SELECT count(*) || ' ' || count(DISTINCT (party_id, metric)) FROM bankcrm.churn_alert WHERE party_id = 2"),
	'1 1', 'one alert, raised once');
is(psql($db, "SELECT count(*) FROM bankcrm.churn_alert_history WHERE party_id = 2 AND event = 'raised'"), '1',
	'its history says raised once');

# a batch that fails: the monitor logs it, keeps the mark, stays the same
# process, and succeeds once the cause is gone
my $mon = psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'");
psql($db, 'ALTER TABLE bankcrm.churn_alert ADD CONSTRAINT tap_refuse_5 CHECK (party_id <> 5)');
my $off = log_offset();
psql($db, $series->(5));
ok(wait_for_log(qr/churn monitor could not [^\n]*tap_refuse_5/, $off), 'the failed batch is logged with its cause');
is(psql($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty WHERE party_id = 5'), '1', 'a failing batch keeps its mark');
is(psql('postgres', "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'"),
	$mon, 'the monitor neither exits nor is restarted');
psql($db, 'ALTER TABLE bankcrm.churn_alert DROP CONSTRAINT tap_refuse_5');
ok(poll_until($db, 'SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 5', '1', 60),
	'once the cause is gone the next try raises the alert');
is(psql('postgres', "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'"),
	$mon, 'still the same monitor');

# SIGHUP: switched off, the monitor stops; on again, it returns
psql('postgres', 'ALTER SYSTEM SET bankcrm.churn_monitor = off');
reload();
ok(poll_until('postgres', $monitor_sql, '0'), 'bankcrm.churn_monitor = off stops the monitor on reload');
psql($db, $series->(4));
is(psql($db, "SELECT count(*) FROM bankcrm_churn.churn_dirty WHERE party_id = 4"), '1', 'marks wait while it is off');
is(psql('postgres', $monitor_sql), '0', 'with no monitor to take them');

# two callers at once: the second skips the marks the first holds
psql($db, "INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) "
	  . "SELECT p, '2026-04-06'::date + 7 * i, CASE WHEN i >= 8 THEN 60 ELSE 100 END "
	  . "FROM generate_series(6, 15) p, generate_series(0, 9) i");
my $first = fork();
if ($first == 0)
{
	my $out = `psql -X -q -A -t -d $db -c "BEGIN" -c "SELECT bankcrm.churn_process_dirty(3)" -c "SELECT pg_sleep(3)" -c "COMMIT" 2>&1`;
	exit($out =~ /^3$/m ? 0 : 1);
}
ok(poll_until($db, "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND query = 'SELECT pg_sleep(3)'", '1'),
	'a first caller holds three marks');
is(psql($db, 'SELECT bankcrm.churn_process_dirty(100)'), '8', 'a second caller takes the other eight');
waitpid($first, 0);
is($?, 0, 'the first took three');
is(psql($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty'), '0', 'no mark is left');
is(psql($db, "SELECT count(*) || ' ' || count(DISTINCT party_id) FROM bankcrm.churn_alert_history WHERE party_id BETWEEN 6 AND 15 AND event = 'raised'"),
	'10 10', 'each party raised once');
psql($db, 'DELETE FROM bankcrm.activity_weekly WHERE party_id >= 6');
psql($db, 'DELETE FROM bankcrm_churn.churn_dirty WHERE party_id >= 6');
psql('postgres', 'ALTER SYSTEM SET bankcrm.churn_monitor = on');
reload();
ok(poll_until('postgres', $monitor_sql, '1'), 'on again, it is back');
ok(poll_until($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty', '0'), 'and catches up');
is(psql($db, 'SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 4'), '1', 'with the alert');

cleanup();
ok(poll_until('postgres', $monitor_sql, '0'), 'with the settings reset the monitor leaves the database');
psql('postgres', "DROP DATABASE $db");
done_testing();
