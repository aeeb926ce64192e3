# test/t/025_dialer_predictive.pl: predictive mode end to end against the
# AMI simulator, which plays the dialplan of doc/dialer.md (AMD() on answer,
# a UserEvent with the verdict, Queue(bankcrm-<campaign>) for 2 s, a
# UserEvent when nobody took the call): ten agents, a few hundred numbers of
# mixed outcomes.  Every abandoned call is counted, no agent is offered a
# machine, no number is dialed twice, the machine retry rule holds and a
# number whose call was abandoned is not dialed again within 72 hours.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use lib 'test/dialer';
use DialerTest;

my $db = 'bankcrm_dialer_predictive';
my $dir = tempdir(CLEANUP => 1);
my $n = 240;

# the numbers: +86138 and the party id in 8 digits; its last digit says what
# the customer does (8: an answering machine, 9: the detector is not sure)
my %outcome = (0 => 'answer', 1 => 'answer', 2 => 'busy', 3 => 'answer', 4 => 'congestion',
	5 => 'nonexistent', 6 => 'invalid', 7 => 'answer', 8 => 'machine', 9 => 'notsure');
my %numbers;
$numbers{ sprintf('138%08d', $_) } = { outcome => $outcome{ $_ % 10 }, ring_ms => 1500 + 300 * ($_ % 7) }
  for 1 .. $n + 40;
open(my $fh, '>', "$dir/script.json") or die;
print $fh encode_json({ numbers => \%numbers });
close($fh);

my $sim = start_sim("$dir/ami.log", '--port', '0', '--script', "$dir/script.json",
	'--talk-ms', '3000', '--amd-ms', '150', '--queue-wait-ms', '2000');
END { local $?; stop_sim($sim) if $sim; }

setup_db($db, $sim->{port}, $n + 40);
psql($db, q{
SET search_path = bankcrm;
INSERT INTO staff (staff_id, name, role_kind, branch_id) VALUES (9, 'Agent 9', 'agent', 1), (10, 'Agent 10', 'agent', 1);
SELECT public.t_campaign(2, 'predictive');
UPDATE dial_settings SET max_concurrent = 40, machine_message = 'bankcrm/sorry-we-missed-you' WHERE campaign_id = 2;
INSERT INTO dial_retry_rule VALUES (2, 'machine', '1 hour');
UPDATE dialer_agent SET campaign_id = 2;
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state) VALUES (9, 2, '2009', 'ready'), (10, 2, '2010', 'ready');
});
psql($db, qq{SELECT count(public.t_lead(2, g)) FROM generate_series(1, $n) g});
is(psql($db, q{SELECT bankcrm.dialer_enqueue(2)}), $n, "$n predictive attempts queued");
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE mode = 'predictive'}), $n,
	'a predictive campaign queues predictive attempts');

like(psql($db, 'SELECT bankcrm.dialer_launch(1)'), qr/^\d+$/, 'dialer_launch');
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND attempt_no = 1 AND state = 'done'},
		"$n", 240), 'every first attempt is done');

# the queue has the ten agents as members, named by staff id
my ($ok, $json) = split(/ /, ctl($sim, 'queues'), 2);
my $queues = decode_json($json);
is_deeply([ sort { $a <=> $b } values %{ $queues->{'bankcrm-2'} } ], [ 1 .. 10 ],
	'the campaign queue bankcrm-2 has the ten agents as members (MemberName = staff id)');
is($queues->{'bankcrm-2'}{'Local/2001@crm-agent'}, '1', 'members ring agent_endpoint with the extension');

# outcomes as scripted
my %by = map { split /\|/ } split /\n/, psql($db, q{
SELECT right(phone::text, 1), string_agg(DISTINCT outcome || coalesce(':' || amd_status, ''), ',' ORDER BY outcome || coalesce(':' || amd_status, ''))
  FROM bankcrm.call_attempt WHERE campaign_id = 2 AND attempt_no = 1 GROUP BY 1 ORDER BY 1});
is($by{2}, 'busy', 'busy numbers: busy, no detection');
is($by{4}, 'congestion', 'congestion');
is($by{8}, 'machine:MACHINE', 'answering machines: machine, AMDSTATUS MACHINE');
like($by{1}, qr/^(abandoned:HUMAN,)?answered:HUMAN$/, 'live answers: answered (or abandoned), AMDSTATUS HUMAN');
like($by{9}, qr/^(abandoned:NOTSURE,)?answered:NOTSURE$/, 'not sure: treated as live, AMDSTATUS NOTSURE');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND amd_status IS NOT NULL AND amd_cause IS NULL}),
	'0', 'every verdict has its cause');
is(psql($db, q{SELECT amd_cause FROM bankcrm.call_attempt WHERE amd_status = 'MACHINE' LIMIT 1}), 'LONGGREETING-1500-1500',
	'AMDCAUSE recorded');

# no agent was ever offered a machine; every answered call has its agent
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE amd_status = 'MACHINE' AND (staff_id IS NOT NULL OR connected_at IS NOT NULL)}),
	'0', 'no agent offered a machine');
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND outcome = 'answered' AND (staff_id IS NULL OR connected_at IS NULL)}),
	'0', 'every answered predictive call has the agent that took it and when');
is(psql($db, q{SELECT count(*) FROM bankcrm.contact c JOIN bankcrm.call_attempt a ON a.contact_id = c.contact_id
  WHERE a.outcome = 'answered' AND a.campaign_id = 2 AND c.staff_id IS DISTINCT FROM a.staff_id}), '0',
	'the contact row names that agent');

# every abandoned call and every connect is counted, as the PBX saw them
my (undef, $sj) = split(/ /, ctl($sim, 'stats'), 2);
my $stats = decode_json($sj);
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND outcome = 'abandoned'}),
	$stats->{abandoned}, "abandoned calls: as many as the PBX abandoned ($stats->{abandoned})");
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND outcome = 'answered'}),
	$stats->{connected}, "answered calls: as many as the queue connected ($stats->{connected})");

# no number dialed twice
my $per = originates_per_attempt("$dir/ami.log");
is(scalar(grep { $_ != 1 } values %$per), 0, 'one Originate per attempt');
is(psql($db, q{SELECT count(*) FROM (SELECT phone FROM bankcrm.call_attempt WHERE campaign_id = 2 AND state = 'done' GROUP BY phone HAVING count(*) > 1) x}),
	'0', 'no number dialed twice');
is(sim_log_count("$dir/ami.log", qr/>> Variable: BANKCRM_MACHINE_MESSAGE=bankcrm\/sorry-we-missed-you/), $n,
	'the machine message travels with every predictive Originate');
is(sim_log_count("$dir/ami.log", qr/>> Timeout: 15000$/), $n, 'every predictive number rings at least 15 s');

# the machine retry rule
is(psql($db, q{SELECT count(*) FILTER (WHERE r.due_at = a.ended_at + interval '1 hour' AND r.mode = 'predictive') || '/' || count(*)
  FROM bankcrm.call_attempt a JOIN bankcrm.call_attempt r ON r.lead_id = a.lead_id AND r.attempt_no = 2
 WHERE a.outcome = 'machine'}), sprintf('%d/%d', $n / 10, $n / 10), 'each machine is called again an hour later (its retry rule)');

# the view agrees with the rows
my $live = psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND outcome IN ('answered', 'abandoned')});
my $ab = psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 2 AND outcome = 'abandoned'});
is(psql($db, q{SELECT abandoned_today_pct FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}),
	psql($db, qq{SELECT round(100.0 * $ab / $live, 2)}), 'dialer_campaign_status: abandonment today');
cmp_ok(psql($db, q{SELECT abandoned_today_pct FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}), '<=', 3,
	'abandonment today within the 3 % cap');
is(psql($db, q{SELECT live_answer_rate_pct > 0 AND agent_utilisation_pct > 0 AND wait_between_calls_s >= 0 AND pacing_ratio IS NOT NULL
  FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}), 't', 'live-answer rate, utilisation, wait between calls, pacing ratio shown');
is(psql($db, q{SELECT count(*) FROM bankcrm.dialer_agent WHERE state = 'on_call'}), '0', 'every agent is free again');

# abandonment when nobody can take the calls: counted, then the 72-hour rule
ctl($sim, 'members-busy on');
my $first = $n + 1;
my $last = $n + 20;
psql($db, qq{SELECT count(bankcrm.dialer_queue(2, g, now(), public.t_lead(2, g))) FROM generate_series($first, $last) g WHERE g % 10 IN (0, 1, 7)});
ok(poll_until($db, qq{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN $first AND $last AND state = 'done'}, '6', 60),
	'the six live answers with no free member are done');
is(psql($db, qq{SELECT string_agg(DISTINCT outcome, ',') FROM bankcrm.call_attempt WHERE party_id BETWEEN $first AND $last}),
	'abandoned', 'they are abandoned');
(undef, $sj) = split(/ /, ctl($sim, 'stats'), 2);
$stats = decode_json($sj);
is(psql($db, q{SELECT count(*) FROM bankcrm.call_attempt WHERE outcome = 'abandoned'}), $stats->{abandoned},
	'still every abandoned call counted');
cmp_ok(psql($db, q{SELECT abandoned_15min_pct FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}), '>', 0,
	'abandonment of the last 15 minutes shows it');
ctl($sim, 'members-busy off');

# queued again at once: the worker holds each for 72 hours from its abandoned answer
psql($db, qq{SELECT count(bankcrm.dialer_queue(2, a.party_id, now(), a.lead_id)) FROM bankcrm.call_attempt a
  WHERE a.party_id BETWEEN $first AND $last AND a.outcome = 'abandoned'});
ok(poll_until($db, qq{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN $first AND $last AND state = 'queued'
  AND detail = 'an abandoned call to this number less than 72 hours ago'}, '6', 20), 'the claim holds them back');
is(psql($db, qq{SELECT count(*) FROM bankcrm.call_attempt q JOIN bankcrm.call_attempt a ON a.party_id = q.party_id AND a.outcome = 'abandoned'
  WHERE q.state = 'queued' AND q.party_id BETWEEN $first AND $last AND q.due_at = a.answered_at + interval '72 hours'}), '6',
	'due again exactly 72 hours after the abandoned answer');
quiet_for(1, 'the held attempts are not dialed in the meantime');
$per = originates_per_attempt("$dir/ami.log");
is(psql($db, qq{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN $first AND $last AND sent_at IS NOT NULL}), '6',
	'none of them was dialed again');

# wrap-up: 5 s after each call the agent is out of the campaign queue, then
# back; one call at a time, so that without it the queue would hand the next
# caller to the agent that just hung up (the simulator offers the first free
# member, as a queue with strategy ringall and one caller does)
psql($db, q{UPDATE bankcrm.dial_settings SET wrapup_s = 5, max_concurrent = 1 WHERE campaign_id = 2});
my ($w1, $w2) = ($n + 21, $n + 40);
my $removed = sim_log_count("$dir/ami.log", qr/>> Action: QueueRemove/);
my $phase_from = sim_log_count("$dir/ami.log", qr/./);
psql($db, qq{SELECT count(bankcrm.dialer_queue(2, g, now(), public.t_lead(2, g))) FROM generate_series($w1, $w2) g WHERE g % 10 IN (0, 1, 3, 7)});
ok(poll_until($db, q{SELECT agents_wrap_up FROM bankcrm.dialer_campaign_status WHERE campaign_id = 2}, '1', 30),
	'an agent whose call ended is in wrap-up (dialer_campaign_status.agents_wrap_up)');
ok(poll_until($db, qq{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN $w1 AND $w2 AND state = 'done'}, '8', 120),
	'the eight calls are done');
is(psql($db, qq{SELECT count(*) FROM bankcrm.call_attempt WHERE party_id BETWEEN $w1 AND $w2 AND outcome = 'answered'}), '8',
	'all eight answered by an agent');
is(psql($db, qq{SELECT count(*) FROM bankcrm.call_attempt a JOIN bankcrm.call_attempt b ON b.staff_id = a.staff_id
  AND b.connected_at > a.ended_at AND b.connected_at < a.ended_at + interval '4.8 seconds'
  WHERE a.party_id BETWEEN $w1 AND $w2 AND b.party_id BETWEEN $w1 AND $w2}), '0',
	'no agent took a caller within 5 s of its last call');
cmp_ok(psql($db, qq{SELECT count(DISTINCT staff_id) FROM bankcrm.call_attempt WHERE party_id BETWEEN $w1 AND $w2}), '>=', 2,
	'the calls went to several agents');
cmp_ok(sim_log_count("$dir/ami.log", qr/>> Action: QueueRemove/) - $removed, '>=', 8,
	'each agent left the queue for its wrap-up (QueueRemove)');
# the worker reads its figures again as soon as it has written an outcome
# that freed an agent: the QueueRemove goes out before the next call's
# Originate, not up to a second later (one call at a time: seven gaps)
{
	open(my $lf, '<', "$dir/ami.log") or die;
	my @lines = <$lf>;
	close($lf);
	my @actions = grep { /^\[c\d+\] >> Action: (Originate|QueueRemove)$/ } @lines[$phase_from .. $#lines];
	my $seq = join('', map { /Originate/ ? 'O' : 'R' } @actions);
	my $gaps = () = $seq =~ /O(?=[^O]*O)/g;
	my $covered = () = $seq =~ /OR+(?=O)/g;
	is("$covered/$gaps", '7/7', 'between two calls the agent of the first left the queue before the second was dialed')
	  or diag($seq);
}
ok(poll_until($db, q{SELECT count(*) FROM bankcrm.dialer_agent WHERE state = 'wrap_up'}, '0', 20),
	'every wrap-up ends by itself');
ok(wait_until(sub {
	my (undef, $qj) = split(/ /, ctl($sim, 'queues'), 2);
	return scalar(keys %{ decode_json($qj)->{'bankcrm-2'} }) == 10;
}, 'ten members in bankcrm-2', 20), 'and the ten agents are members of the queue again');

is(psql($db, 'SELECT bankcrm.dialer_stop(1)'), 't', 'dialer_stop');
drop_db($db) unless $ENV{DIALER_KEEP};
done_testing();
