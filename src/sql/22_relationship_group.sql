-- src/sql/22_relationship_group.sql
-- households and corporate groups: the connected parts of party_relation
--
-- Two parties are in one relationship group when a chain of household or
-- parent_company relations joins them, whichever way each relation points,
-- through parties that are not closed.  A group is named by its lowest
-- party_id.  relationship_group holds one row per party in a group of two
-- or more; row triggers on party_relation and on party's status keep it
-- current on one node, by recomputing the groups of the parties a change
-- touches.  On Citus the triggers run in the shards, which cannot follow a
-- chain into other shards: there relationship_group_refresh() recomputes
-- every group after changes (doc/concepts.md).  The table is derived: it is
-- not dumped, and the triggers rebuild it when a dump is restored.  Guarantees do not join
-- groups: guarantor_chain follows them for credit staff.

CREATE TABLE @extschema@.relationship_group (
	party_id    bigint NOT NULL PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	group_id    bigint NOT NULL,
	kind        text NOT NULL CONSTRAINT relationship_group_kind_check CHECK (kind IN ('household', 'corporate', 'mixed')),
	members     integer NOT NULL CONSTRAINT relationship_group_members_check CHECK (members >= 2)
);
COMMENT ON TABLE @extschema@.relationship_group IS 'The household or corporate group of each party that has one: parties joined by household or parent_company relations through parties that are not closed';
COMMENT ON COLUMN @extschema@.relationship_group.group_id IS 'The lowest party_id of the group';
COMMENT ON COLUMN @extschema@.relationship_group.kind IS 'household (household relations only), corporate (parent_company only) or mixed';
COMMENT ON COLUMN @extschema@.relationship_group.members IS 'Parties in the group';
CREATE INDEX relationship_group_group_idx ON @extschema@.relationship_group (group_id);

-- the groups of the given parties, each party with its group: the chains
-- of live relations from each seed, followed both ways; UNION stops at
-- parties already reached, so cycles end.  edges names the relation rows
-- to follow: NULL for party_relation itself, or a table of (party_id,
-- related_party_id, kind) with the live relations only
CREATE FUNCTION @extschema@.relationship_group_of(seeds bigint[], edges regclass DEFAULT NULL)
RETURNS TABLE (party_id bigint, group_id bigint, kind text, members integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	src text;
	out_e text;
	in_e text;
BEGIN
	IF edges IS NULL THEN
		out_e := format('SELECT e.related_party_id AS other, e.kind FROM %1$I.party_relation e '
		                'JOIN %1$I.party q ON q.party_id = e.related_party_id AND q.status <> ''closed'' '
		                'WHERE e.party_id = r.node AND e.kind IN (''household'', ''parent_company'')', '@extschema@');
		in_e := format('SELECT e.party_id, e.kind FROM %1$I.party_relation e '
		               'JOIN %1$I.party q ON q.party_id = e.party_id AND q.status <> ''closed'' '
		               'WHERE e.related_party_id = r.node AND e.kind IN (''household'', ''parent_company'')', '@extschema@');
		src := format('SELECT s FROM pg_catalog.unnest($1) s JOIN %I.party p ON p.party_id = s AND p.status <> ''closed''',
		              '@extschema@');
	ELSE
		out_e := format('SELECT e.related_party_id AS other, e.kind FROM %s e WHERE e.party_id = r.node', edges);
		in_e := format('SELECT e.party_id, e.kind FROM %s e WHERE e.related_party_id = r.node', edges);
		src := 'SELECT s FROM pg_catalog.unnest($1) s';
	END IF;
	RETURN QUERY EXECUTE format(
		'WITH RECURSIVE reach (seed, node, kind) AS ('
		'  SELECT DISTINCT s.s, s.s, NULL::text FROM (%s) s'
		'  UNION'
		'  SELECT r.seed, x.other, x.kind FROM reach r'
		'  CROSS JOIN LATERAL (%s UNION ALL %s) x'
		'), comp AS ('
		'  SELECT r.seed, pg_catalog.min(r.node) AS group_id, pg_catalog.count(DISTINCT r.node)::integer AS members,'
		'         CASE WHEN pg_catalog.bool_and(r.kind = ''household'') THEN ''household'''
		'              WHEN pg_catalog.bool_and(r.kind = ''parent_company'') THEN ''corporate'''
		'              ELSE ''mixed'' END AS kind'
		'    FROM reach r GROUP BY r.seed'
		') '
		'SELECT DISTINCT r.node, c.group_id, c.kind, c.members'
		'  FROM reach r JOIN comp c ON c.seed = r.seed'
		' WHERE c.members >= 2', src, out_e, in_e)
	USING seeds;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass) IS 'Every party of the groups of the given parties, with its group (lowest party_id), kind and size; groups of one are left out';

-- rewrite the rows of the given parties and of everyone in their groups
CREATE FUNCTION @extschema@.relationship_group_touch(seeds bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	affected bigint[];
	n integer;
BEGIN
	-- one upkeep at a time, to the end of the transaction: a relation that
	-- joins two groups must see the relation another transaction is adding
	-- (read committed: each statement below sees what committed before it)
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('bankcrm.relationship_group'));
	affected := ARRAY(SELECT DISTINCT x FROM (
	                    SELECT unnest(seeds) AS x
	                    UNION ALL
	                    SELECT g.party_id FROM @extschema@.relationship_group g
	                     WHERE g.group_id IN (SELECT o.group_id FROM @extschema@.relationship_group o
	                                           WHERE o.party_id = ANY (seeds))) a
	                   WHERE x IS NOT NULL);
	WITH n AS (SELECT * FROM @extschema@.relationship_group_of(affected)),
	     gone AS (DELETE FROM @extschema@.relationship_group g
	               WHERE g.party_id = ANY (affected)
	                 AND NOT EXISTS (SELECT 1 FROM n WHERE n.party_id = g.party_id))
	INSERT INTO @extschema@.relationship_group AS g (party_id, group_id, kind, members)
	SELECT n.party_id, n.group_id, n.kind, n.members FROM n
	ON CONFLICT ON CONSTRAINT relationship_group_pkey DO UPDATE
	   SET group_id = EXCLUDED.group_id, kind = EXCLUDED.kind, members = EXCLUDED.members
	 WHERE (g.group_id, g.kind, g.members) IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.kind, EXCLUDED.members);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_touch(bigint[]) IS 'Recomputes the groups of the given parties and of the members of their current groups, and writes the rows that changed; returns the rows inserted or changed';

-- every group again, from a copy of the live relations: on Citus the
-- relations and the closed parties are gathered on the coordinator, where
-- the chains are followed
CREATE FUNCTION @extschema@.relationship_group_refresh()
RETURNS TABLE (groups bigint, parties bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
	DROP TABLE IF EXISTS pg_temp.relationship_group_edges, pg_temp.relationship_group_closed,
		pg_temp.relationship_group_all;
	CREATE TEMP TABLE relationship_group_edges ON COMMIT DROP AS
	SELECT r.party_id, r.related_party_id, r.kind
	  FROM @extschema@.party_relation r
	 WHERE r.kind IN ('household', 'parent_company');
	CREATE TEMP TABLE relationship_group_closed ON COMMIT DROP AS
	SELECT p.party_id FROM @extschema@.party p WHERE p.status = 'closed';
	DELETE FROM relationship_group_edges e
	 WHERE e.party_id IN (SELECT c.party_id FROM relationship_group_closed c)
	    OR e.related_party_id IN (SELECT c.party_id FROM relationship_group_closed c);
	CREATE INDEX ON relationship_group_edges (party_id);
	CREATE INDEX ON relationship_group_edges (related_party_id);
	ANALYZE relationship_group_edges;
	CREATE TEMP TABLE relationship_group_all ON COMMIT DROP AS
	SELECT * FROM @extschema@.relationship_group_of(
		ARRAY(SELECT e.party_id FROM relationship_group_edges e
		      UNION SELECT e.related_party_id FROM relationship_group_edges e),
		'pg_temp.relationship_group_edges'::regclass);
	DELETE FROM @extschema@.relationship_group g
	 WHERE g.party_id NOT IN (SELECT n.party_id FROM relationship_group_all n);
	INSERT INTO @extschema@.relationship_group AS g (party_id, group_id, kind, members)
	SELECT n.party_id, n.group_id, n.kind, n.members FROM relationship_group_all n
	ON CONFLICT ON CONSTRAINT relationship_group_pkey DO UPDATE
	   SET group_id = EXCLUDED.group_id, kind = EXCLUDED.kind, members = EXCLUDED.members
	 WHERE (g.group_id, g.kind, g.members) IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.kind, EXCLUDED.members);
	RETURN QUERY SELECT pg_catalog.count(DISTINCT n.group_id), pg_catalog.count(*) FROM relationship_group_all n;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_refresh() IS 'Recomputes every relationship group from the live household and parent_company relations and writes the difference; returns the numbers of groups and of parties in them';

-- upkeep on one node: the groups of the parties a change touches
CREATE FUNCTION @extschema@.relationship_group_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	-- a shard of Citus (party_relation_102008) cannot follow chains into
	-- other shards: relationship_group_refresh() keeps the groups there
	IF TG_TABLE_NAME NOT IN ('party_relation', 'party') THEN
		RETURN NULL;
	END IF;
	IF TG_TABLE_NAME = 'party' THEN
		PERFORM @extschema@.relationship_group_touch(ARRAY[NEW.party_id]);
	ELSIF TG_OP = 'INSERT' THEN
		IF NEW.kind IN ('household', 'parent_company') THEN
			PERFORM @extschema@.relationship_group_touch(ARRAY[NEW.party_id, NEW.related_party_id]);
		END IF;
	ELSIF TG_OP = 'DELETE' THEN
		IF OLD.kind IN ('household', 'parent_company') THEN
			PERFORM @extschema@.relationship_group_touch(ARRAY[OLD.party_id, OLD.related_party_id]);
		END IF;
	ELSIF OLD.kind IN ('household', 'parent_company') OR NEW.kind IN ('household', 'parent_company') THEN
		PERFORM @extschema@.relationship_group_touch(ARRAY[OLD.party_id, OLD.related_party_id,
		                                                   NEW.party_id, NEW.related_party_id]);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_trigger() IS 'Keeps relationship_group current when a household or parent_company relation is added, changed or removed, or a party is closed or reopened';
CREATE TRIGGER relationship_group_upkeep AFTER INSERT OR UPDATE OR DELETE ON @extschema@.party_relation
	FOR EACH ROW EXECUTE FUNCTION @extschema@.relationship_group_trigger();
CREATE TRIGGER relationship_group_upkeep AFTER UPDATE OF status ON @extschema@.party
	FOR EACH ROW WHEN ((OLD.status = 'closed') IS DISTINCT FROM (NEW.status = 'closed'))
	EXECUTE FUNCTION @extschema@.relationship_group_trigger();

-- guarantor chains: who guarantees whom, directly or through others.  The
-- guarantees are read first and the chains followed over that copy: Citus
-- follows no recursive query over the shards
CREATE FUNCTION @extschema@.guarantor_chain_rows()
RETURNS TABLE (guarantor_id bigint, party_id bigint, depth integer, path bigint[], status text, loans numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	borrowers bigint[];
	guarantors bigint[];
	gs bigint[];
	ps bigint[];
	ds integer[];
	paths text[];
BEGIN
	SELECT pg_catalog.array_agg(r.party_id ORDER BY r.party_id, r.related_party_id),
	       pg_catalog.array_agg(r.related_party_id ORDER BY r.party_id, r.related_party_id)
	  INTO borrowers, guarantors
	  FROM @extschema@.party_relation r
	 WHERE r.kind = 'guarantor';
	WITH RECURSIVE e (b, g) AS (SELECT * FROM unnest(borrowers, guarantors)),
	chain (g, p, d, path) AS (
		SELECT e.g, e.b, 1, ARRAY[e.g, e.b] FROM e
		UNION ALL
		SELECT c.g, e.b, c.d + 1, c.path || e.b
		  FROM chain c JOIN e ON e.g = c.p
		 WHERE NOT e.b = ANY (c.path)
	)
	SELECT pg_catalog.array_agg(c.g), pg_catalog.array_agg(c.p), pg_catalog.array_agg(c.d),
	       pg_catalog.array_agg(c.path::text)
	  INTO gs, ps, ds, paths
	  FROM chain c;
	RETURN QUERY
	SELECT u.g, u.p, u.d, u.path::bigint[], pa.status, COALESCE(b.loans, 0)::numeric
	  FROM unnest(gs, ps, ds, paths) u (g, p, d, path)
	  JOIN (SELECT q.party_id, q.status FROM @extschema@.party q WHERE q.party_id = ANY (ps)) pa ON pa.party_id = u.p
	  LEFT JOIN (SELECT h.party_id, pg_catalog.sum(h.balance)::numeric(18, 2) AS loans
	               FROM @extschema@.holding h
	               JOIN @extschema@.product pr ON pr.product_id = h.product_id AND pr.category IN ('loan', 'card')
	              WHERE h.closed_on IS NULL AND h.party_id = ANY (ps)
	              GROUP BY h.party_id) b ON b.party_id = u.p;
END
$$;
COMMENT ON FUNCTION @extschema@.guarantor_chain_rows() IS 'The rows of guarantor_chain, with the caller''s rights';

CREATE VIEW @extschema@.guarantor_chain
WITH (security_invoker = true) AS
SELECT c.guarantor_id, c.party_id, c.depth, c.path, c.status, c.loans
  FROM @extschema@.guarantor_chain_rows() c;
COMMENT ON VIEW @extschema@.guarantor_chain IS 'Every party a guarantor stands behind, directly (depth 1) or as guarantor of a guarantor (depth 2 and more), with the chain and the party''s loans; a chain stops where it would come back to a party already on it; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.guarantor_chain.guarantor_id IS 'The party that guarantees';
COMMENT ON COLUMN @extschema@.guarantor_chain.party_id IS 'A party whose debts the guarantor stands behind, directly or through the chain';
COMMENT ON COLUMN @extschema@.guarantor_chain.depth IS '1 when the guarantor guarantees the party itself, 2 when it guarantees a guarantor of the party, and so on';
COMMENT ON COLUMN @extschema@.guarantor_chain.path IS 'The chain from the guarantor to the party';
COMMENT ON COLUMN @extschema@.guarantor_chain.loans IS 'Loan and card balances of the party''s open holdings, CNY';

CREATE VIEW @extschema@.guarantor_exposure
WITH (security_invoker = true) AS
SELECT g.guarantor_id,
       pg_catalog.count(*) FILTER (WHERE g.nearest = 1) AS direct_parties,
       pg_catalog.count(*) AS parties,
       pg_catalog.max(g.farthest) AS longest_chain,
       pg_catalog.sum(g.loans) AS exposure
  FROM (SELECT c.guarantor_id, c.party_id, pg_catalog.min(c.depth) AS nearest, pg_catalog.max(c.depth) AS farthest,
               pg_catalog.max(c.loans) AS loans
          FROM @extschema@.guarantor_chain c
         GROUP BY c.guarantor_id, c.party_id) g
 GROUP BY g.guarantor_id;
COMMENT ON VIEW @extschema@.guarantor_exposure IS 'Per guarantor: the parties it guarantees directly, all it stands behind through chains, the longest chain and the exposure (loans of each such party, counted once); row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.guarantor_exposure.exposure IS 'Sum of the loans of every party the guarantor stands behind, each counted once, CNY';

-- privileges: in 42_group_rollup.sql, after the roles (30_security.sql)
