# test/t/022_planted_code.pl: no code planted in public is ever run by the
# workers.  A role with CREATE on public (the default before PostgreSQL 15)
# plants look-alike operators and functions (test/dialer/planted.sql: every
# pg_catalog binary operator over the common types and every overload of
# the functions the workers' SQL names, each with one argument moved to a
# closer type, logging to public.planted_log when called).  A control query
# with the default search_path proves the plants are reachable; then the
# dialer places calls, is killed with SIGKILL with calls in flight (its
# successor loads them), loses its PBX link mid-call, and the churn monitor
# evaluates a batch: the log stays empty.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;

my $db = 'bankcrm_planted';
my $dir = tempdir(CLEANUP => 1);
my $log = "$dir/ami.log";
my $port = free_port();
my $sim;
END
{
	stop_sim($sim) if $sim;
	delete $ENV{PGOPTIONS};
	system('psql', '-X', '-q', '-d', 'postgres', '-c', 'ALTER SYSTEM RESET bankcrm.churn_databases', '-c',
		'SELECT pg_reload_conf()');
}

setup_db($db, $port, 40);
$sim = start_sim($log, '--port', $port, '--ring-ms', '20', '--talk-ms', '60');

# the names the workers' SQL calls, read from their sources
my %names;
for my $file (glob('src/dialer/*.c'), 'src/churn/churn_worker.c', 'src/churn/churn_monitor.c')
{
	open(my $fh, '<', $file) or die "$file: $!";
	while (my $line = <$fh>)
	{
		next unless $line =~ /"/;
		$names{$1} = 1 while $line =~ /\b([a-z_][a-z0-9_]*)\s*\(/g;
	}
	close($fh);
}
my $names = join(',', sort keys %names);

# a rank-and-file role with CREATE on public plants its code
psql($db, q{
CREATE TABLE public.planted_log (what text, by_role name, app text, at timestamptz DEFAULT clock_timestamp());
GRANT SELECT, INSERT ON public.planted_log TO PUBLIC;
CREATE ROLE bankcrm_planter IN ROLE bankcrm_rm;
GRANT CREATE ON SCHEMA public TO bankcrm_planter});
{
	local $ENV{PGOPTIONS} = '-c role=bankcrm_planter';
	my $out = `psql -X -q -d $db -v names=$names -f test/dialer/planted.sql 2>&1`;
	is($?, 0, 'the plants are in place') or diag($out);
	my ($nops, $nfuncs) = $out =~ /planted (\d+) operators and (\d+) functions/;
	cmp_ok($nops, '>', 300, "$nops look-alike operators");
	cmp_ok($nfuncs, '>', 5, "$nfuncs look-alike functions");
}
psql($db, 'TRUNCATE public.planted_log');

# control: the dialer's own query of attempts in flight, as it read before
# search_path was pinned, calls the plants in a session that reaches public
psql($db, q{INSERT INTO bankcrm.call_attempt (campaign_id, party_id, phone, pbx_id, mode, state, dialed_at)
	VALUES (1, 40, '+8613800000040', 1, 'progressive', 'cancelled', now());
SELECT a.attempt_id, a.dialed_at + make_interval(secs => (s.dial_timeout_ms / 1000.0) + 5)
  FROM bankcrm.call_attempt a JOIN bankcrm.dial_settings s USING (campaign_id)});
like(psql($db, q{SELECT string_agg(DISTINCT what, '; ') FROM public.planted_log}),
	qr/^(?=.*operator \/\(integer, numeric\))(?=.*function make_interval\(.*secs numeric)/, 'control: with public on the search_path the plants are called');
psql($db, 'TRUNCATE public.planted_log');

# from here on the test's own sessions never reach public
$ENV{PGOPTIONS} = '-c search_path=pg_catalog,pg_temp';

# calls
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), public.t_lead(1, g)) FROM generate_series(1, 10) g});
psql($db, 'SELECT bankcrm.dialer_launch(1)');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id <= 10 AND state = 'done'}, '10', 30),
	'ten calls placed and recorded');

# SIGKILL with calls in flight: the successor loads them and reconciles
for my $p (11 .. 14)
{
	like(ctl($sim, sprintf('outcome 138%08d answer 0 3000', $p)), qr/^OK/, "party $p: a long call");
}
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), public.t_lead(1, g)) FROM generate_series(11, 14) g});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN 11 AND 14 AND state = 'dialing'}, '4', 20),
	'four calls in flight');
my $pid = psql($db, 'SELECT bankcrm.dialer_pid(1)');
kill 'KILL', $pid;
poll_until($db, 'SELECT 1', '1', 60);
ok(poll_until($db, q{SELECT bankcrm.dialer_pid(1) IS NOT NULL}, 't', 30), 'worker killed; the server restarted it');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN 11 AND 14 AND state = 'done'}, '4', 60),
	'the calls it left in flight were reconciled');

# the PBX link dropped mid-call
like(ctl($sim, 'outcome 13800000015 answer 0 2500'), qr/^OK/, 'party 15: a long call');
psql($db, q{SELECT bankcrm.dialer_queue(1, 15, now(), public.t_lead(1, 15))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 15}, 'dialing', 20), 'call in flight');
ok(sim_answered($log, psql($db, q{SELECT attempt_id FROM bankcrm.call_attempt WHERE party_id = 15})), 'answered on the PBX');
like(ctl($sim, 'drop'), qr/^OK/, 'PBX link dropped');
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 15}, 'done', 30), 'recorded after the reconnect');

# a churn monitor batch (warm-up included)
psql('postgres', "ALTER SYSTEM SET bankcrm.churn_databases = '$db'");
psql('postgres', 'SELECT pg_reload_conf()');
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'", '1', 30),
	'the churn monitor serves the database');
psql($db, q{INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume)
SELECT p, '2026-04-06'::date + 7 * i, CASE WHEN i >= 8 THEN 60 ELSE 100 END FROM generate_series(20, 25) p, generate_series(0, 9) i});
ok(poll_until($db, 'SELECT count(*) FROM bankcrm_churn.churn_dirty', '0', 30), 'the monitor evaluated the batch');

my $calls = psql($db, q{SELECT count(*) FROM public.planted_log});
is($calls, '0', 'no planted operator or function was ever called')
  or diag(psql($db, q{SELECT string_agg(DISTINCT what || ' by ' || by_role || ' (' || app || ')', E'\n') FROM public.planted_log}));

is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer stopped');
psql('postgres', 'ALTER SYSTEM RESET bankcrm.churn_databases');
psql('postgres', 'SELECT pg_reload_conf()');
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm churn monitor' AND datname = '$db'", '0', 30),
	'the churn monitor left the database');
stop_sim($sim);
$sim = undef;
delete $ENV{PGOPTIONS};
drop_db($db) unless $ENV{DIALER_KEEP};
psql('postgres', 'DROP ROLE bankcrm_planter');
done_testing();
