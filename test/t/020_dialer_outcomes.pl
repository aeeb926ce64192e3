# test/t/020_dialer_outcomes.pl: the dialer worker against the AMI simulator:
# every outcome recorded exactly, one Originate per attempt, preview and
# progressive modes, retries at the rule's delay, do-not-call and consent
# checked at the moment of dialing, the calling window with an injected
# clock, dialer_status and pg_stat_activity.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 'test/dialer';
use DialerTest;

my $db = 'bankcrm_dialer_outcomes';
my $dir = tempdir(CLEANUP => 1);
my $log = "$dir/ami.log";
my $sim = start_sim($log, '--port', '0', '--ring-ms', '20', '--talk-ms', '60');
END { stop_sim($sim) if $sim; }

setup_db($db, $sim->{port}, 30);

# parties 1..6: the last digit of the number scripts the simulator's outcome
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM generate_series(1, 6) g});
my $pid = psql($db, 'SELECT bankcrm.dialer_launch(1)');
like($pid, qr/^\d+$/, 'dialer_launch returns the worker pid');
is(psql($db, 'SET client_min_messages = warning; SELECT bankcrm.dialer_launch(1)'), $pid, 'a second launch returns the running worker');

ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE state = 'done'}, '6', 20),
	'six attempts done');
is( psql(
		$db, q{
SELECT string_agg(format('%s:%s:%s:%s:%s', party_id, outcome, reason, coalesce(dial_status, '-'), hangup_cause), ' '
                  ORDER BY party_id)
  FROM bankcrm.call_attempt}),
	'1:answered:4:ANSWER:16 2:busy:5:BUSY:17 3:no_answer:3:-:19 4:congestion:8:CONGESTION:34 '
	  . '5:failed:0:-:0 6:invalid_number:1:CHANUNAVAIL:1',
	'each outcome with its Reason, DialStatus and hangup cause');
is( psql(
		$db, q{
SELECT string_agg(format('%s:%s:%s:%s', c.party_id, c.outcome, c.channel, c.campaign_id), ' ' ORDER BY c.party_id)
  FROM bankcrm.contact c JOIN bankcrm.call_attempt a ON a.contact_id = c.contact_id}),
	'1:answered:phone_out:1 2:busy:phone_out:1 3:no_answer:phone_out:1 4:congestion:phone_out:1 '
	  . '5:failed:phone_out:1 6:invalid_number:phone_out:1',
	'one contact row per finished call');
is( psql(
		$db, q{
SELECT talk_ms BETWEEN 0 AND 2000, answered_at IS NOT NULL, sent_at >= dialed_at, ring_ms < 2000
  FROM bankcrm.call_attempt WHERE party_id = 1}),
	't|t|t|t', 'answered call: ring and talk durations');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id <> 1 AND (talk_ms IS NOT NULL OR answered_at IS NOT NULL)}),
	'0', 'unanswered calls have no talk time');
is(psql($db, q{SELECT ring_ms BETWEEN 900 AND 3000 FROM bankcrm.call_attempt WHERE party_id = 3}),
	't', 'no answer rings until the dial timeout');
is(psql($db, q{SELECT count(*) FROM bankcrm.dialer_agent WHERE state = 'ready'}), '8', 'every agent is ready again');
is(psql($db, q{SELECT string_agg(format('%s:%s', party_id, state), ' ' ORDER BY party_id) FROM bankcrm.lead}),
	'1:first_call 2:first_call 3:first_call 4:first_call 5:first_call 6:unreachable',
	'the leads took their events (invalid number: unreachable)');
is(psql($db, q{SELECT count(*) FROM bankcrm.fsm_history WHERE event IN ('call_answered', 'busy', 'no_answer', 'congestion', 'failed', 'invalid_number')}),
	'6', 'one lead event per call');

my $orig = originates_per_attempt($log);
is(scalar(keys %$orig), 6, 'six attempts reached the PBX');
is(scalar(grep { $_ != 1 } values %$orig), 0, 'each exactly once');
is(sim_log_count($log, qr/>> Channel: Local\/13800000001\@crm-out$/), 1, 'progressive: the customer channel');
is(sim_log_count($log, qr/>> Context: crm-agent$/), 6, 'progressive: the agent context');
is(sim_log_count($log, qr/>> Exten: 200[1-8]$/), 6, 'progressive: an agent extension');
is(sim_log_count($log, qr/>> Action: Challenge$/), 1, 'MD5 challenge login');
is(sim_log_count($log, qr/>> Secret:/), 0, 'the secret never crossed the wire');

# the worker in pg_stat_activity and dialer_status
is( psql(
		$db, qq{
SELECT backend_type, wait_event_type, application_name FROM pg_stat_activity WHERE pid = $pid}),
	'bankcrm dialer|Extension|bankcrm dialer pbx 1', 'the worker shows in pg_stat_activity');
is( psql(
		$db, q{
SELECT state, connected_since IS NOT NULL, calls_in_flight, originates_last_minute, answer_rate_pct
  FROM bankcrm.dialer_status}),
	'ready|t|0|6|16.7', 'dialer_status');
is( psql(
		$db, q{
SELECT campaign_id, done, answered, no_answer_or_busy, failed, agents_ready FROM bankcrm.dialer_campaign_status}),
	'1|6|1|2|3|8', 'dialer_campaign_status');

# retries: busy retried after 2 s, up to two attempts in all
psql($db, q{
INSERT INTO bankcrm.dial_retry_rule VALUES (1, 'busy', '2 seconds'), (1, 'no_answer', '1 hour');
UPDATE bankcrm.dial_settings SET max_attempts = 2 WHERE campaign_id = 1;
SELECT bankcrm.dialer_queue(1, 12, now(), t_lead(1, 12))});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id = 12 AND state = 'done'}, '2', 20),
	'the busy attempt was retried');
is( psql(
		$db, q{
SELECT string_agg(format('%s:%s', attempt_no, outcome), ' ' ORDER BY attempt_no) FROM bankcrm.call_attempt WHERE party_id = 12}),
	'1:busy 2:busy', 'two attempts, no third (max_attempts)');
is( psql(
		$db, q{
SELECT b.due_at - a.ended_at FROM bankcrm.call_attempt a JOIN bankcrm.call_attempt b
    ON b.lead_id = a.lead_id AND b.attempt_no = 2 WHERE a.party_id = 12 AND a.attempt_no = 1}),
	'00:00:02', 'the retry was due at the rule\'s delay');
ok(psql($db, q{SELECT b.dialed_at >= b.due_at FROM bankcrm.call_attempt b WHERE b.party_id = 12 AND b.attempt_no = 2}) eq 't',
	'and not dialed before');

# do-not-call added after queuing, consent withdrawn after queuing: never dialed
psql($db, q{
SELECT bankcrm.dialer_queue(1, 21, now() + interval '1.5 seconds', t_lead(1, 21));
SELECT bankcrm.dialer_queue(1, 11, now() + interval '1.5 seconds', t_lead(1, 11));
INSERT INTO bankcrm.dnc (phone, reason) VALUES ('+8613800000021', 'customer request');
UPDATE bankcrm.party SET consent_marketing = false WHERE party_id = 11});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id IN (11, 21) AND state = 'blocked'}, '2', 20),
	'both blocked at the moment of dialing');
is( psql(
		$db, q{SELECT string_agg(format('%s:%s', party_id, detail), ' ' ORDER BY party_id) FROM bankcrm.call_attempt WHERE party_id IN (11, 21)}),
	'11:party has not consented to marketing contact 21:number on the do-not-call list', 'with the reason');
is(psql($db, q{SELECT string_agg(format('%s:%s', party_id, state), ' ' ORDER BY party_id) FROM bankcrm.lead WHERE party_id IN (11, 21)}),
	'11:first_call 21:do_not_call', 'a do-not-call number ends the lead; missing consent leaves it');
is(sim_log_count($log, qr/>> Channel: Local\/138000000(11|21)\@/), 0, 'neither reached the PBX');

# through a Local/ channel whose dialplan Dial()s the customer, the Originate's
# own DialEnd (NOANSWER) follows the customer's BUSY or CONGESTION: the
# customer's status is kept (test/ami_sim/transcripts/11-local-dial-busy.txt)
is(ctl($sim, 'local-dial on'), 'OK', 'the simulator sends the Local channel\'s second DialEnd');
psql($db, q{SELECT bankcrm.dialer_queue(1, g, now(), t_lead(1, g)) FROM unnest(ARRAY[22, 24, 26]) g});
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id IN (22, 24, 26) AND attempt_no = 1 AND state = 'done'}, '3', 20),
	'three attempts done');
is( psql(
		$db, q{
SELECT string_agg(format('%s:%s:%s', party_id, outcome, dial_status), ' ' ORDER BY party_id)
  FROM bankcrm.call_attempt WHERE party_id IN (22, 24, 26) AND attempt_no = 1}),
	'22:busy:BUSY 24:congestion:CONGESTION 26:invalid_number:CHANUNAVAIL',
	'a later, vaguer DialStatus does not replace the customer\'s');
is(ctl($sim, 'local-dial off'), 'OK', 'back to one DialEnd');

# calling window: campaign 2 calls only tomorrow (the party's local day)
psql($db, q{
SELECT t_campaign(2);
UPDATE bankcrm.dial_settings
   SET call_days = ARRAY[(extract(isodow FROM (now() AT TIME ZONE 'Asia/Shanghai') + interval '1 day'))::int]
 WHERE campaign_id = 2;
SELECT bankcrm.dialer_queue(2, 13, now(), t_lead(2, 13))});
ok(poll_until($db, q{SELECT due_at > now() + interval '1 minute' FROM bankcrm.call_attempt WHERE party_id = 13}, 't', 20),
	'outside the window: rescheduled, not dialed');
is( psql(
		$db, q{
SELECT state, due_at = bankcrm.dial_next_window(2, 13, now()) FROM bankcrm.call_attempt WHERE party_id = 13}),
	'queued|t', 'to the moment the window opens');
is(sim_log_count($log, qr/>> Channel: Local\/13800000013\@/), 0, 'party 13 was not called');

# the injected clock: a day later, campaign 2 is open
psql($db, q{
UPDATE bankcrm.dialer_agent SET campaign_id = 2 WHERE staff_id IN (7, 8);
UPDATE bankcrm.pbx SET clock_offset = '1 day';
SELECT bankcrm.dialer_queue(2, 14, now(), t_lead(2, 14))});
ok(poll_until($db, q{SELECT state FROM bankcrm.call_attempt WHERE party_id = 14}, 'done', 20),
	'with the clock a day ahead the window is open');
# a regional holiday tomorrow closes it again
psql($db, q{
INSERT INTO bankcrm.holiday (day, region_code, name)
VALUES (((now() AT TIME ZONE 'Asia/Shanghai') + interval '1 day')::date, 'CN-BJ', 'test holiday');
UPDATE bankcrm.dial_settings SET skip_holidays = true WHERE campaign_id = 2;
SELECT bankcrm.dialer_queue(2, 15, now(), t_lead(2, 15))});
ok(poll_until($db, q{SELECT due_at > now() + interval '1 minute' FROM bankcrm.call_attempt WHERE party_id = 15}, 't', 20),
	'a holiday in the party\'s region: rescheduled');
psql($db, q{UPDATE bankcrm.pbx SET clock_offset = '0'});

# preview: the agent's phone rings first (agent 1, extension 2001, answers),
# then the customer's number in the customer context
psql($db, q{
SELECT t_campaign(3, 'preview');
UPDATE bankcrm.dialer_agent SET campaign_id = 3 WHERE staff_id = 1;
SELECT t_lead(3, 17);
UPDATE bankcrm.lead SET assigned_to = 1, assigned_at = now() WHERE campaign_id = 3 AND party_id = 17});
# the agent behind a database role clicks dial
psql('postgres', q{DROP ROLE IF EXISTS dialer_agent_1});
psql($db, q{
CREATE ROLE dialer_agent_1 LOGIN IN ROLE bankcrm_rm;
UPDATE bankcrm.staff SET db_role = 'dialer_agent_1' WHERE staff_id = 1;
INSERT INTO bankcrm.coverage (party_id, staff_id, role) VALUES (17, 1, 'primary_rm')});
my ($err) = psql_try($db, q{SET ROLE dialer_agent_1; BEGIN;
SELECT bankcrm.dial(lead_id) FROM bankcrm.lead WHERE party_id = 17;
SELECT bankcrm.dial(lead_id) FROM bankcrm.lead WHERE party_id = 17; COMMIT});
like($err, qr/ERROR:  lead \d+ already has a call queued or in progress/, 'a second click while the call is open is refused');
($err) = psql_try($db, q{SET ROLE dialer_agent_1; SELECT bankcrm.dial(lead_id) FROM bankcrm.lead WHERE party_id = 1});
is($err, '', 'an agent does not even see the leads of others (row-level security)');
my $attempt = psql($db, q{SET ROLE dialer_agent_1; SELECT bankcrm.dial(lead_id) FROM bankcrm.lead WHERE party_id = 17});
like($attempt, qr/^\d+$/, 'dial(lead_id) by the assigned agent');
ok(poll_until($db, q{SELECT state || ':' || outcome FROM bankcrm.call_attempt WHERE party_id = 17}, 'done:answered', 20),
	'preview call answered');
is(sim_log_count($log, qr/>> Channel: Local\/2001\@crm-agent$/), 1, 'preview: the agent endpoint is dialed first');
is(sim_log_count($log, qr/>> Exten: 13800000017$/), 1, 'preview: then the customer number');
is(psql($db, q{SELECT staff_id FROM bankcrm.contact WHERE party_id = 17}), '1', 'the contact belongs to the agent');

# never two calls to one party at once
my ($out, $rc) = psql_try($db, q{
INSERT INTO bankcrm.call_attempt (campaign_id, party_id, phone, pbx_id, mode, state, dialed_at)
VALUES (1, 18, '+8613800000018', 1, 'progressive', 'dialing', now()), (1, 18, '+8613800000018', 1, 'progressive', 'dialing', now())});
like($out, qr/call_attempt_party_live_idx/, 'a second live call to a party is refused by the database');

$orig = originates_per_attempt($log);
is(scalar(grep { $_ != 1 } values %$orig), 0, 'no attempt was ever sent twice');
psql($db, q{DROP OWNED BY dialer_agent_1; DROP ROLE dialer_agent_1});

# stop: the worker exits with code 0, which the postmaster never restarts
# (a worker that fails exits with 1 and is logged, then restarted 5 s later)
my $wpid = psql($db, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'bankcrm dialer' AND datname = current_database()});
my $off = BankcrmTest::log_offset();
is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop');
ok(poll_until($db, q{SELECT state || ':' || (pid IS NULL)::int FROM bankcrm.dialer_status}, 'exited:1', 10), 'the worker exited');
ok(poll_until('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $wpid", '0', 10), 'its process is gone');
unlike(BankcrmTest::log_since($off), qr/background worker "bankcrm dialer" \(PID $wpid\) exited with exit code [1-9]/,
	'it exited with code 0: the postmaster will not restart it');
is(psql($db, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bankcrm dialer' AND datname = current_database()}),
	'0', 'and no dialer runs for the database');

stop_sim($sim);
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
