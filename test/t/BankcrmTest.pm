# test/t/BankcrmTest.pm: what the Perl TAP suites (test/t/*.pl, and
# test/dialer/DialerTest.pm for the dialer's) share: running SQL with psql,
# waiting for a state instead of for a time, reading the server log.
#
# Each suite runs against one cluster: the one test/run started (PGHOST,
# PGPORT, PGUSER in the environment; the server log is PGHOST/server.log),
# or one of its own started with test/lib.sh (030_ecosystem.pl).
#
#   psql(DB, SQL)                 unaligned, tuples-only output; dies on error
#                                 (psql -c: the statements in one transaction)
#   psql_script(DB, SQL)          the same, the SQL run as a script
#   psql_try(DB, SQL)             (output, exit status), errors in the output
#   poll_until(DB, SQL, WANT, S)  true once SQL returns WANT (S seconds at most)
#   run_ok(CMD, NAME)             a shell command succeeds (a test)
#   reload()                      pg_reload_conf()
#   log_offset(), log_since(OFF)  the server log from a point on
#   wait_for_log(RE, OFF, S)      true once the log after OFF matches RE
#   wait_until(CODE, WHAT, S)     true once CODE returns true (S seconds at most)
#   quiet_for(S, WHAT)            let S seconds pass: the one place a suite
#                                 waits for a time, for what must NOT happen
#                                 within it (or a rate measured over it)
#   free_port()                   a free TCP port on loopback
package BankcrmTest;

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(psql psql_try psql_script poll_until run_ok reload log_offset log_since wait_for_log
  wait_until quiet_for free_port);

# run psql on DB: with -c (the SQL as one query string: its statements
# run in one implicit transaction, as a client sends them) or, as a
# script, from standard input (statement after statement, each committed)
sub run_psql
{
	my ($db, $sql, $script) = @_;
	my $pid = open(my $fh, '-|');
	die "cannot fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDERR, '>&', \*STDOUT);
		my @cmd = ('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db);
		exec(@cmd, '-c', $sql) or die "cannot run psql: $!" unless $script;
		open(my $in, '|-', @cmd, '-f', '-') or die "cannot run psql: $!";
		print $in $sql;
		close($in);
		# not exit(): the END blocks of Test::More would run in this child
		POSIX::_exit($? >> 8);
	}
	my $out = do { local $/; <$fh> };
	close($fh);
	my $rc = $? >> 8;
	$out = '' unless defined $out;
	chomp $out;
	return ($out, $rc);
}

# psql_try(DB, SQL): (output, exit status), errors in the output
sub psql_try
{
	my ($db, $sql) = @_;
	return run_psql($db, $sql, 0);
}

sub psql
{
	my ($db, $sql) = @_;
	my ($out, $rc) = run_psql($db, $sql, 0);
	die "psql failed on $db: $sql\n$out" if $rc != 0;
	return $out;
}

# psql_script(DB, SQL): the SQL as a script, statement after statement
sub psql_script
{
	my ($db, $sql) = @_;
	my ($out, $rc) = run_psql($db, $sql, 1);
	die "psql failed on $db: $sql\n$out" if $rc != 0;
	return $out;
}

# poll_until(DB, SQL, WANT, SECONDS): as PostgreSQL::Test::Cluster's
# poll_query_until, a query run again every 0.1 s until it returns WANT
sub poll_until
{
	my ($db, $sql, $want, $seconds) = @_;
	my $deadline = time() + ($seconds // 30);
	my $last = '';
	while (time() < $deadline)
	{
		my ($out, $rc) = psql_try($db, $sql);
		$last = $out;
		return 1 if $rc == 0 && $out eq $want;
		sleep(0.1);
	}
	diag("poll_until timed out: $sql\n  wanted: $want\n  last:   $last");
	return 0;
}

sub run_ok
{
	my ($cmd, $name) = @_;
	my $out = `$cmd 2>&1`;
	ok($? == 0, $name) or diag($out);
}

sub reload
{
	psql('postgres', 'SELECT pg_reload_conf()');
}

sub logfile
{
	return "$ENV{PGHOST}/server.log";
}

sub log_offset
{
	return -s logfile() // 0;
}

sub log_since
{
	my ($offset) = @_;
	open(my $fh, '<', logfile()) or return '';
	seek($fh, $offset // 0, 0);
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text // '';
}

# wait_for_log(RE, OFFSET, SECONDS): as PostgreSQL::Test::Cluster's
# wait_for_log: true once the log written after OFFSET matches RE
sub wait_for_log
{
	my ($re, $offset, $seconds) = @_;
	my $deadline = time() + ($seconds // 30);
	while (time() < $deadline)
	{
		return 1 if log_since($offset) =~ $re;
		sleep(0.1);
	}
	diag("wait_for_log timed out: $re");
	return 0;
}

# wait_until(CODE, WHAT, SECONDS): true once CODE returns true, tried again
# every 0.1 s (an event outside the database: a simulator's log, a PBX)
sub wait_until
{
	my ($code, $what, $seconds) = @_;
	my $deadline = time() + ($seconds // 30);
	while (time() < $deadline)
	{
		return 1 if $code->();
		sleep(0.1);
	}
	diag("wait_until timed out: $what");
	return 0;
}

# quiet_for(SECONDS, WHAT): the only fixed wait of the suites.  Everything
# that happens is waited for as an event (poll_until, wait_for_log,
# wait_until); a time is waited for only to show that something does not
# happen within it, or to count what happens over it.  WHAT says which.
sub quiet_for
{
	my ($seconds, $what) = @_;
	die "quiet_for needs a reason" unless defined $what && $what ne '';
	note("waiting ${seconds} s: $what");
	sleep($seconds);
}

sub free_port
{
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
	  or die "no free port: $!";
	my $port = $s->sockport;
	close($s);
	return $port;
}

1;
