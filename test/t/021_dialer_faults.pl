# test/t/021_dialer_faults.pl: the dialer worker when things go wrong: the
# PBX down at start (backoff, then connect), a wrong secret, garbage on the
# wire, the connection dropped mid-call (outcome recovered from the PBX's
# channels), a PBX restart that forgets its calls (outcome unknown), and the
# worker killed with SIGKILL mid-batch (the server recovers, the restarted
# worker reconciles, nothing is dialed twice).
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;

my $db = 'bankcrm_dialer_faults';
my $dir = tempdir(CLEANUP => 1);
my $log = "$dir/ami.log";
my $port = free_port();
my $sim;
END { stop_sim($sim) if $sim; }

setup_db($db, $port, 260);

# the PBX is down: the worker backs off and says why
my $pid = psql($db, 'SELECT bankcrm.dialer_launch(1)');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'backoff', 10), 'PBX down: backoff');
like(psql($db, 'SELECT last_error FROM bankcrm.dialer_status'),
	qr/^could not connect to 127\.0\.0\.1:\d+: Connection refused$/, 'last_error says why');
quiet_for(2, 'the worker backs off against a PBX that is down: its tries are counted over 2 s');
my $reconnects = psql($db, 'SELECT reconnects FROM bankcrm.dialer_status');
ok($reconnects >= 2 && $reconnects <= 6, "exponential backoff, no tight loop ($reconnects attempts in about 2 s)");

# the PBX comes up: logged in
$sim = start_sim($log, '--port', $port, '--ring-ms', '20', '--talk-ms', '60');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'PBX up: connected');
is(psql($db, q{SELECT coalesce(last_error, '<none>') || ' ' || (last_error_at IS NULL)::text FROM bankcrm.dialer_status}), '<none> true',
	'the connection error is cleared once logged in');

# wrong secret: a clear error, then backoff; right secret: connected again
psql($db, q{UPDATE bankcrm.pbx SET secret = 'wrong-secret'});
ok(poll_until($db, q{SELECT last_error FROM bankcrm.dialer_status},
		'authentication failed for user "crm": Authentication failed', 15), 'wrong secret: authentication failed');
like(ctl($sim, 'stats'), qr/"login_failures": [1-9]/, 'the PBX saw the failed logins');
psql($db, q{UPDATE bankcrm.pbx SET secret = 'crmsecret'});
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'right secret: connected');
is(psql($db, q{SELECT coalesce(last_error, '<none>') FROM bankcrm.dialer_status}), '<none>', 'and the login error with it');
is(sim_log_count($log, qr/wrong-secret|crmsecret/), 0, 'no secret in the PBX traffic');
my $server_log = `cat $ENV{PGHOST}/server.log 2>/dev/null`;
unlike($server_log, qr/wrong-secret|crmsecret/, 'no secret in the server log');

# garbage on the wire: protocol error, reconnect
like(ctl($sim, 'garbage'), qr/^OK/, 'garbage injected');
ok(poll_until($db, q{SELECT last_error LIKE 'protocol error: %' FROM bankcrm.dialer_status}, 't', 10),
	'garbage: protocol error recorded');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'and connected again');

# connection dropped mid-call: the call is still up on the PBX, its Hangup
# comes on the new connection
like(ctl($sim, 'outcome 13800000011 answer 0 2500'), qr/^OK/, 'a long call scripted');
psql($db, q{SELECT bankcrm.dialer_queue(1, 11, now(), t_lead(1, 11))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 11}, 'dialing', 10), 'call in progress');
ok(sim_answered($log, psql($db, q{SELECT attempt_id FROM bankcrm.call_attempt WHERE party_id = 11})), 'answered on the PBX');
like(ctl($sim, 'drop'), qr/^OK/, 'connection dropped mid-call');
ok(poll_until($db, q{SELECT state || ':' || outcome FROM bankcrm.call_attempt WHERE party_id = 11}, 'done:answered', 30),
	'outcome recovered after the reconnect');
is(psql($db, q{SELECT hangup_cause FROM bankcrm.call_attempt WHERE party_id = 11}), '16', 'from the hangup seen on the new link');

# PBX restart mid-call: the PBX forgets the call; the attempt is reconciled
like(ctl($sim, 'outcome 13800000013 noanswer'), qr/^OK/, 'a ringing call scripted');
psql($db, q{UPDATE bankcrm.dial_settings SET dial_timeout_ms = 5000 WHERE campaign_id = 1;
SELECT bankcrm.dialer_queue(1, 13, now(), t_lead(1, 13))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 13}, 'dialing', 10), 'call placed');
ok(sim_has_call($sim, '13800000013'), 'and ringing on the PBX');
like(ctl($sim, 'restart 300'), qr/^OK/, 'PBX restarted');
ok(poll_until($db, q{SELECT state || ':' || outcome FROM bankcrm.call_attempt WHERE party_id = 13}, 'done:unknown', 30),
	'the forgotten call is marked unknown');
like(psql($db, q{SELECT detail FROM bankcrm.call_attempt WHERE party_id = 13}), qr/no trace of the call on the PBX/,
	'with the reason');
psql($db, q{UPDATE bankcrm.dial_settings SET dial_timeout_ms = 1000 WHERE campaign_id = 1});

# SIGKILL mid-batch: 200 calls at 100 a second, 40 at a time
psql($db, q{
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id) SELECT s, 'Agent ' || s, 'agent', 1 FROM generate_series(9, 48) s;
INSERT INTO bankcrm.dialer_agent (staff_id, campaign_id, extension, state) SELECT s, 1, (3000 + s)::text, 'ready' FROM generate_series(9, 48) s;
UPDATE bankcrm.pbx SET max_cps = 100, max_channels = 40;
UPDATE bankcrm.dial_settings SET max_concurrent = 40 WHERE campaign_id = 1;
SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(51, 250) g});
ok(poll_until($db, q{SELECT count(*) >= 30 FROM bankcrm.call_attempt WHERE party_id > 50 AND state <> 'queued'}, 't', 20),
	'the batch is under way');
$pid = psql($db, 'SELECT bankcrm.dialer_pid(1)');
kill 'KILL', $pid;
ok(1, "worker $pid killed with SIGKILL");
# the postmaster resets every backend; wait for the server and the worker
poll_until($db, 'SELECT 1', '1', 60);
ok(poll_until($db, q{SELECT bankcrm.dialer_pid(1) IS NOT NULL}, 't', 30), 'the server recovered and restarted the worker');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id > 50 AND state IN ('queued', 'dialing')}, '0', 60),
	'every attempt of the batch finished');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id > 50 AND state = 'done'}), '200', 'all 200 recorded');
my $orig = originates_per_attempt($log);
my @twice = grep { $orig->{$_} > 1 } keys %$orig;
is(scalar(@twice), 0, 'nothing was dialed twice') or diag("dialed twice: @twice");
is( psql(
		$db, q{SELECT count(*) FROM bankcrm.call_attempt a WHERE a.party_id > 50 AND a.state = 'done' AND a.contact_id IS NULL}),
	'0', 'every finished attempt has its contact row');
is(psql($db, q{SELECT count(*) FROM bankcrm.contact WHERE party_id > 50}), '200', 'and exactly one');

# dialer_stop as bankcrm_admin, the role it is granted to (the worker runs as superuser)
is(psql($db, 'SET ROLE bankcrm_admin; SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop as bankcrm_admin');
ok(poll_until($db, q{SELECT bankcrm.dialer_pid(1) IS NULL}, 't', 10), 'the worker is gone');
is(psql($db, 'SET ROLE bankcrm_admin; SELECT bankcrm.dialer_stop(1)'), 'f', 'and a second stop finds none');
stop_sim($sim);
$sim = undef;
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
