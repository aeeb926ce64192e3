# test/t/022_dialer_wake.pl: a committed enqueue wakes the dialer worker
# (src/dialer/wake.c): with the poll interval at 20 s an attempt queued due
# now is dialed within a second or two; queued with the wake-up triggers off
# (session_replication_role = replica) it waits for the poll.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER), which
# preloads bankcrm (the wake-up needs its shared memory).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;

my $db = 'bankcrm_dialer_wake';
my $dir = tempdir(CLEANUP => 1);
my $sim = start_sim("$dir/ami.log", '--port', '0', '--ring-ms', '0', '--talk-ms', '0');
END
{
	stop_sim($sim) if $sim;
	psql('postgres', q{ALTER SYSTEM RESET bankcrm.dialer_poll_interval});
	psql('postgres', q{SELECT pg_reload_conf()});
}

setup_db($db, $sim->{port}, 10);
psql('postgres', q{ALTER SYSTEM SET bankcrm.dialer_poll_interval = '20s'});
psql('postgres', q{SELECT pg_reload_conf()});
ok(poll_until($db, q{SHOW bankcrm.dialer_poll_interval}, '20s', 10), 'the worker polls every 20 s');
like(psql($db, 'SELECT bankcrm.dialer_launch(1)'), qr/^\d+$/, 'dialer_launch');
# 'ready' is recorded after its first look for work (the loop claims due
# attempts, then records its state): the next poll is 20 s away
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 20), 'connected');

psql($db, q{SELECT bankcrm.dialer_queue(1, 1, now(), t_lead(1, 1))});
ok(poll_until($db, q{SELECT sent_at IS NOT NULL FROM bankcrm.call_attempt WHERE party_id = 1}, 't', 5),
	'an attempt queued due now is sent at once: the commit woke the worker');
is(psql($db, q{SELECT sent_at - due_at < interval '2 seconds' FROM bankcrm.call_attempt WHERE party_id = 1}), 't',
	'within 2 s of being due');

# the same with the triggers off in the queuing session: it waits for the poll
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 1}, 'done', 10), 'the first is done');
my $lead2 = psql($db, q{SELECT t_lead(1, 2)});
my $lead3 = psql($db, q{SELECT t_lead(1, 3)});
psql($db, qq{SET session_replication_role = replica; SELECT bankcrm.dialer_queue(1, 2, now(), $lead2)});
quiet_for(3, 'no wake-up: the worker sleeps through its 20 s poll interval');
is(psql($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 2}), 'queued',
	'without the wake-up it is still queued 3 s later');

# agents made ready wake it too: campaign 1 without ready agents, then two
psql($db, q{UPDATE bankcrm.dialer_agent SET state = 'offline'});
psql($db, qq{SET session_replication_role = replica; SELECT bankcrm.dialer_queue(1, 3, now(), $lead3)});
quiet_for(1, 'woken by the agents going offline, the worker finds none ready and dials nothing');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id IN (2, 3) AND state = 'queued'}), '2',
	'with no agent ready both wait');
psql($db, q{UPDATE bankcrm.dialer_agent SET state = 'ready' WHERE staff_id IN (1, 2)});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id IN (2, 3) AND sent_at IS NOT NULL}, '2', 5),
	'agents made ready wake it: both waiting attempts are sent');

is(psql($db, q{SELECT has_function_privilege('public', 'bankcrm.dialer_wake()', 'EXECUTE')}), 'f',
	'dialer_wake() is not executable by PUBLIC');
is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop');
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
