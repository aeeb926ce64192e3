# test/t/002_upgrade.pl: the update path from every earlier release.
#
# For each release older than the default version that PostgreSQL offers
# (pg_available_extension_versions: the frozen install scripts of
# src/sql/releases/ and the update scripts of src/sql/updates/, installed by
# make install): install that release, load a synthetic bank into it and
# score it, ALTER EXTENSION bankcrm UPDATE, then check that
#   - the catalogue of what the extension owns (test/upgrade/catalog.sql)
#     equals that of a fresh CREATE EXTENSION of the default version, and
#   - every row of every table is still there (a digest over the columns
#     the table had before the update).
# And that the install script is accounted for: the default version is
# either a release, whose built script equals its frozen copy byte for byte
# (a change to src/sql after a release must come as a new version with its
# update script), or a version in development reachable by an update path
# from the newest release.
#
# Runs against the cluster test/run started (PGHOST, PGPORT, PGUSER), from
# the top of the source tree.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Compare;
use FindBin;
use lib $FindBin::Bin;
use BankcrmTest;

my $dir = tempdir(CLEANUP => 1);

sub catalog
{
	my ($db) = @_;
	my $out = `psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db -f test/upgrade/catalog.sql 2>&1`;
	die "catalog failed on $db: $out" if $? != 0;
	return $out;
}

# every table of the extension's schemas with its columns, and a digest of
# its ordered contents over those columns
my $digest_fn = q{
CREATE FUNCTION pg_temp.t_digest(t regclass, cols text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
  EXECUTE format('SELECT count(*) || '':'' || coalesce(md5(string_agg(x::text, ''|'' ORDER BY x::text)), '''') FROM (SELECT %s FROM %s) x',
                 cols, t) INTO d;
  RETURN d;
END $f$;
};
my $columns_sql = q{
SELECT format('%s.%s', n.nspname, c.relname) || E'\t'
       || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('bankcrm', 'bankcrm_churn') AND c.relkind IN ('r', 'p')
   AND NOT c.relispartition
 ORDER BY 1;
};

sub digests
{
	my ($db, $tables) = @_;
	my $sql = $digest_fn . "SELECT string_agg(t || '=' || pg_temp.t_digest(t::regclass, cols), E'\\n' ORDER BY t) FROM (VALUES "
	  . join(', ', map { my ($t, $c) = @$_; $c =~ s/'/''/g; "('$t', '$c')" } @$tables)
	  . ") v(t, cols);";
	return psql_script($db, $sql);
}

my $default = psql_script('postgres', "SELECT default_version FROM pg_available_extensions WHERE name = 'bankcrm'");
ok($default ne '', "bankcrm $default is installed");
my @older = grep { $_ ne '' } split /\n/, psql_script('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'bankcrm' AND version <> '$default' "
	. "ORDER BY string_to_array(version, '.')::int[]");

# the install script is accounted for
my $frozen = "src/sql/releases/bankcrm--$default.sql";
if (-e $frozen)
{
	ok(compare("bankcrm--$default.sql", $frozen) == 0,
		"the install script of release $default is the released one")
	  or diag("src/sql changed after release $default: raise default_version in bankcrm.control, "
		  . "freeze nothing yet, and add src/sql/updates/bankcrm--$default--NEW.sql (doc/releasing.md)");
}
else
{
	ok(@older > 0, "version $default in development has a release to update from");
	my $newest = $older[-1] // '';
	is(psql_script('postgres', "SELECT count(*) FROM pg_extension_update_paths('bankcrm') "
			. "WHERE source = '$newest' AND target = '$default' AND path IS NOT NULL"),
		'1', "an update path leads from release $newest to $default");
}

# a fresh install of the default version, for the comparisons
psql_script('postgres', 'DROP DATABASE IF EXISTS bankcrm_upgrade_fresh');
psql_script('postgres', 'CREATE DATABASE bankcrm_upgrade_fresh');
psql_script('bankcrm_upgrade_fresh', 'CREATE EXTENSION bankcrm');
my $fresh = catalog('bankcrm_upgrade_fresh');
ok(length($fresh) > 10000, 'the catalogue of a fresh install is described');

for my $from (@older)
{
	my $db = 'bankcrm_upgrade_' . ($from =~ s/\W/_/gr);
	psql_script('postgres', "DROP DATABASE IF EXISTS $db");
	psql_script('postgres', "CREATE DATABASE $db");
	psql_script($db, "CREATE EXTENSION bankcrm VERSION '$from'");
	run_ok("test/data/load --size ci --parties 2000 --dbname $db", "$from: synthetic bank loaded");
	psql_script($db, "SELECT parties FROM bankcrm.score_all(NULL, '2026-11-16')");
	my @tables = map { [split /\t/] } grep { $_ ne '' } split /\n/, psql_script($db, $columns_sql);
	my $before = digests($db, \@tables);
	like($before, qr/bankcrm\.party=\d{4,}:/, "$from: the bank has parties");

	psql_script($db, 'ALTER EXTENSION bankcrm UPDATE');
	is(psql_script($db, "SELECT extversion FROM pg_extension WHERE extname = 'bankcrm'"), $default,
		"$from: updated to $default");
	my $updated = catalog($db);
	if ($updated eq $fresh)
	{
		pass("$from: the updated catalogue equals a fresh install of $default");
	}
	else
	{
		fail("$from: the updated catalogue equals a fresh install of $default");
		open(my $a, '>', "$dir/fresh.txt") or die;
		print $a $fresh;
		close $a;
		open(my $b, '>', "$dir/updated.txt") or die;
		print $b $updated;
		close $b;
		diag(`diff -u $dir/fresh.txt $dir/updated.txt | head -80`);
	}
	is(digests($db, \@tables), $before, "$from: every row of every table kept");
	# and it works: a rescore of the same day finds nothing to write
	psql_script($db, "SELECT parties FROM bankcrm.score_all(NULL, '2026-11-16')");
	is(psql_script($db, "SELECT scores_updated + scores_inserted + scores_deleted FROM bankcrm.score_run_log ORDER BY run_id DESC LIMIT 1"),
		'0', "$from: the updated bank rescores to the same scores");
	psql_script('postgres', "DROP DATABASE $db");
}
note(@older ? 'updated from: ' . join(', ', @older) : "no release before $default");

psql_script('postgres', 'DROP DATABASE bankcrm_upgrade_fresh');
done_testing();
