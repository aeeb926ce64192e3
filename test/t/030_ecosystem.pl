# test/t/030_ecosystem.pl: bankcrm among the other pieces of a server.
#
# Starts a small cluster of its own (test/lib.sh cluster_start) with
# pg_cron preloaded beside bankcrm, configured with the lines doc/install.md
# shows, and runs the SQL blocks of doc/install.md as they stand:
#  - the three nightly jobs schedule with cron.schedule_in_database, and a job
#    scheduled every minute runs score_all, segment_refresh_all and
#    score_history_prune as the jobs' role and scores the bank;
#  - the clean removal leaves nothing of bankcrm in the catalogues (no
#    schema bankcrm, bankcrm_churn or bankcrm_truth, no role, no object), and
#    keeps a user's own table that lived in schema bankcrm, with its rows.
# Skipped, with the reason, when pg_cron cannot be installed.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use BankcrmTest;

my $top = abs_path(dirname(__FILE__) . '/../..');
chdir $top or die "cd $top: $!";

my $skip = `bash -c '. test/lib.sh; cron_ensure && echo OK || echo "\$CRON_SKIP"' 2>&1`;
chomp $skip;
plan skip_all => "pg_cron: $skip" if $skip !~ /(^|\n)OK$/;

# the doc's blocks, by section
open(my $fh, '<', 'doc/install.md') or die "doc/install.md: $!";
my $doc = do { local $/; <$fh> };
close $fh;
sub blocks
{
	my ($section) = @_;
	my ($body) = $doc =~ /^## \Q$section\E\n(.*?)(?=^## |\z)/ms or die "no section $section";
	my @b;
	while ($body =~ /^```(\w*)\n(.*?)^```/msg) { push @b, [ $1, $2 ]; }
	return @b;
}
my @cron = blocks('Scheduling the nightly jobs with pg_cron');
my @removal = blocks('Removing it');
my ($conf) = map { $_->[1] } grep { $_->[0] eq '' } @cron;
my ($schedule) = map { $_->[1] } grep { $_->[0] eq 'sql' } @cron;
my @removal_sql = map { $_->[1] } grep { $_->[0] eq 'sql' } @removal;
ok($conf =~ /pg_cron/ && $schedule =~ /score_all/ && @removal_sql == 2, 'doc/install.md shows the set-up and the removal');

# a cluster of our own, with the doc's settings
my $dir = tempdir('/tmp/bankcrm-eco.XXXXXX', CLEANUP => 1);
chmod 0755, $dir;
open($fh, '>', "$dir/eco.conf") or die;
print $fh $conf;
close $fh;
my $port = `bash -c '. test/lib.sh; cluster_start $dir $dir/eco.conf >/dev/null && echo \$PGPORT'`;
chomp $port;
die "the cluster did not start:\n" . `tail -20 $dir/server.log` unless $port =~ /^\d+$/;
$ENV{PGHOST} = $dir;
$ENV{PGPORT} = $port;
$ENV{PGUSER} = 'postgres';

END
{
	system("bash -c '. test/lib.sh; cluster_stop $dir'") if $dir && -f "$dir/data/postmaster.pid";
}

# a bank in database "bank", the name the doc uses
psql_script('postgres', 'CREATE DATABASE bank');
psql_script('bank', 'CREATE EXTENSION bankcrm');
my $load = `test/data/load --size ci --dbname bank 2>&1`;
is($?, 0, 'the ci bank loads') or diag($load);
psql_script('bank', "INSERT INTO bankcrm.segment (name, kind, rule) VALUES ('cron test', 'rule', 'kind = ''individual'' AND status = ''active''')");

# the doc's schedule, verbatim
psql_script('postgres', $schedule);
is(psql_script('postgres', "SELECT string_agg(jobname || ' ' || schedule || ' ' || database || ' ' || username, ', ' ORDER BY jobname) FROM cron.job"),
	'bankcrm prune 0 3 * * 0 bank bankcrm_jobs, bankcrm score 0 1 * * * bank bankcrm_jobs, bankcrm segments 30 1 * * * bank bankcrm_jobs',
	'the three nightly jobs are scheduled');

# the same three commands every minute: pg_cron runs them as bankcrm_jobs
my $commands = join('; ', $schedule =~ /\$\$(.*?)\$\$/g);
is(scalar(() = $commands =~ /bankcrm\./g), 3, 'three commands in the doc');
psql_script('postgres', "SELECT cron.schedule_in_database('bankcrm now', '* * * * *', \$\$$commands\$\$, 'bank', 'bankcrm_jobs')");
ok(poll_until('postgres', "SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		  WHERE j.jobname = 'bankcrm now' AND d.status IN ('succeeded', 'failed')", 't', 80), 'pg_cron ran the job within its minute');
my ($status, $msg) = split /\|/, psql_script('postgres',
	"SELECT d.status, d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	  WHERE j.jobname = 'bankcrm now' AND d.status IN ('succeeded', 'failed') ORDER BY d.runid LIMIT 1"), 2;
is($status, 'succeeded', 'pg_cron ran score_all, segment_refresh_all and score_history_prune') or diag($msg);
psql_script('postgres', "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'bankcrm now'");
ok(psql_script('bank', 'SELECT count(*) FROM bankcrm.party_score') > 0, 'the job scored the bank');
ok(psql_script('bank', 'SELECT count(*) FROM bankcrm.score_run_log') > 0, 'and score_run_log has its run');
ok(psql_script('bank', "SELECT count(*) FROM bankcrm.segment_member m JOIN bankcrm.segment s USING (segment_id) WHERE s.name = 'cron test'") > 0,
	'and refreshed the segment');

# a user's own table in schema bankcrm, with grants to the roles, and a login
# role that is a member of one of them
psql_script('bank', q{
	CREATE TABLE bankcrm.my_notes (party_id bigint PRIMARY KEY, note text);
	INSERT INTO bankcrm.my_notes SELECT party_id, 'call back' FROM bankcrm.party ORDER BY party_id LIMIT 3;
	GRANT SELECT ON bankcrm.my_notes TO bankcrm_analyst, bankcrm_rm;
	CREATE ROLE eco_rm LOGIN IN ROLE bankcrm_rm;
});
ok(psql_script('bank', "SELECT count(*) FROM pg_namespace WHERE nspname = 'bankcrm_truth'") == 1, 'the loader made bankcrm_truth');
# a second database that used bankcrm too (the roles are shared)
psql_script('postgres', 'CREATE DATABASE bank2');
psql_script('bank2', 'CREATE EXTENSION bankcrm');

# the doc's removal, verbatim: the first block in each database, then the roles
psql_script('postgres', "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'bankcrm %'");
psql_script('bank', $removal_sql[0]);
psql_script('bank2', $removal_sql[0]);
psql_script('postgres', 'DROP ROLE bankcrm_jobs');
psql_script('postgres', $removal_sql[1]);

for my $db ('bank', 'bank2')
{
	is(psql_script($db, q{
		SELECT concat_ws(' ',
		  (SELECT string_agg(nspname, ',') FROM pg_namespace WHERE nspname LIKE 'bankcrm%'),
		  (SELECT string_agg(extname, ',') FROM pg_extension WHERE extname = 'bankcrm'),
		  (SELECT string_agg(proname, ',') FROM pg_proc WHERE proname LIKE '%credit_rating%' OR proname LIKE 'svg\_%'),
		  (SELECT string_agg(typname, ',') FROM pg_type WHERE typname IN ('credit_rating', 'phone')))}), '',
		"$db: no schema, extension, function or type of bankcrm is left");
}
is(psql_script('postgres', "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'bankcrm%'"), '0', 'the five roles are gone');
is(psql_script('postgres', "SELECT count(*) FROM pg_shdepend WHERE refobjid NOT IN (SELECT oid FROM pg_roles) AND refclassid = 'pg_authid'::regclass"),
	'0', 'no dependency on a dropped role is left');
is(psql_script('bank', 'SELECT count(*) FROM public.my_notes'), '3', "the user's table is kept, with its rows, in public");
is(psql_script('postgres', "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'eco_rm'"), 't', 'the login role stays');

done_testing();
