-- src/sql/47_cluster.sql
-- clustering: behavioural segments by k-means over party_features
--
-- A cluster model is k centroids over d features, each feature one numeric
-- expression over party_features checked by the segment rule checker
-- (cluster_check_feature, src/cluster.c).  cluster_fit standardises the
-- features, seeds with greedy k-means++ on a sample ordered by a seeded hash
-- of party_id, moves the centroids with mini-batches of that sample, then
-- runs full passes of the kmeans_pass aggregate (one scan each, parallel
-- safe, merged across shards on Citus) until no centroid moves by more than
-- the tolerance.  cluster_assign makes one segment of kind cluster per
-- centroid; segment_refresh keeps them current as the data changes, and
-- campaigns, overlap and recommendations take them like any segment.

-- the arithmetic (src/cluster.c, src/kmeans.c)
CREATE FUNCTION @extschema@.cluster_check_feature(feature text)
	RETURNS boolean
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cluster_check_feature(text) IS 'Returns true when the text is one numeric expression over party_features built from what segment rules may use; raises an error naming the offending element and its position otherwise';

CREATE FUNCTION @extschema@.kmeans_accum(state double precision[], centroids double precision[], x double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_accum(double precision[], double precision[], double precision[]) IS 'Transition function of kmeans_pass';

CREATE FUNCTION @extschema@.kmeans_combine(a double precision[], b double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_combine(double precision[], double precision[]) IS 'Combine function of kmeans_pass: the sums of two partial passes';

CREATE AGGREGATE @extschema@.kmeans_pass(centroids double precision[], x double precision[]) (
	SFUNC = @extschema@.kmeans_accum,
	STYPE = double precision[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.kmeans_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.kmeans_pass(double precision[], double precision[]) IS 'One k-means pass: for the centroids (k rows of d coordinates) and the points x (d coordinates each; a point with a NULL is skipped), the state {k, d, points, inertia, the count of each cluster, the coordinate sums of each cluster}; read it with kmeans_update, kmeans_inertia, kmeans_sizes and kmeans_points';

CREATE FUNCTION @extschema@.kmeans_update(state double precision[], centroids double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_update(double precision[], double precision[]) IS 'The centroids moved to the means of their points in a kmeans_pass state; a centroid without points stays';

CREATE FUNCTION @extschema@.kmeans_shift(a double precision[], b double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_shift(double precision[], double precision[]) IS 'The largest Euclidean distance between corresponding centroids of two centroid arrays';

CREATE FUNCTION @extschema@.kmeans_inertia(state double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_inertia(double precision[]) IS 'Sum of squared distances of the points of a kmeans_pass to their nearest centroid; NULL for an empty pass';

CREATE FUNCTION @extschema@.kmeans_sizes(state double precision[])
	RETURNS bigint[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_sizes(double precision[]) IS 'Points nearest to each centroid in a kmeans_pass; NULL for an empty pass';

CREATE FUNCTION @extschema@.kmeans_points(state double precision[])
	RETURNS bigint
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_points(double precision[]) IS 'Points counted by a kmeans_pass (those without a NULL coordinate)';

CREATE FUNCTION @extschema@.kmeans_nearest(centroids double precision[], x double precision[])
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_nearest(double precision[], double precision[]) IS 'The 1-based number of the centroid nearest to the point (the lowest on ties); NULL when the point has a NULL coordinate';

CREATE FUNCTION @extschema@.kmeans_start(points double precision[], k integer, seed bigint,
                                         batch_size integer, batches integer)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_start(double precision[], integer, bigint, integer, integer) IS 'Starting centroids for a sample of points (n rows of d coordinates): greedy k-means++ from the seed, then the given number of mini-batches of batch_size points';

CREATE FUNCTION @extschema@.kmeans_silhouette(points double precision[], centroids double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_silhouette(double precision[], double precision[]) IS 'Mean silhouette of the points labelled by their nearest centroid (-1 to 1, higher is better separated); NULL when fewer than two clusters have points; quadratic in the points';

-- cluster_model, cluster_centroid: the fitted models
CREATE TABLE @extschema@.cluster_model (
	name        text PRIMARY KEY CONSTRAINT cluster_model_name_check CHECK (btrim(name) <> ''),
	features    text[] NOT NULL,
	k           integer NOT NULL CONSTRAINT cluster_model_k_check CHECK (k BETWEEN 2 AND 100),
	seed        bigint NOT NULL,
	means       double precision[] NOT NULL,
	scales      double precision[] NOT NULL,
	centroids   double precision[] NOT NULL,
	points      bigint NOT NULL,
	passes      integer NOT NULL,
	converged   boolean NOT NULL,
	inertia     double precision NOT NULL,
	silhouette  double precision,
	silhouette_sample integer NOT NULL,
	fitted_at   timestamptz NOT NULL,
	CONSTRAINT cluster_model_shape_check CHECK (
		pg_catalog.cardinality(features) BETWEEN 1 AND 64
		AND pg_catalog.cardinality(means) = pg_catalog.cardinality(features)
		AND pg_catalog.cardinality(scales) = pg_catalog.cardinality(features)
		AND pg_catalog.array_ndims(centroids) = 2
		AND pg_catalog.array_length(centroids, 1) = k
		AND pg_catalog.array_length(centroids, 2) = pg_catalog.cardinality(features))
);
COMMENT ON TABLE @extschema@.cluster_model IS 'k-means models fitted by cluster_fit(): features, standardisation, centroids and the quality of the fit';
COMMENT ON COLUMN @extschema@.cluster_model.features IS 'Numeric expressions over party_features, checked by cluster_check_feature()';
COMMENT ON COLUMN @extschema@.cluster_model.seed IS 'Seed of the sample and of k-means++: the same data and seed give the same model';
COMMENT ON COLUMN @extschema@.cluster_model.means IS 'Mean of each feature over the parties that have every feature';
COMMENT ON COLUMN @extschema@.cluster_model.scales IS 'Population standard deviation of each feature (1 where it is 0); a point is (feature - mean) / scale';
COMMENT ON COLUMN @extschema@.cluster_model.centroids IS 'k rows of standardised coordinates, cluster 1 first';
COMMENT ON COLUMN @extschema@.cluster_model.points IS 'Parties with every feature not NULL, the points of the fit';
COMMENT ON COLUMN @extschema@.cluster_model.passes IS 'Full passes over the parties';
COMMENT ON COLUMN @extschema@.cluster_model.converged IS 'True when the last pass moved no centroid by more than the tolerance';
COMMENT ON COLUMN @extschema@.cluster_model.inertia IS 'Sum of squared standardised distances of the points to their centroid, in the last pass';
COMMENT ON COLUMN @extschema@.cluster_model.silhouette IS 'Mean silhouette on a sample of the points (-1 to 1); NULL when fewer than two clusters have points';
COMMENT ON COLUMN @extschema@.cluster_model.silhouette_sample IS 'Points in the silhouette sample';

CREATE TABLE @extschema@.cluster_centroid (
	model       text NOT NULL REFERENCES @extschema@.cluster_model ON DELETE CASCADE,
	cluster     integer NOT NULL,
	size        bigint NOT NULL,
	centroid    double precision[] NOT NULL,
	center      double precision[] NOT NULL,
	PRIMARY KEY (model, cluster)
);
COMMENT ON TABLE @extschema@.cluster_centroid IS 'One row per cluster of a model: its size at the fit and its centroid, standardised and in the features'' own units';
COMMENT ON COLUMN @extschema@.cluster_centroid.size IS 'Points nearest to this centroid in the last pass of the fit';
COMMENT ON COLUMN @extschema@.cluster_centroid.centroid IS 'Standardised coordinates';
COMMENT ON COLUMN @extschema@.cluster_centroid.center IS 'The centroid in the features'' own units: mean + coordinate * scale, the mean of the features of its points';

-- the text of the SELECT giving party_id and the raw value v1 .. vd of each
-- checked feature: the features are embedded the way rules are (each
-- checked first, each on lines of its own)
CREATE FUNCTION @extschema@.cluster_feature_query(features text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	cols text := '';
	i integer;
BEGIN
	IF cardinality(features) NOT BETWEEN 1 AND 64 THEN
		RAISE EXCEPTION 'a cluster model needs 1 to 64 features, not %', cardinality(features)
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give an array of numeric expressions over party_features, for example ARRAY[''aum'', ''products_held''].';
	END IF;
	FOR i IN 1 .. cardinality(features) LOOP
		IF features[i] IS NULL THEN
			RAISE EXCEPTION 'cluster feature % is NULL', i
				USING ERRCODE = 'null_value_not_allowed';
		END IF;
		PERFORM @extschema@.cluster_check_feature(features[i]);
		cols := cols || format(E', (\n%s\n)::pg_catalog.float8 AS v%s', features[i], i);
	END LOOP;
	RETURN format('SELECT f.party_id%s FROM %I.party_features f', cols, '@extschema@');
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_feature_query(text[]) IS 'The SELECT of party_id and the value of each feature (v1, v2, ...) over party_features; every feature is checked first';

-- the standardised point of a row of cluster_feature_query, aliased x
CREATE FUNCTION @extschema@.cluster_point_expr(means double precision[], scales double precision[])
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT 'ARRAY[' || pg_catalog.string_agg(
	         pg_catalog.format('(x.v%s - %s::pg_catalog.float8) / %s::pg_catalog.float8', i, means[i], scales[i]),
	         ', ' ORDER BY i) || ']'
	  FROM pg_catalog.generate_subscripts(means, 1) i;
END;
COMMENT ON FUNCTION @extschema@.cluster_point_expr(double precision[], double precision[]) IS 'The expression of the standardised point, ARRAY[(x.v1 - mean) / scale, ...], for rows x of cluster_feature_query()';

-- one fit, nothing stored
CREATE FUNCTION @extschema@.cluster_compute(
	features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000,
	OUT means double precision[], OUT scales double precision[], OUT centroids double precision[],
	OUT sizes bigint[], OUT points bigint, OUT passes integer, OUT converged boolean,
	OUT inertia double precision, OUT silhouette double precision, OUT silhouette_points integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	q text := @extschema@.cluster_feature_query(features);
	d integer := cardinality(features);
	all_present text;
	avgs text;
	sds text;
	pt text;
	sample double precision[];
	n_sample integer;
	state double precision[];
	nextc double precision[];
	sd double precision[];
BEGIN
	IF k IS NULL OR k NOT BETWEEN 2 AND 100 THEN
		RAISE EXCEPTION 'k must be between 2 and 100, not %', k
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_choose_k() reports the inertia and silhouette of k = 2 to 10.';
	END IF;
	IF seed IS NULL OR sample_size IS NULL OR sample_size < k OR batch_size IS NULL OR batch_size < 1
	   OR batches IS NULL OR batches < 0 OR max_passes IS NULL OR max_passes < 1
	   OR tolerance IS NULL OR NOT tolerance >= 0 OR silhouette_sample IS NULL OR silhouette_sample < 0 THEN
		RAISE EXCEPTION 'invalid fitting parameters'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('seed %s, sample_size %s, batch_size %s, batches %s, max_passes %s, tolerance %s, silhouette_sample %s.',
			                      seed, sample_size, batch_size, batches, max_passes, tolerance, silhouette_sample),
			      HINT = 'The sample holds at least k points, batch_size and max_passes are positive, batches, tolerance and silhouette_sample are not negative.';
	END IF;
	SELECT string_agg(format('x.v%s IS NOT NULL', i), ' AND ' ORDER BY i) INTO all_present
	  FROM generate_series(1, d) i;

	-- 1. standardisation: built-in aggregates, parallel and per shard
	PERFORM @extschema@.progress_phase('standardising the features', NULL);
	SELECT string_agg(format('pg_catalog.avg(x.v%s)', i), ', ' ORDER BY i),
	       string_agg(format('pg_catalog.stddev_pop(x.v%s)', i), ', ' ORDER BY i)
	  INTO avgs, sds
	  FROM generate_series(1, d) i;
	EXECUTE format('SELECT pg_catalog.count(*), ARRAY[%s], ARRAY[%s] FROM (%s) x WHERE %s', avgs, sds, q, all_present)
	   INTO points, means, sd;
	IF points < k THEN
		RAISE EXCEPTION 'cannot find % clusters among % parties', k, points
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Only parties with every feature not NULL are clustered.',
			      HINT = 'Choose a smaller k, or wrap a feature in COALESCE().';
	END IF;
	scales := ARRAY(SELECT CASE WHEN s > 0 THEN s ELSE 1 END FROM unnest(sd) WITH ORDINALITY u(s, o) ORDER BY o);
	pt := @extschema@.cluster_point_expr(means, scales);

	-- 2. the sample: the points with the lowest seeded hash of party_id
	PERFORM @extschema@.progress_phase('sampling', NULL);
	EXECUTE format('SELECT pg_catalog.array_agg(s.p ORDER BY s.h, s.party_id) FROM '
	               '(SELECT x.party_id, pg_catalog.hashint8extended(x.party_id, $1) AS h, %s AS p '
	               '   FROM (%s) x WHERE %s ORDER BY 2, 1 LIMIT $2) s', pt, q, all_present)
	   INTO sample USING seed, sample_size;
	n_sample := array_length(sample, 1);

	-- 3. seeding and mini-batches on the sample (only when it exceeds a batch)
	PERFORM @extschema@.progress_phase('seeding and mini-batches', NULL);
	centroids := @extschema@.kmeans_start(sample, k, seed, batch_size,
	                                      CASE WHEN n_sample > batch_size THEN batches ELSE 0 END);

	-- 4. full passes until no centroid moves more than the tolerance; the
	-- model keeps the centroids the last pass measured
	passes := 0;
	converged := false;
	PERFORM @extschema@.progress_phase('full passes', max_passes);
	LOOP
		EXECUTE format('SELECT @extschema@.kmeans_pass($1, %s) FROM (%s) x', pt, q)
		   INTO state USING centroids;
		passes := passes + 1;
		PERFORM @extschema@.progress_set(passes);
		inertia := @extschema@.kmeans_inertia(state);
		sizes := @extschema@.kmeans_sizes(state);
		nextc := @extschema@.kmeans_update(state, centroids);
		IF @extschema@.kmeans_shift(nextc, centroids) <= tolerance THEN
			converged := true;
			EXIT;
		END IF;
		EXIT WHEN passes >= max_passes;
		centroids := nextc;
	END LOOP;

	-- 5. silhouette on the first points of the sample
	silhouette_points := LEAST(silhouette_sample, n_sample);
	IF silhouette_points >= 2 THEN
		silhouette := @extschema@.kmeans_silhouette(sample[1:silhouette_points][1:d], centroids);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer) IS 'One k-means fit over every party the caller may see, nothing stored: standardisation, the seeded sample, greedy k-means++ and mini-batches on it, full passes of kmeans_pass until no centroid moves by more than the tolerance, the silhouette on the first points of the sample';

-- fit and store a model
CREATE FUNCTION @extschema@.cluster_fit(
	name text, features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (cluster integer, size bigint, center double precision[])
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
-- on Citus the model (reference tables) is written after the passes read
-- the shards: they read over one connection per worker (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	r record;
	d integer;
BEGIN
	IF name IS NULL OR btrim(name) = '' THEN
		RAISE EXCEPTION 'a cluster model needs a name'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@.progress_begin('cluster_fit', name, NULL);
	SELECT * INTO r FROM @extschema@.cluster_compute(features, k, seed, sample_size, batch_size, batches,
	                                                 max_passes, tolerance, silhouette_sample);
	PERFORM @extschema@.progress_phase('storing the model', NULL);
	d := cardinality(features);
	-- stamped first: on Citus the reference tables are written together
	DELETE FROM @extschema@.cluster_centroid c WHERE c.model = cluster_fit.name;
	INSERT INTO @extschema@.cluster_model AS m (name, features, k, seed, means, scales, centroids, points, passes,
	                                            converged, inertia, silhouette, silhouette_sample, fitted_at)
	VALUES (cluster_fit.name, features, k, seed, r.means, r.scales, r.centroids, r.points, r.passes,
	        r.converged, r.inertia, r.silhouette, r.silhouette_points, clock_timestamp())
	ON CONFLICT ON CONSTRAINT cluster_model_pkey DO UPDATE
	   SET features = EXCLUDED.features, k = EXCLUDED.k, seed = EXCLUDED.seed, means = EXCLUDED.means,
	       scales = EXCLUDED.scales, centroids = EXCLUDED.centroids, points = EXCLUDED.points,
	       passes = EXCLUDED.passes, converged = EXCLUDED.converged, inertia = EXCLUDED.inertia,
	       silhouette = EXCLUDED.silhouette, silhouette_sample = EXCLUDED.silhouette_sample,
	       fitted_at = EXCLUDED.fitted_at;
	INSERT INTO @extschema@.cluster_centroid (model, cluster, size, centroid, center)
	SELECT cluster_fit.name, i, r.sizes[i],
	       ARRAY(SELECT r.centroids[i][j] FROM generate_series(1, d) j ORDER BY j),
	       ARRAY(SELECT r.means[j] + r.centroids[i][j] * r.scales[j] FROM generate_series(1, d) j ORDER BY j)
	  FROM generate_series(1, k) i;
	RETURN QUERY SELECT c.cluster, c.size, c.center FROM @extschema@.cluster_centroid c
	              WHERE c.model = cluster_fit.name ORDER BY c.cluster;
	PERFORM @extschema@.progress_end();
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer) IS 'Fits a k-means model over every party (row-level security does not narrow it) with cluster_compute() and stores it under the name, replacing a model of that name; returns each cluster''s size and center in the features'' own units';

-- k = 2 .. 10 (or the ks given), for choosing k
CREATE FUNCTION @extschema@.cluster_choose_k(
	features text[], ks integer[] DEFAULT ARRAY[2, 3, 4, 5, 6, 7, 8, 9, 10], seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, max_passes integer DEFAULT 10,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (k integer, inertia double precision, silhouette double precision, passes integer, converged boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	kk integer;
	r record;
BEGIN
	IF ks IS NULL OR cardinality(ks) = 0 THEN
		RAISE EXCEPTION 'no k to try'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give an array of k from 2 to 100, or leave the default 2 to 10.';
	END IF;
	FOR kk IN SELECT DISTINCT u FROM unnest(ks) u ORDER BY 1 LOOP
		SELECT * INTO r FROM @extschema@.cluster_compute(features, kk, seed, sample_size,
		                                                 max_passes => max_passes,
		                                                 silhouette_sample => silhouette_sample);
		k := kk;
		inertia := r.inertia;
		silhouette := r.silhouette;
		passes := r.passes;
		converged := r.converged;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer) IS 'For each k (2 to 10 by default) a fit like cluster_fit() without storing it: the inertia (falls as k grows; look for the elbow) and the silhouette (higher is better)';

-- the members' query of a segment of kind cluster (segment_member_query)
CREATE FUNCTION @extschema@.cluster_member_query(params jsonb)
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	m @extschema@.cluster_model;
BEGIN
	SELECT * INTO m FROM @extschema@.cluster_model c WHERE c.name = params ->> 'cluster_model';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cluster model "%" does not exist', params ->> 'cluster_model'
			USING ERRCODE = 'undefined_object',
			      HINT = 'Fit it with cluster_fit(); the models are listed in bankcrm.cluster_model.';
	END IF;
	RETURN format('SELECT x.party_id FROM (%s) x WHERE %I.kmeans_nearest(%L::pg_catalog.float8[], %s) = %s',
	              @extschema@.cluster_feature_query(m.features), '@extschema@', m.centroids,
	              @extschema@.cluster_point_expr(m.means, m.scales), (params ->> 'cluster')::integer);
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_member_query(jsonb) IS 'The SELECT listing the parties nearest to one centroid of a cluster model (params: cluster_model, cluster); parties with a NULL feature are in no cluster';

-- one segment of kind cluster per centroid, refreshed
CREATE FUNCTION @extschema@.cluster_assign(model text)
RETURNS TABLE (cluster integer, segment_id bigint, joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
-- on Citus each new segment (a reference table) is written after the last
-- refresh read the shards (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	m @extschema@.cluster_model;
	i integer;
	sid bigint;
	r record;
BEGIN
	SELECT * INTO m FROM @extschema@.cluster_model c WHERE c.name = cluster_assign.model;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cluster model "%" does not exist', cluster_assign.model
			USING ERRCODE = 'undefined_object',
			      HINT = 'Fit it with cluster_fit(); the models are listed in bankcrm.cluster_model.';
	END IF;
	FOR i IN 1 .. m.k LOOP
		SELECT s.segment_id INTO sid FROM @extschema@.segment s
		 WHERE s.kind = 'cluster' AND s.params = jsonb_build_object('cluster_model', m.name, 'cluster', i);
		IF NOT FOUND THEN
			INSERT INTO @extschema@.segment (name, kind, params, description)
			VALUES (format('%s: cluster %s', m.name, i), 'cluster',
			        jsonb_build_object('cluster_model', m.name, 'cluster', i),
			        format('Parties nearest to centroid %s of cluster model %s', i, m.name))
			RETURNING segment.segment_id INTO sid;
		END IF;
		SELECT * INTO r FROM @extschema@.segment_refresh(sid);
		cluster := i;
		segment_id := sid;
		joined := r.joined;
		"left" := r."left";
		total := r.total;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_assign(text) IS 'Puts every party into the segment of kind cluster of its nearest centroid (created as "<model>: cluster <i>" when missing) by segment_refresh(); returns the numbers joined, left and in each; call again, or refresh the segments, as the data changes';

-- profiles: each cluster's feature means, members, top products and value tiers
CREATE VIEW @extschema@.cluster_profiles AS
SELECT c.model,
       c.cluster,
       s.segment_id,
       c.size AS fitted_size,
       COALESCE(mc.members, 0) AS members,
       (SELECT pg_catalog.jsonb_object_agg(m.features[j], pg_catalog.round(c.center[j]::numeric, 2) ORDER BY j)
          FROM pg_catalog.generate_subscripts(m.features, 1) j) AS feature_means,
       tp.top_products,
       vt.value_tiers
  FROM @extschema@.cluster_centroid c
  JOIN @extschema@.cluster_model m ON m.name = c.model
  LEFT JOIN @extschema@.segment s ON s.kind = 'cluster'
        AND s.params = pg_catalog.jsonb_build_object('cluster_model', c.model, 'cluster', c.cluster)
  LEFT JOIN (SELECT sm.segment_id, pg_catalog.count(*) AS members
               FROM @extschema@.segment_member sm
              GROUP BY sm.segment_id) mc ON mc.segment_id = s.segment_id
  LEFT JOIN (SELECT r.segment_id, (pg_catalog.array_agg(r.code ORDER BY r.holders DESC, r.code))[1:3] AS top_products
               FROM (SELECT sm.segment_id, pr.code, pg_catalog.count(DISTINCT h.party_id) AS holders
                       FROM @extschema@.segment_member sm
                       JOIN @extschema@.holding h ON h.party_id = sm.party_id AND h.closed_on IS NULL
                       JOIN @extschema@.product pr ON pr.product_id = h.product_id
                      GROUP BY sm.segment_id, pr.code) r
              GROUP BY r.segment_id) tp ON tp.segment_id = s.segment_id
  LEFT JOIN (SELECT t.segment_id, pg_catalog.jsonb_object_agg(t.value_tier, t.n ORDER BY t.value_tier) AS value_tiers
               FROM (SELECT sm.segment_id, COALESCE(sc.value_tier, 'unscored') AS value_tier, pg_catalog.count(*) AS n
                       FROM @extschema@.segment_member sm
                       LEFT JOIN @extschema@.party_score sc ON sc.party_id = sm.party_id
                             AND sc.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
                      GROUP BY 1, 2) t
              GROUP BY t.segment_id) vt ON vt.segment_id = s.segment_id;
COMMENT ON VIEW @extschema@.cluster_profiles IS 'Each cluster of each model: size at the fit, current members of its segment, the mean of each feature, the three products most members hold and the members by value tier (default score model); aggregates only';
COMMENT ON COLUMN @extschema@.cluster_profiles.segment_id IS 'The segment of kind cluster made by cluster_assign(); NULL before it ran';
COMMENT ON COLUMN @extschema@.cluster_profiles.fitted_size IS 'Points nearest to the centroid in the last pass of the fit';
COMMENT ON COLUMN @extschema@.cluster_profiles.members IS 'Current members of the cluster''s segment, as of its last refresh';
COMMENT ON COLUMN @extschema@.cluster_profiles.feature_means IS 'Feature expression to the mean of its values over the cluster''s points at the fit, rounded to 2 places';
COMMENT ON COLUMN @extschema@.cluster_profiles.top_products IS 'Codes of the three products held (open holdings) by the most members, most held first';
COMMENT ON COLUMN @extschema@.cluster_profiles.value_tiers IS 'Members by value tier under the default score model; unscored for members without a score';

-- privileges: analysts fit and read models (aggregates only); managers,
-- applications and admin also turn them into segments
GRANT SELECT ON @extschema@.cluster_model, @extschema@.cluster_centroid, @extschema@.cluster_profiles
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.cluster_model, @extschema@.cluster_centroid, @extschema@.cluster_profiles TO bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer),
	@extschema@.cluster_assign(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer)
	TO bankcrm_admin, bankcrm_manager, bankcrm_analyst, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_assign(text) TO bankcrm_admin, bankcrm_manager, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer)
	TO bankcrm_admin;
