# test/pbx/030_dialer_asterisk.pl: the dialer worker against a real Asterisk
# (the pbx stage of test/run), started privately with the manager.conf and
# dialplan of doc/dialer.md ("A test PBX without phones"): every outcome,
# progressive and preview, do-not-call after queuing, the PBX stopped and
# restarted mid-call, the PBX killed, the worker killed mid-batch.  Nothing
# is ever dialed twice: the dialplan logs every customer leg it rings.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER), with
# ASTERISK_DIR (a folder for the private instance) set by the stage.
use strict;
use warnings;
use Test::More;
use lib 'test/dialer';
use DialerTest;

my $dir = $ENV{ASTERISK_DIR} or plan skip_all => 'ASTERISK_DIR is not set (run it through test/run pbx)';
my $db = 'bankcrm_dialer_pbx';
my $port = free_port();

sub ast { system('test/pbx/asterisk.sh', @_) == 0 }
sub ast_rx { my $out = `test/pbx/asterisk.sh rx $dir '$_[0]' 2>&1`; return $out; }

ok(ast('start', $dir, $port), 'a private Asterisk with the documented manager.conf and dialplan');
END { system('test/pbx/asterisk.sh', 'stop', $dir) if $dir; }

setup_db($db, $port, 250);
psql($db, q{
UPDATE bankcrm.dial_settings SET dial_timeout_ms = 5000 WHERE campaign_id = 1;
UPDATE bankcrm.pbx SET max_cps = 50});

# 1. every outcome: parties 1..6 end in 1..6
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(1, 6) g});
my $pid = psql($db, 'SELECT bankcrm.dialer_launch(1)');
like($pid, qr/^\d+$/, 'dialer_launch');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state = 'done'}, '6', 30), 'six attempts done');
my $got = psql(
	$db, q{
SELECT string_agg(format('%s:%s', party_id, outcome), ' ' ORDER BY party_id) FROM bankcrm.call_attempt});
is($got, '1:answered 2:busy 3:no_answer 4:congestion 5:failed 6:invalid_number', 'each outcome');
diag(psql($db, q{
SELECT string_agg(format('%s:%s:%s:%s:%s', party_id, outcome, coalesce(reason::text, '-'), coalesce(dial_status, '-'),
                         coalesce(hangup_cause::text, '-')), ' ' ORDER BY party_id)
  FROM bankcrm.call_attempt}));
is( psql(
		$db, q{
SELECT talk_ms BETWEEN 500 AND 5000, answered_at IS NOT NULL FROM bankcrm.call_attempt WHERE party_id = 1}),
	't|t', 'the answered call talked about a second');
is(psql($db, q{SELECT ring_ms BETWEEN 4500 AND 9000 FROM bankcrm.call_attempt WHERE party_id = 3}),
	't', 'no answer rang until the dial timeout (5 s)');
is(psql($db, q{SELECT count(*) FROM bankcrm.contact}), '6', 'one contact row per call');
is(psql($db, q{SELECT count(*) FROM bankcrm.dialer_agent WHERE state = 'ready'}), '8', 'every agent ready again');
is(psql($db, q{SELECT state FROM bankcrm.dialer_status}), 'ready', 'dialer_status: ready');

# 2. progressive at volume: 200 parties of mixed outcomes (7..206), each dialed once
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(7, 206) g});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state = 'done'}, '206', 180),
	'200 more attempts done');
is( psql(
		$db, q{
SELECT count(*) FILTER (WHERE outcome = CASE right(phone::text, 1)
                                        WHEN '2' THEN 'busy' WHEN '3' THEN 'no_answer'
                                        WHEN '4' THEN 'congestion' WHEN '5' THEN 'failed'
                                        WHEN '6' THEN 'invalid_number' ELSE 'answered' END)
  FROM bankcrm.call_attempt}),
	'206', 'every outcome as the dialplan scripted it')
  or diag(psql($db, q{SELECT string_agg(format('%s:%s:%s:%s:%s', party_id, outcome, coalesce(reason::text, '-'),
                       coalesce(dial_status, '-'), coalesce(hangup_cause::text, '-')), ' ' ORDER BY party_id)
                        FROM bankcrm.call_attempt WHERE outcome <> CASE right(phone::text, 1)
                                        WHEN '2' THEN 'busy' WHEN '3' THEN 'no_answer'
                                        WHEN '4' THEN 'congestion' WHEN '5' THEN 'failed'
                                        WHEN '6' THEN 'invalid_number' ELSE 'answered' END}));
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt GROUP BY party_id HAVING count(*) > 1}), '',
	'one attempt per party');
is( psql(
		$db, q{
SELECT string_agg(DISTINCT format('%s:%s:%s:%s:%s', right(phone::text, 1), outcome, coalesce(reason::text, '-'),
                  coalesce(dial_status, '-'), coalesce(hangup_cause::text, '-')), ' ')
  FROM bankcrm.call_attempt WHERE right(phone::text, 1) IN ('1', '2', '3', '4', '5', '6')}),
	'1:answered:4:ANSWER:16 2:busy:0:BUSY:16 3:no_answer:3:CANCEL:19 4:congestion:0:CONGESTION:16 '
	  . '5:failed:0:-:0 6:invalid_number:0:NOANSWER:1', 'what Asterisk reported: Reason, DialStatus, hangup cause by outcome');

# 3. do-not-call and consent withdrawn after queuing: never dialed
psql($db, q{
SELECT bankcrm.dialer_queue(1, 211, now() + interval '1.5 seconds', t_lead(1, 211));
SELECT bankcrm.dialer_queue(1, 221, now() + interval '1.5 seconds', t_lead(1, 221));
INSERT INTO bankcrm.dnc (phone, reason) VALUES ('+8613800000221', 'customer request');
UPDATE bankcrm.party SET consent_marketing = false WHERE party_id = 211});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id IN (211, 221) AND state = 'blocked'}, '2', 20),
	'do-not-call and consent checked at the moment of dialing');

# 4. preview: agent 1's phone first, then the customer (party 217)
psql($db, q{
SELECT t_campaign(3, 'preview');
UPDATE bankcrm.dial_settings SET dial_timeout_ms = 2000 WHERE campaign_id = 3;
UPDATE bankcrm.dialer_agent SET campaign_id = 3 WHERE staff_id = 1;
SELECT t_lead(3, 217);
UPDATE bankcrm.lead SET assigned_to = 1, assigned_at = now() WHERE campaign_id = 3 AND party_id = 217});
psql($db, q{SELECT bankcrm.dial(lead_id) FROM bankcrm.lead WHERE campaign_id = 3 AND party_id = 217});
ok(poll_until($db, q{SELECT state || ':' || outcome FROM bankcrm.call_attempt WHERE party_id = 217}, 'done:answered', 30),
	'preview call answered');
is(psql($db, q{SELECT staff_id FROM bankcrm.contact WHERE party_id = 217}), '1', 'the contact is the agent\'s');

# 5. the PBX stopped mid-call and started again: the call is finished once,
# never redialed (a clean stop hangs the call up and reports it first)
psql($db, q{SELECT bankcrm.dialer_queue(1, 223, now(), t_lead(1, 223))});    # ...3 rings
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 223}, 'dialing', 20), 'a call placed');
ok(wait_until(sub { ast_rx('core show channels concise') =~ /^[^!\n]*\@crm-customer[^!\n]*!crm-customer!\d*223!\d+![^!\n]*!Wait!/m },
		'the customer leg of party 223 ringing', 20),
	'and ringing on the PBX (the customer\'s leg in its Wait)')
  or diag(ast_rx('core show channels concise'));
ok(ast('stop', $dir), 'Asterisk stopped mid-call');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'backoff', 20)
	  || poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'connecting', 5),
	'the worker lost the PBX');
ok(ast('start', $dir, $port), 'Asterisk started again');
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 223}, 'done', 90),
	'the attempt was finished after reconnecting');
like(psql($db, q{SELECT outcome FROM bankcrm.call_attempt WHERE party_id = 223}), qr/^(no_answer|unknown)$/,
	'as the PBX reported it on stopping, or unknown');
ok(poll_until($db, q{SELECT state FROM bankcrm.dialer_status}, 'ready', 60), 'and the worker is ready again');
psql($db, q{SELECT bankcrm.dialer_queue(1, 224, now(), t_lead(1, 224))});
ok(poll_until($db, q{SELECT outcome FROM bankcrm.call_attempt WHERE party_id = 224}, 'congestion', 30),
	'and dials again');

# 6. the PBX killed (SIGKILL) mid-call: the same, no double dial
psql($db, q{SELECT bankcrm.dialer_queue(1, 233, now(), t_lead(1, 233))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 233}, 'dialing', 20), 'a call ringing');
ok(ast('kill', $dir), 'Asterisk killed');
ok(ast('start', $dir, $port), 'and started again');
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 233}, 'done', 90),
	'the attempt was finished');
is( psql($db, q{SELECT outcome || ': ' || detail FROM bankcrm.call_attempt WHERE party_id = 233}),
	'unknown: no trace of the call on the PBX after the link was lost',
	'as unknown: a killed PBX reports nothing, the new one has no trace of it');

# 7. the worker killed mid-batch: 40 calls (237..246, then 207..210, 212..216,
# 218..220, 222, 225..232, 234..236, 247..250 minus those used) all recorded once
psql($db, q{
SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g))
  FROM generate_series(207, 250) g
 WHERE g NOT IN (211, 217, 221, 223, 224, 233)
   AND NOT EXISTS (SELECT FROM bankcrm.call_attempt a WHERE a.party_id = g)});
my $n = psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state IN ('queued', 'dialing')});
ok($n > 20, "a batch of $n queued");
my $w = psql($db, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'bankcrm dialer' AND datname = current_database()});
poll_until($db, q{SELECT count(*) > 0 FROM bankcrm.call_attempt WHERE state = 'done' AND party_id >= 207 AND party_id NOT IN (211, 217, 221, 223, 224, 233)}, 't', 20);
kill 'KILL', $w;
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state IN ('queued', 'dialing')}, '0', 120),
	'after the worker was killed every attempt was finished');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt GROUP BY party_id HAVING count(*) > 1}), '',
	'still one attempt per party');

# every customer leg Asterisk rang: no attempt reached it twice
my %legs;
for my $f (glob("$dir/log/messages*"))
{
	open(my $fh, '<', $f) or next;
	while (<$fh>) { $legs{$1}++ if /bankcrm attempt (\d+)/; }
	close($fh);
}
ok(scalar(keys %legs) >= 200, scalar(keys %legs) . ' attempts seen by the dialplan');
is(join(',', grep { $legs{$_} > 1 } sort keys %legs), '', 'none of them twice');

is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop');
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
