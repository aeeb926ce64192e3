# test/t/024_worker_lifecycle.pl: the workers recover and say what they do.
# Every worker logs its name when it starts and stops; the churn monitor also
# logs one line when it starts and when it stops serving a
# database; a batch that keeps failing is logged once (not at every try),
# retried with growing pauses in the same process, and its success is
# logged.  The dialer launcher, started with the server before its database
# exists (as in make demo), waits for it instead of failing, and starts the
# autostart PBXs once the database and the extension are there.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER); it
# restarts that cluster twice.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;
use BankcrmTest qw(log_offset log_since wait_for_log);

my $db = 'bankcrm_lifecycle';
my $later = 'bankcrm_lifecycle_later';
my $dir = tempdir(CLEANUP => 1);
my $sim;
END { stop_sim($sim) if $sim; }

my $logfile = "$ENV{PGHOST}/server.log";
sub count_matches { my ($text, $re) = @_; my $n = () = $text =~ /$re/g; return $n; }

sub restart_server
{
	my $datadir = psql('postgres', 'SHOW data_directory');
	my $bindir = `pg_config --bindir`;
	chomp $bindir;
	my @cmd = ("$bindir/pg_ctl", '-D', $datadir, '-w', '-t', '60', '-l', $logfile, 'restart');
	@cmd = ('runuser', '-u', 'postgres', '--', @cmd) if $> == 0;
	system(join(' ', map { "'$_'" } @cmd) . ' >/dev/null 2>&1') == 0 or die "restart failed";
	poll_until('postgres', 'SELECT 1', '1', 60) or die "the server did not come back";
}

# ---- the churn monitor
drop_db($db);
psql('postgres', "CREATE DATABASE $db");
psql($db, q{CREATE EXTENSION bankcrm;
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-BJ', 'Beijing', 'Beijing');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (1, 'BJ01', 'Beijing Main', 'CN-BJ');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (1, 1, 'Corporate 1');
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id) VALUES
	(1, 'Manager Wang', 'branch_manager', 1, NULL), (2, 'RM Li', 'rm', 1, 1);
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id)
	SELECT i, 'corporate', 'Company ' || i, 'CN-BJ', 'active', 1 FROM generate_series(1, 6) i;
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) SELECT i, 2, 'primary_rm', '2020-01-01' FROM generate_series(1, 6) i;
INSERT INTO bankcrm.churn_policy (name, trailing_weeks, min_history_weeks, confirm_weeks) VALUES ('short', 4, 4, 2);
CREATE SEQUENCE public.tap_tries;
CREATE FUNCTION public.tap_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.nextval('public.tap_tries');
	RAISE EXCEPTION 'tap: alerts of party 5 refused';
END $$;
CREATE TRIGGER tap_refuse BEFORE INSERT ON bankcrm.churn_alert FOR EACH ROW WHEN (NEW.party_id = 5)
	EXECUTE FUNCTION public.tap_refuse()});
my $series = sub {
	my ($party) = @_;
	return "INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) "
	  . "SELECT $party, '2026-04-06'::date + 7 * i, CASE WHEN i >= 8 THEN 60 ELSE 100 END FROM generate_series(0, 9) i";
};
my $off = log_offset();
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_databases = '$db'");
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_interval = 1");
psql('postgres', 'SELECT pg_reload_conf()');
my $monitor_sql = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'";
ok(poll_until('postgres', $monitor_sql, '1', 30), 'the monitor serves the database');
ok(poll_until('postgres', "SELECT 1", '1', 1) && log_since($off) =~ /churn monitor started serving database "$db"/,
	'and said so, once');
my $mon = psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'");

$off = log_offset();
psql($db, $series->(5));
ok(poll_until($db, q{SELECT last_value >= 3 FROM public.tap_tries}, 't', 30), 'a failing batch is tried again and again');
my $text = log_since($off);
is(count_matches($text, qr/WARNING:  churn monitor could not evaluate a batch of churn marks: tap: alerts of party 5 refused/), 1,
	'it is logged once, not at every try');
is(psql('postgres', "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'"),
	$mon, 'by the same monitor, which neither exits nor restarts');
psql($db, 'DROP TRIGGER tap_refuse ON bankcrm.churn_alert');
ok(poll_until($db, 'SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 5', '1', 60), 'once the cause is gone the alert is raised');
like(log_since($off), qr/churn monitor: batches succeed again after \d+ failed tries/, 'and the recovery is logged');

$off = log_offset();
psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_databases');
psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_interval');
psql('postgres', 'SELECT pg_reload_conf()');
ok(poll_until('postgres', $monitor_sql, '0', 30), 'taken off the list, the monitor stops');
ok(wait_for_log(qr/churn monitor stopped serving database "$db"/, $off, 20), 'and says so');
ok(wait_for_log(qr/LOG:  bankcrm churn monitor for database $db stopped\n/, $off, 20),
	'with the name pg_stat_activity showed, as every worker stops');
drop_db($db);

# ---- the dialer launcher before its database exists
my $port = free_port();
$sim = start_sim("$dir/ami.log", '--port', $port, '--talk-ms', '60');
drop_db($later);
psql('postgres', "ALTER SYSTEM SET bankcrm.database = '$later'");
$off = log_offset();
restart_server();
ok(poll_until('postgres', "SELECT 1", '1', 1), 'server restarted with bankcrm.database naming a database that does not exist');
ok(wait_for_log(qr/bankcrm dialer launcher: database "$later" does not exist yet; waiting for it/, $off, 20),
	'the launcher waits for it');
quiet_for(2, 'the launcher keeps waiting for the database: no FATAL error, no second log line');
psql('postgres', "CREATE DATABASE $later");
psql($later, qq{CREATE EXTENSION bankcrm;
INSERT INTO bankcrm.pbx (pbx_id, name, host, port, username, secret, autostart)
VALUES (1, 'sim', '127.0.0.1', $port, 'crm', 'crmsecret', true)});
ok(poll_until($later, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 90),
	'once the database and its PBX exist, the PBX\'s dialer starts and logs in');
$text = log_since($off);
is(count_matches($text, qr/does not exist yet; waiting for it/), 1, 'the wait was logged once');
unlike($text, qr/FATAL:  database "$later" does not exist/, 'no FATAL error for the missing database');
like($text, qr/bankcrm dialer launcher started 1 dialer workers in database "$later"/, 'the launcher said what it started');
like($text, qr/dialer for PBX 1 \("sim"\) started/, 'and the worker that it serves');
like($text, qr/LOG:  bankcrm dialer launcher started\n/, 'each worker logs its name when it starts');
like($text, qr/LOG:  bankcrm dialer for PBX 1 started\n/, 'the dialer too');

$off = log_offset();
psql($later, 'SELECT bankcrm.dialer_stop(1)');
ok(poll_until($later, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm dialer'}, '0', 30),
	'the dialer stops');
like(log_since($off), qr/LOG:  bankcrm dialer for PBX 1 stopped\n/, 'and logs its name when it does');
psql('postgres', 'ALTER SYSTEM RESET bankcrm.database');
restart_server();
drop_db($later);
stop_sim($sim);
$sim = undef;
done_testing();
