# test/t/001_dump_restore.pl: pg_dump of a database with bankcrm and a
# synthetic bank, restored into a fresh database, gives identical data.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER).
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use FindBin;
use lib $FindBin::Bin;
use BankcrmTest;

my $src = 'bankcrm_dump_src';
my $dst = 'bankcrm_dump_dst';
my $dir = tempdir(CLEANUP => 1);

psql('postgres', "DROP DATABASE IF EXISTS $_") for ($src, $dst);
psql('postgres', "CREATE DATABASE $src");
psql($src, 'CREATE EXTENSION bankcrm');
run_ok("test/data/load --size ci --parties 2000 --dbname $src", 'synthetic bank loaded');
# scored, so that the scores, their history, the cross-sell rules and the run
# log travel with the dump too
psql($src, "SELECT parties FROM bankcrm.score_all(NULL, '2026-11-16')");
# a refreshed segment and a campaign with leads: members, history, leads
# (the SQL goes through a shell's double quotes: no dollar quoting)
psql($src, q{INSERT INTO bankcrm.segment (name, kind, rule) VALUES ('restore test', 'rule', 'kind = ''individual'' AND value_tier IN (''key'', ''general'')')});
psql($src, q{SELECT total FROM bankcrm.segment_refresh((SELECT segment_id FROM bankcrm.segment WHERE name = 'restore test'))});
psql($src, q{INSERT INTO bankcrm.campaign (name, product_id, state) SELECT 'restore drive', min(product_id), 'active' FROM bankcrm.product});
psql($src, q{INSERT INTO bankcrm.lead (campaign_id, party_id, process_name, state)
	SELECT c.campaign_id, m.party_id, 'outbound_sale', 'review_customer'
	  FROM bankcrm.campaign c, (SELECT party_id FROM bankcrm.segment_member ORDER BY party_id LIMIT 20) m
	 WHERE c.name = 'restore drive'});

# tables of the extension (its two schemas), each with a digest of its
# ordered contents
my $digest_sql = q{
SELECT string_agg(format('%s=%s', c.relname,
         pg_temp.bankcrm_t_digest(c.oid::regclass)), ' ' ORDER BY c.relname)
  FROM pg_class c
 WHERE c.relnamespace IN ('bankcrm'::regnamespace, 'bankcrm_churn'::regnamespace) AND c.relkind = 'r'};
my $fn = q{
CREATE FUNCTION pg_temp.bankcrm_t_digest(t regclass) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
  -- churn_dirty is the monitor's queue: which parties, not when they were marked
  EXECUTE format('SELECT count(*) || '':'' || coalesce(md5(string_agg(x::text, ''|'' ORDER BY x::text)), '''') FROM (SELECT %s FROM %s) x',
                 CASE WHEN t = 'bankcrm_churn.churn_dirty'::regclass THEN 'party_id' ELSE '*' END, t) INTO d;
  RETURN d;
END $f$};

sub digests
{
	my ($db) = @_;
	return psql_script($db, $fn . ";\n" . $digest_sql . ";\n");
}

my $before = digests($src);
like($before, qr/party=\d{4,}:/, 'source has parties');
like($before, qr/party_score=\d{4,}:/, 'source has scores');
like($before, qr/score_run_log=1:/, 'and the log of the run');
like($before, qr/segment_member=\d+:/, 'segment members');
like($before, qr/ lead=20:/, 'and leads');

run_ok("pg_dump -Fc -f $dir/bank.dump $src", 'pg_dump -Fc');
psql('postgres', "CREATE DATABASE $dst");
run_ok("pg_restore --exit-on-error -d $dst $dir/bank.dump", 'pg_restore into a fresh database');
is(digests($dst), $before, 'custom-format dump: every table identical after restore');

psql('postgres', "DROP DATABASE $dst");
psql('postgres', "CREATE DATABASE $dst");
run_ok("pg_dump -Fp -f $dir/bank.sql $src", 'pg_dump plain');
run_ok("psql -X -q -v ON_ERROR_STOP=1 -d $dst -f $dir/bank.sql", 'plain dump restored with psql');
is(digests($dst), $before, 'plain dump: every table identical after restore');

# identity sequences continue after the restored rows
my $next = psql($dst, "INSERT INTO bankcrm.contact (party_id, channel, outcome) SELECT min(party_id), 'web', 'completed' FROM bankcrm.party RETURNING contact_id");
my $max_src = psql($src, 'SELECT coalesce(max(contact_id), 0) FROM bankcrm.contact');
ok($next > $max_src, 'restored identity sequences continue after the restored rows');

# the extension still works after the restore
is(psql($dst, "SELECT extversion FROM pg_extension WHERE extname = 'bankcrm'"), psql($dst, "SELECT default_version FROM pg_available_extensions WHERE name = 'bankcrm'"), 'extension restored at the default version');
# and rescoring the restored bank finds every score as it was: nothing to write
psql($dst, "SELECT parties FROM bankcrm.score_all(NULL, '2026-11-16')");
is(psql($dst, "SELECT format('%s %s %s %s', scores_updated, scores_inserted, scores_deleted, history_inserted + history_updated) FROM bankcrm.score_run_log ORDER BY run_id DESC LIMIT 1"),
	'0 0 0 0', 'the restored bank rescores to the same scores');

psql('postgres', "DROP DATABASE $_") for ($src, $dst);
done_testing();
