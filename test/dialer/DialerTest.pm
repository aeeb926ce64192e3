# test/dialer/DialerTest.pm: helpers of the end-to-end dialer suites
# (test/t/020_dialer_*.pl): a private database with bankcrm and a small
# call centre, the AMI simulator (test/ami_sim/ami_sim.py) as a child
# process with its control port and traffic log; psql, psql_try,
# poll_until, wait_until, quiet_for and free_port are test/t/BankcrmTest.pm's,
# exported again.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
package DialerTest;

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use POSIX ':sys_wait_h';
use Time::HiRes qw(sleep time);
use FindBin;
use lib "$FindBin::Bin/../t";
use BankcrmTest qw(psql psql_try poll_until wait_until quiet_for free_port);

our @EXPORT = qw(psql psql_try poll_until wait_until quiet_for setup_db drop_db start_sim stop_sim ctl
  sim_log_count originates_per_attempt sim_has_call sim_answered free_port);

# setup_db(NAME, PBX_PORT): a database with bankcrm, a region, a branch, eight
# agents (staff 1..8, extensions 2001..2008), parties 1..N with consent and a
# mobile ending in their party id's last digit, one PBX (id 1, user crm /
# crmsecret) and campaign 1 (progressive, always open).
sub setup_db
{
	my ($db, $port, $nparties) = @_;
	$nparties //= 20;
	drop_db($db);
	psql('postgres', "CREATE DATABASE $db");
	psql($db, 'CREATE EXTENSION bankcrm');
	psql($db, qq{
SET search_path = bankcrm;
INSERT INTO region (region_code, name, province, tz) VALUES ('CN-BJ', 'Beijing', 'Beijing', 'Asia/Shanghai');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'BJ-1', 'Beijing main', 'CN-BJ');
INSERT INTO staff (staff_id, name, role_kind, branch_id)
SELECT g, 'Agent ' || g, 'agent', 1 FROM generate_series(1, 8) g;
INSERT INTO party (party_id, kind, name, region_code, consent_marketing)
SELECT g, 'individual', 'Customer ' || g, 'CN-BJ', true FROM generate_series(1, $nparties) g;
INSERT INTO party_phone (party_id, phone, is_primary)
SELECT g, ('+86138' || lpad(g::text, 8, '0'))::phone, true FROM generate_series(1, $nparties) g;
INSERT INTO pbx (pbx_id, name, host, port, username, secret, max_channels, max_cps)
VALUES (1, 'sim', '127.0.0.1', $port, 'crm', 'crmsecret', 50, 200);
INSERT INTO product (product_id, code, name, category) VALUES (1, 'CARD-1', 'Test card', 'card');
-- t_campaign(id, mode): an active campaign dialed through PBX 1, always open
CREATE FUNCTION public.t_campaign(id bigint, mode text DEFAULT 'progressive') RETURNS bigint
LANGUAGE plpgsql AS \$f\$
BEGIN
	INSERT INTO bankcrm.campaign (campaign_id, name, product_id) VALUES (id, 'Campaign ' || id, 1);
	PERFORM bankcrm.fsm_fire('bankcrm.campaign', id, 'approve');
	PERFORM bankcrm.fsm_fire('bankcrm.campaign', id, 'launch');
	INSERT INTO bankcrm.dial_settings (campaign_id, pbx_id, mode, max_concurrent, dial_timeout_ms, caller_id,
	                                   window_start, window_end, call_days, skip_holidays)
	VALUES (id, 1, mode, 20, 1000, '"Bank" <95599>', '00:00', '23:59:59.999999', '{1,2,3,4,5,6,7}', false);
	RETURN id;
END \$f\$;
-- t_lead(campaign, party): a lead waiting for its first call
CREATE FUNCTION public.t_lead(campaign bigint, party bigint) RETURNS bigint
LANGUAGE plpgsql AS \$f\$
DECLARE
	id bigint;
BEGIN
	INSERT INTO bankcrm.lead (campaign_id, party_id, process_name, state)
	VALUES (campaign, party, 'outbound_sale', 'review_customer') RETURNING lead_id INTO id;
	PERFORM bankcrm.lead_fire(id, 'customer_reviewed');
	PERFORM bankcrm.lead_fire(id, 'product_reviewed');
	RETURN id;
END \$f\$;
SELECT public.t_campaign(1);
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state)
SELECT g, 1, (2000 + g)::text, 'ready' FROM generate_series(1, 8) g;
});
}

# drop_db(NAME): stop its dialer workers, then drop it
sub drop_db
{
	my ($db) = @_;
	my ($exists) = psql('postgres', "SELECT count(*) FROM pg_database WHERE datname = '$db'");
	return unless $exists;
	psql('postgres', qq{
SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
 WHERE datname = '$db' AND pid <> pg_backend_pid()});
	psql('postgres', "DROP DATABASE IF EXISTS $db WITH (FORCE)");
}

# start_sim(LOG, ARGS...): the simulator as a child; returns a hash with
# pid, port, control
sub start_sim
{
	my ($log, @args) = @_;
	my $pid = open(my $out, '-|');
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDERR, '>>', "$log.stderr");
		exec('python3', '-u', 'test/ami_sim/ami_sim.py', '--control-port', '0', '--log', $log, @args)
		  or die "exec: $!";
	}
	my %sim = (pid => $pid, fh => $out);
	while (my $line = <$out>)
	{
		$sim{port} = $1 if $line =~ /^LISTENING (\d+)/;
		$sim{control} = $1 if $line =~ /^CONTROL (\d+)/;
		last if $sim{port} && $sim{control};
	}
	die "the simulator did not start" unless $sim{port} && $sim{control};
	return \%sim;
}

sub stop_sim
{
	my ($sim) = @_;
	return unless $sim && $sim->{pid};
	kill 'TERM', $sim->{pid};
	my $deadline = time() + 5;
	while (time() < $deadline)
	{
		last if waitpid($sim->{pid}, WNOHANG) != 0;
		sleep(0.05);
	}
	kill 'KILL', $sim->{pid} if waitpid($sim->{pid}, WNOHANG) == 0;
	close($sim->{fh});
	$sim->{pid} = 0;
}

# ctl(SIM, COMMAND): one control-port command, its one-line reply
sub ctl
{
	my ($sim, $cmd) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $sim->{control}, Proto => 'tcp')
	  or die "control port: $!";
	print $s "$cmd\n";
	my $reply = <$s>;
	close($s);
	$reply //= '';
	chomp $reply;
	$reply =~ s/\r$//;
	return $reply;
}

# sim_log_count(LOG, REGEX): lines of the traffic log matching
sub sim_log_count
{
	my ($log, $re) = @_;
	open(my $fh, '<', $log) or return 0;
	my $n = 0;
	while (<$fh>) { $n++ if /$re/; }
	close($fh);
	return $n;
}

# sim_has_call(SIM, NUMBER): true once the PBX has a call to NUMBER (it
# received the Originate: the call rings there)
sub sim_has_call
{
	my ($sim, $number) = @_;
	return wait_until(sub { ctl($sim, 'calls') =~ /"number": "[^"]*$number"/ }, "the PBX has a call to $number", 20);
}

# sim_answered(LOG, ATTEMPT): true once the PBX has reported attempt
# ATTEMPT's call answered (an OriginateResponse with Reason 4 in its log)
sub sim_answered
{
	my ($log, $attempt) = @_;
	my $re = qr/<< Event: OriginateResponse\n(?:\[c\d+\] << (?!Event:)[^\n]*\n)*?\[c\d+\] << Reason: 4\n\[c\d+\] << Uniqueid: bankcrm-\d+-$attempt-a\n/;
	return wait_until(
		sub {
			open(my $fh, '<', $log) or return 0;
			local $/;
			my $text = <$fh>;
			close($fh);
			return ($text // '') =~ $re;
		},
		"the PBX answered attempt $attempt", 20);
}

# originates_per_attempt(LOG): { attempt id => number of Originates sent }
sub originates_per_attempt
{
	my ($log) = @_;
	my %n;
	open(my $fh, '<', $log) or return \%n;
	while (<$fh>)
	{
		$n{$1}++ if />> ChannelId: bankcrm-\d+-(\d+)-a/;
	}
	close($fh);
	return \%n;
}

1;
