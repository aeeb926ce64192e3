# test/pbx/031_dialer_predictive.pl: predictive mode against a real Asterisk
# (the pbx stage of test/run), started privately with doc/dialer.md's
# manager.conf, dialplan, queues.conf and amd.conf: AMD() on answer, the
# verdict in a UserEvent, Queue(bankcrm-2) with the ten agents the worker
# adds as members, abandonment when no member is free (the members paused
# from Asterisk's CLI).  Every abandoned call counted, no agent offered a
# machine, no number dialed twice, the 72-hour rule held; an agent in
# wrap-up out of the queue.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER), with
# ASTERISK_DIR (a folder for the private instance) set by the stage.
use strict;
use warnings;
use Test::More;
use lib 'test/dialer';
use DialerTest;

my $dir = $ENV{ASTERISK_DIR} or plan skip_all => 'ASTERISK_DIR is not set (run it through test/run pbx)';
my $db = 'bankcrm_dialer_pbx_predictive';
my $port = free_port();

sub ast { system('test/pbx/asterisk.sh', @_) == 0 }
sub ast_rx { my $out = `test/pbx/asterisk.sh rx $dir '$_[0]' 2>&1`; return $out; }

# the PBX's log so far (its dialplan logs every step)
sub ast_log
{
	my $text = '';
	for my $f (glob("$dir/log/messages*"))
	{
		open(my $fh, '<', $f) or next;
		local $/;
		$text .= <$fh>;
		close($fh);
	}
	return $text;
}

ok(ast('start', $dir, $port), 'a private Asterisk with the documented dialplan, queues.conf and amd.conf');
END { local $?; system('test/pbx/asterisk.sh', 'stop', $dir) if $dir; }

# numbers +86139...: the dialplan's ...7 says a short hello (a human to AMD),
# ...8 plays a long greeting (a machine); ...2 is busy, ...4 congested
setup_db($db, $port, 200);
psql($db, q{
SET search_path = bankcrm;
UPDATE party_phone SET phone = ('+86139' || lpad(party_id::text, 8, '0'))::phone;
INSERT INTO staff (staff_id, name, role_kind, branch_id) VALUES (9, 'Agent 9', 'agent', 1), (10, 'Agent 10', 'agent', 1);
SELECT public.t_campaign(2, 'predictive');
UPDATE dial_settings SET max_concurrent = 30 WHERE campaign_id = 2;
INSERT INTO dial_retry_rule VALUES (2, 'machine', '2 hours');
UPDATE dialer_agent SET campaign_id = 2;
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state) VALUES (9, 2, '2009', 'ready'), (10, 2, '2010', 'ready');
UPDATE pbx SET max_cps = 20;
});
psql($db, q{SELECT count(bankcrm.dialer_queue(2, g, now(), t_lead(2, g))) FROM generate_series(1, 160) g WHERE g % 10 IN (2, 4, 7, 8)});
my $n = psql($db, q{SELECT count(*) FROM bankcrm.call_attempt});
is($n, 64, '64 predictive attempts: 16 humans, 16 machines, 16 busy, 16 congested');
like(psql($db, 'SELECT bankcrm.dialer_launch(1)'), qr/^\d+$/, 'dialer_launch');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state = 'done' AND attempt_no = 1}, $n, 240),
	'every attempt done');
my $q = ast_rx('queue show bankcrm-2');
is(scalar(() = $q =~ /Local\/20\d\d\@crm-agent/g), 10, 'the queue has the ten agents as members')
  or diag($q);

is(psql($db, q{
SELECT string_agg(DISTINCT right(phone::text, 1) || ':' || outcome || coalesce(':' || amd_status, ''), ' ')
  FROM bankcrm.call_attempt WHERE attempt_no = 1}),
	'2:busy 4:congestion 7:answered:HUMAN 8:machine:MACHINE', 'outcomes and verdicts as the dialplan scripted them')
  or diag(psql($db, q{SELECT string_agg(format('%s:%s:%s:%s', party_id, outcome, amd_status, amd_cause), ' ') FROM bankcrm.call_attempt}));
like(psql($db, q{SELECT string_agg(DISTINCT amd_cause, ',') FROM bankcrm.call_attempt WHERE amd_status = 'MACHINE'}),
	qr/^LONGGREETING-/, 'the machines were recognised by their long greeting (AMDCAUSE)');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE amd_status = 'MACHINE' AND (staff_id IS NOT NULL OR connected_at IS NOT NULL)}),
	'0', 'no agent offered a machine');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE outcome = 'answered' AND staff_id BETWEEN 1 AND 10 AND connected_at IS NOT NULL}),
	'16', 'every human taken by an agent of the queue (AgentConnect: MemberName = staff id)');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE outcome = 'machine' AND attempt_no = 1}), '16', 'sixteen machines');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE attempt_no = 2 AND mode = 'predictive' AND state = 'queued'}), '16',
	'each machine queued again by its own rule');

# no member free: the members paused from the CLI; live answers are abandoned
ast_rx("queue pause member Local/20$_\@crm-agent queue bankcrm-2") for ('01' .. '10');
psql($db, q{SELECT count(bankcrm.dialer_queue(2, g, now(), t_lead(2, g))) FROM generate_series(161, 200) g WHERE g % 10 = 7});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id > 160 AND state = 'done'}, '4', 90),
	'four more live answers done');
is(psql($db, q{SELECT string_agg(DISTINCT outcome || ':' || amd_status, ',') FROM bankcrm.call_attempt WHERE party_id > 160}),
	'abandoned:HUMAN', 'with every member paused they were abandoned (Queue() left after 2 s)');
my $log = ast_log();
is(scalar(() = $log =~ /UserEvent\("[^"]*", "BankcrmQueue,Status: TIMEOUT"\)/g), 4,
	'Asterisk played the abandonment path four times, each counted')
  or diag(join("\n", grep { /BankcrmQueue/ } split /\n/, $log));
is(psql($db, q{SELECT abandoned_today_pct FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}), '20.00',
	'abandonment today: 4 of 20 live answers');
ast_rx("queue unpause member Local/20$_\@crm-agent queue bankcrm-2") for ('01' .. '10');

# the 72-hour rule
psql($db, q{SELECT count(bankcrm.dialer_queue(2, a.party_id, now(), a.lead_id)) FROM bankcrm.call_attempt a WHERE a.outcome = 'abandoned'});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt q JOIN bankcrm.call_attempt a ON a.party_id = q.party_id AND a.outcome = 'abandoned'
  WHERE q.state = 'queued' AND q.due_at = a.answered_at + interval '72 hours'}, '4', 20),
	'queued again, each is held 72 hours from its abandoned answer');

# every customer leg Asterisk rang: no number reached twice
my %legs;
$log = ast_log();
$legs{$1}++ while $log =~ /NoOp\("[^"]*", "bankcrm attempt (\d+)"\)/g;
is(scalar(keys %legs), $n + 4, 'every attempt rang once in crm-out');
is(join(',', grep { $legs{$_} > 1 } sort keys %legs), '', 'none of them twice');

# wrap-up: 4 s after each call the agent leaves the queue, then joins again
# (four humans called again, one at a time)
psql($db, q{UPDATE bankcrm.dial_settings SET wrapup_s = 4, max_concurrent = 1 WHERE campaign_id = 2});
psql($db, q{SELECT count(bankcrm.dialer_queue(2, a.party_id, now(), a.lead_id)) FROM bankcrm.call_attempt a
  WHERE a.party_id IN (7, 17, 27, 37) AND a.attempt_no = 1});
ok(poll_until($db, q{SELECT agents_wrap_up FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}, '1', 60),
	'an agent whose call ended is in wrap-up');
my $members = () = ast_rx('queue show bankcrm-2') =~ /Local\/20\d\d\@crm-agent/g;
is($members, 9, 'and out of the queue meanwhile (nine members)');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE attempt_no = 2 AND party_id IN (7, 17, 27, 37) AND state = 'done'}, '4', 120),
	'the four calls are done');
is(psql($db, q{SELECT string_agg(DISTINCT outcome, ',') FROM bankcrm.call_attempt WHERE attempt_no = 2 AND party_id IN (7, 17, 27, 37)}),
	'answered', 'each answered by an agent');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt a JOIN bankcrm.call_attempt b ON b.staff_id = a.staff_id
  AND b.connected_at > a.ended_at AND b.connected_at < a.ended_at + interval '3.8 seconds'
  WHERE a.attempt_no = 2 AND b.attempt_no = 2 AND a.party_id IN (7, 17, 27, 37) AND b.party_id IN (7, 17, 27, 37)}), '0',
	'no agent took a caller within 4 s of its last call');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.dialer_agent WHERE state = 'wrap_up'}, '0', 20), 'every wrap-up ends');
ok(wait_until(sub { (() = ast_rx('queue show bankcrm-2') =~ /Local\/20\d\d\@crm-agent/g) == 10 },
		'ten members in bankcrm-2', 20), 'and the ten agents are members again');

is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop');
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
