# test/t/023_dialer_recovery.pl: nothing lost, nothing wrong when the PBX or
# the worker fails.  sent_at is in the database as soon as the Originate is
# written, so a worker killed with SIGKILL leaves its successor the start of
# every call; a call lost with a crashed PBX ends no later than the link
# dropped; a PBX shutting down refuses Originates ("Asterisk is shutting
# down") and the refused attempts are dialed again after the restart, never
# recorded as an outcome, while the worker sends nothing until it is back;
# an outcome the database refuses is retried until it is stored.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;
use BankcrmTest qw(log_offset wait_for_log);

my $db = 'bankcrm_dialer_recovery';
my $dir = tempdir(CLEANUP => 1);
my $log = "$dir/ami.log";
my $port = free_port();
my $sim;
END { stop_sim($sim) if $sim; }

setup_db($db, $port, 80);
$sim = start_sim($log, '--port', $port, '--ring-ms', '20', '--talk-ms', '60');
psql($db, 'SELECT bankcrm.dialer_launch(1)');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'connected');

# sent_at: written when the Originate leaves, kept across a worker crash
for my $p (1 .. 5)
{
	like(ctl($sim, sprintf('outcome 138%08d answer 0 3000', $p)), qr/^OK/, "party $p: a 3 s call");
}
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(1, 5) g});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id <= 5 AND state = 'dialing' AND sent_at >= dialed_at}, '5', 20),
	'five calls in flight, each with its sent_at in the database');
my $pid = psql($db, 'SELECT bankcrm.dialer_pid(1)');
kill 'KILL', $pid;
poll_until($db, 'SELECT 1', '1', 60);
ok(poll_until($db, q{SELECT bankcrm.dialer_pid(1) IS NOT NULL}, 't', 30), 'worker killed with SIGKILL and restarted');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id <= 5 AND state = 'done'}, '5', 30),
	'its successor finished them');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id <= 5 AND sent_at IS NOT NULL AND ring_ms IS NOT NULL}),
	'5', 'each keeps the sent_at and ring time of the Originate its predecessor sent');

# a PBX crash mid-call: the call ended no later than the link dropped
like(ctl($sim, 'outcome 13800000006 answer 0 10000'), qr/^OK/, 'party 6: a 10 s call');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'connected again');
psql($db, q{SELECT bankcrm.dialer_queue(1, 6, now(), t_lead(1, 6))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 6}, 'dialing', 20), 'call in flight');
ok(sim_answered($log, psql($db, q{SELECT attempt_id FROM bankcrm.call_attempt WHERE party_id = 6})), 'answered on the PBX');
my $drop = psql($db, q{SELECT clock_timestamp()});
like(ctl($sim, 'restart 2000'), qr/^OK/, 'the PBX crashes and stays down 2 s');
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 6}, 'done', 30), 'reconciled after the restart');
is( psql(
		$db, qq{SELECT outcome, ended_at <= '$drop'::timestamptz + interval '500 ms', talk_ms < 1500
  FROM bankcrm.call_attempt WHERE party_id = 6}), 'answered|t|t',
	'answered, ended when the link dropped, talk time no longer than what was possible');
is(psql($db, q{SELECT duration_s <= 1 FROM bankcrm.contact WHERE party_id = 6}), 't', 'and so is the contact\'s duration');

# a PBX shutting down: refused Originates are dialed again once it is back
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'connected again');
# a new worker reads the pbx row as it starts (a running one rereads it every 5 s)
psql($db, q{UPDATE bankcrm.pbx SET max_cps = 20});
is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'the worker stopped');
ok(poll_until($db, q{SELECT bankcrm.dialer_pid(1) IS NULL}, 't', 30), 'and gone');
like(psql($db, 'SELECT bankcrm.dialer_launch(1)'), qr/^\d+$/, 'a new worker launched, at 20 calls a second');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 30), 'and connected');
like(ctl($sim, 'shutdown 1500 1000'), qr/^OK/, 'the PBX begins a 1.5 s shutdown');
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(10, 49) g});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN 10 AND 49 AND state = 'done'}, '40', 60),
	'all 40 calls done after the restart');
my ($refused) = ctl($sim, 'stats') =~ /"refused_shutting_down": (\d+)/;
ok($refused >= 1 && $refused <= 5, "the worker stopped sending at the first refusal ($refused refused in 1.5 s at 20 calls a second)");
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN 10 AND 49}), '40',
	'the refused attempts were dialed again, not replaced');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN 10 AND 49 AND detail LIKE '%shutting down%'}), '0',
	'no attempt ends with the refusal as its outcome');
my $orig = originates_per_attempt($log);
my $ids = psql($db, q{SELECT string_agg(attempt_id::text, ' ') FROM bankcrm.call_attempt WHERE party_id BETWEEN 10 AND 49});
my @twice = grep { ($orig->{$_} // 0) == 2 } split(/ /, $ids);
my @more = grep { ($orig->{$_} // 0) > 2 || ($orig->{$_} // 0) == 0 } split(/ /, $ids);
is(scalar(@twice), $refused, 'each refused attempt was sent exactly twice');
is(scalar(@more), 0, 'every other one once');
my $server_log = `cat $ENV{PGHOST}/server.log 2>/dev/null`;
like($server_log, qr/dialer for PBX 1: the PBX is shutting down; no new calls until it is back/, 'the pause is logged');

# the database refuses an outcome: kept and retried until it is stored
psql($db, q{ALTER TABLE bankcrm.contact ADD CONSTRAINT tap_refuse_60 CHECK (party_id <> 60)});
my $off = log_offset();
psql($db, q{SELECT bankcrm.dialer_queue(1, 60, now(), t_lead(1, 60))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 60}, 'dialing', 20), 'call placed');
ok(wait_for_log(qr/dialer for PBX 1 could not record call outcomes: .*"tap_refuse_60"/, $off, 20), 'the database refuses its outcome');
quiet_for(3, 'the refused outcome is kept, not stored or dropped, while the cause is there');
is(psql($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 60}), 'dialing', 'its outcome cannot be written');
my $fixed = psql($db, q{SELECT clock_timestamp()});
psql($db, q{ALTER TABLE bankcrm.contact DROP CONSTRAINT tap_refuse_60});
ok(poll_until($db, q{SELECT state || ':' || outcome FROM bankcrm.call_attempt WHERE party_id = 60}, 'done:answered', 20),
	'once the cause is gone the kept outcome is stored');
is(psql($db, qq{SELECT ended_at < '$fixed'::timestamptz - interval '2 s' FROM bankcrm.call_attempt WHERE party_id = 60}), 't',
	'with the time the call really ended');

psql($db, 'SELECT bankcrm.dialer_stop(1)');
stop_sim($sim);
$sim = undef;
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
