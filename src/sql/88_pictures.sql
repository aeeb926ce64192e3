-- src/sql/88_pictures.sql: pictures — SVG charts and text sparklines and bars
--
-- Every chart is a plain SQL or PL/pgSQL function that returns one SVG
-- document as text, so a web page or a BI tool embeds it as it is.  The
-- functions run with the caller's rights and read through the views the
-- caller would query (value_pyramid, funnel, churn_dashboard, party_360) or,
-- for the Pareto curve, the scores themselves: row-level security decides
-- what is drawn.  Every piece of text that comes from the data passes through
-- svg_escape().  Numbers are printed with at most one decimal, so that the
-- output is the same on every platform (the regress suite compares it
-- byte for byte).  doc/pictures.md.

-- pictures: text ---------------------------------------------------------------

CREATE FUNCTION @extschema@.spark(vals double precision[], lo double precision DEFAULT NULL,
	hi double precision DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN vals IS NULL THEN NULL ELSE (
	WITH v AS (
		SELECT u.x, u.i FROM pg_catalog.unnest(vals) WITH ORDINALITY AS u (x, i)
	), r AS (
		SELECT COALESCE(lo, pg_catalog.min(v.x) FILTER (WHERE v.x > '-Infinity'::float8)) AS lo,
		       COALESCE(hi, pg_catalog.max(v.x) FILTER (WHERE v.x < 'Infinity'::float8)) AS hi
		  FROM v
	)
	SELECT COALESCE(pg_catalog.string_agg(
	         CASE WHEN v.x IS NULL OR v.x = 'NaN'::float8 THEN ' '
	              WHEN r.hi <= r.lo THEN '▄'
	              ELSE pg_catalog.substr('▁▂▃▄▅▆▇█',
	                     1 + LEAST(7, GREATEST(0, pg_catalog.floor(8 * (LEAST(GREATEST(v.x, r.lo), r.hi) - r.lo)
	                                                               / (r.hi - r.lo))::integer)), 1)
	         END, '' ORDER BY v.i), '')
	  FROM v, r
) END;
COMMENT ON FUNCTION @extschema@.spark(double precision[], double precision, double precision) IS
	'A text sparkline, one block character (▁ to █) per value, scaled between lo and hi (the values'' minimum and maximum when NULL); a blank for NULL or NaN; NULL for a NULL array';

CREATE FUNCTION @extschema@.bar(val double precision, max_val double precision, width integer DEFAULT 20)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	eighths	integer;
BEGIN
	IF width IS NULL OR width < 1 OR width > 1000 THEN
		RAISE EXCEPTION 'width must be between 1 and 1000 characters'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the width the longest bar may take, for example 20.';
	END IF;
	IF val IS NULL OR max_val IS NULL OR val = 'NaN'::float8 OR max_val = 'NaN'::float8 THEN
		RETURN NULL;
	END IF;
	IF max_val <= 0 OR val <= 0 THEN
		RETURN '';
	END IF;
	eighths := pg_catalog.round(8 * width * LEAST(val / max_val, 1.0))::integer;
	RETURN pg_catalog.repeat('█', eighths / 8)
	    || CASE WHEN eighths % 8 > 0 THEN pg_catalog.substr('▏▎▍▌▋▊▉', eighths % 8, 1) ELSE '' END;
END
$$;
COMMENT ON FUNCTION @extschema@.bar(double precision, double precision, integer) IS
	'A text bar: val against max_val over width characters, in eighths of a character (▏ to █); empty for zero or less, NULL for NULL';

-- pictures: SVG helpers --------------------------------------------------------

CREATE FUNCTION @extschema@.svg_escape(s text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
	pg_catalog.regexp_replace(s, '[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]', '', 'g'),
	'&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&apos;');
COMMENT ON FUNCTION @extschema@.svg_escape(text) IS
	'Text made safe inside an XML element or attribute: & < > " and '' as entities, characters XML 1.0 forbids removed';

-- a number as SVG writes it: at most one decimal, no trailing ".0"
CREATE FUNCTION @extschema@.svg_num(x double precision)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.regexp_replace(pg_catalog.round(x::numeric, 1)::text, '\.0$', '');
COMMENT ON FUNCTION @extschema@.svg_num(double precision) IS
	'A number rounded to one decimal, without a trailing .0 (coordinates in the SVG functions)';

-- an amount for a label: 1234567 -> 1.2 M, 45600 -> 45.6 k
CREATE FUNCTION @extschema@.svg_amount(x numeric)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE
	WHEN pg_catalog.abs(x) >= 1e9 THEN pg_catalog.round(x / 1e9, 1)::text || ' bn'
	WHEN pg_catalog.abs(x) >= 1e6 THEN pg_catalog.round(x / 1e6, 1)::text || ' M'
	WHEN pg_catalog.abs(x) >= 1e3 THEN pg_catalog.round(x / 1e3, 1)::text || ' k'
	ELSE pg_catalog.round(x, 0)::text END;
COMMENT ON FUNCTION @extschema@.svg_amount(numeric) IS
	'An amount for a chart label: one decimal with k, M or bn';

-- the opening tag, the title and a heading; svg_close() ends it
CREATE FUNCTION @extschema@.svg_open(chart text, title text, width integer, height integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.format(
	'<svg xmlns="http://www.w3.org/2000/svg" class="bankcrm-chart" data-chart="%s" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12" role="img">'
	'<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>'
	'<text x="10" y="20" font-size="14" font-weight="bold">%s</text>',
	@extschema@.svg_escape(chart), width, height, width, height,
	@extschema@.svg_escape(COALESCE(title, '')), @extschema@.svg_escape(COALESCE(title, '')));
COMMENT ON FUNCTION @extschema@.svg_open(text, text, integer, integer) IS
	'The start of a chart: the svg element (class bankcrm-chart, data-chart = chart), its title and a heading';

-- a small line of values: the polyline of a sparkline inside a box
CREATE FUNCTION @extschema@.svg_polyline(vals double precision[], x double precision, y double precision,
	width double precision, height double precision, colour text DEFAULT '#2c7bb6')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (
	WITH v AS (
		SELECT u.v, u.i FROM pg_catalog.unnest(vals) WITH ORDINALITY AS u (v, i)
	), r AS (
		SELECT pg_catalog.min(v.v) FILTER (WHERE v.v <> 'NaN'::float8) AS lo,
		       pg_catalog.max(v.v) FILTER (WHERE v.v <> 'NaN'::float8) AS hi,
		       pg_catalog.count(*) AS n
		  FROM v
	)
	SELECT '<polyline fill="none" stroke="' || @extschema@.svg_escape(colour) || '" stroke-width="1.5" points="'
	       || COALESCE(pg_catalog.string_agg(
	            @extschema@.svg_num(x + CASE WHEN r.n > 1 THEN width * (v.i - 1) / (r.n - 1) ELSE width / 2 END)
	            || ',' ||
	            @extschema@.svg_num(y + height - CASE WHEN r.hi > r.lo THEN height * (v.v - r.lo) / (r.hi - r.lo)
	                                                  ELSE height / 2 END),
	            ' ' ORDER BY v.i) FILTER (WHERE v.v IS NOT NULL AND v.v <> 'NaN'::float8), '')
	       || '"/>'
	  FROM v, r
);
COMMENT ON FUNCTION @extschema@.svg_polyline(double precision[], double precision, double precision,
	double precision, double precision, text) IS
	'An SVG polyline of the values, scaled to fill the box at (x, y) of width by height; NULL values are left out';

-- pictures: SVG charts from arrays ----------------------------------------------

CREATE FUNCTION @extschema@.svg_sparkline(vals double precision[], width integer DEFAULT 120, height integer DEFAULT 24)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.format(
	'<svg xmlns="http://www.w3.org/2000/svg" class="bankcrm-chart" data-chart="sparkline" width="%s" height="%s" viewBox="0 0 %s %s" role="img">%s</svg>',
	width, height, width, height, @extschema@.svg_polyline(vals, 1, 1, width - 2, height - 2));
COMMENT ON FUNCTION @extschema@.svg_sparkline(double precision[], integer, integer) IS
	'A sparkline as a small SVG: the values as one line, NULL values left out';

CREATE FUNCTION @extschema@.svg_bars(title text, labels text[], vals double precision[], notes text[] DEFAULT NULL,
	centred boolean DEFAULT false, highlight boolean[] DEFAULT NULL, chart text DEFAULT 'bars')
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n		integer := COALESCE(pg_catalog.cardinality(labels), 0);
	top		double precision;
	out		text;
	i		integer;
	w		double precision;
	y		integer;
BEGIN
	IF n <> COALESCE(pg_catalog.cardinality(vals), 0)
	   OR (notes IS NOT NULL AND pg_catalog.cardinality(notes) <> n)
	   OR (highlight IS NOT NULL AND pg_catalog.cardinality(highlight) <> n) THEN
		RAISE EXCEPTION 'labels, values, notes and highlight differ in length'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give one value (and one note, one highlight flag) per label.';
	END IF;
	SELECT pg_catalog.max(v) INTO top FROM pg_catalog.unnest(vals) v WHERE v > 0 AND v < 'Infinity'::float8;
	out := @extschema@.svg_open(chart, title, 800, 40 + 28 * n);
	FOR i IN 1 .. n LOOP
		w := CASE WHEN top IS NULL OR vals[i] IS NULL OR NOT vals[i] > 0 THEN 0
		          ELSE 300 * LEAST(vals[i], top) / top END;
		y := 32 + 28 * (i - 1);
		out := out || pg_catalog.format(
			'<g class="bar"><text x="130" y="%s" text-anchor="end">%s</text>'
			'<rect x="%s" y="%s" width="%s" height="22" fill="%s"/>'
			'<text x="450" y="%s">%s</text></g>',
			y + 15, @extschema@.svg_escape(COALESCE(labels[i], '')),
			@extschema@.svg_num(CASE WHEN centred THEN 290 - w / 2 ELSE 140 END), y, @extschema@.svg_num(w),
			CASE WHEN highlight[i] THEN '#d7301f' ELSE '#2c7bb6' END,
			y + 15, @extschema@.svg_escape(COALESCE(notes[i], COALESCE(@extschema@.svg_num(vals[i]), ''))));
	END LOOP;
	IF n = 0 THEN
		out := out || '<text x="10" y="36">no rows</text>';
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_bars(text, text[], double precision[], text[], boolean, boolean[], text) IS
	'A horizontal bar chart as SVG: one bar per label, scaled to the largest value, centred (a pyramid or funnel) or left-aligned, with a note beside each bar and highlighted bars in red';

-- pictures: charts of the bank --------------------------------------------------

CREATE FUNCTION @extschema@.svg_value_pyramid(pyramid text DEFAULT 'value')
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l text[];
	v double precision[];
	t text[];
BEGIN
	IF pyramid IS NULL OR pyramid NOT IN ('value', 'wealth') THEN
		RAISE EXCEPTION 'unknown pyramid "%"', pyramid
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give ''value'' (key, general, scattered) or ''wealth'' (uhnw, hnw, affluent, mass).';
	END IF;
	SELECT pg_catalog.array_agg(p.tier ORDER BY o.ord),
	       pg_catalog.array_agg(p.parties ORDER BY o.ord),
	       pg_catalog.array_agg(pg_catalog.format('%s parties · %s%% of AUM · %s%% of contribution',
	                              p.parties, COALESCE(p.aum_pct, 0), COALESCE(p.contribution_pct, 0)) ORDER BY o.ord)
	  INTO l, v, t
	  FROM @extschema@.value_pyramid p,
	       LATERAL pg_catalog.array_position(ARRAY['key', 'general', 'scattered', 'uhnw', 'hnw', 'affluent', 'mass'],
	                                         p.tier) AS o (ord)
	 WHERE p.pyramid = svg_value_pyramid.pyramid;
	RETURN @extschema@.svg_bars(CASE pyramid WHEN 'value' THEN 'Value pyramid' ELSE 'Wealth pyramid' END,
	                            l, v, t, true, NULL, pyramid || '_pyramid');
END
$$;
COMMENT ON FUNCTION @extschema@.svg_value_pyramid(text) IS
	'The value pyramid (key, general, scattered) or the wealth pyramid (uhnw to mass) of value_pyramid as SVG: parties per tier with their share of AUM and contribution';

CREATE FUNCTION @extschema@.svg_pareto(model text DEFAULT NULL, share numeric DEFAULT 0.8, points integer DEFAULT 50)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	m_name	text;
	n		bigint;
	k		bigint;
	xs		double precision[];
	ys		double precision[];
	kx		double precision;
	out		text;
BEGIN
	IF share IS NULL OR share <= 0 OR share > 1 THEN
		RAISE EXCEPTION 'share must be greater than 0 and at most 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the share of the contribution as a fraction, for example 0.8 for 80 %.';
	END IF;
	IF points IS NULL OR points < 2 OR points > 1000 THEN
		RAISE EXCEPTION 'points must be between 2 and 1000'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of points the curve is drawn through, for example 50.';
	END IF;
	SELECT m.model INTO m_name FROM @extschema@.score_model m
	 WHERE (svg_pareto.model IS NULL AND m.is_default) OR m.model = svg_pareto.model;
	IF m_name IS NULL THEN
		RAISE EXCEPTION 'scoring model "%" does not exist', COALESCE(model, '(default)')
			USING ERRCODE = 'undefined_object',
			      HINT = 'SELECT model FROM bankcrm.score_model lists the models.';
	END IF;
	-- the caller's rights: row-level security decides which customers are in the curve
	WITH c AS (
		SELECT pg_catalog.row_number() OVER w AS rn,
		       pg_catalog.sum(GREATEST(ps.contribution, 0)) OVER w AS cum
		  FROM @extschema@.party_score ps
		  JOIN @extschema@.party p ON p.party_id = ps.party_id
		 WHERE ps.model = m_name AND p.status <> 'prospect'
		WINDOW w AS (ORDER BY ps.contribution DESC, ps.party_id)
	), tot AS (
		SELECT pg_catalog.count(*) AS n, pg_catalog.max(c.cum) AS pos FROM c
	), picked AS (
		SELECT 0::bigint AS rn, 0::numeric AS cum
		UNION ALL
		SELECT c.rn, c.cum FROM c, tot
		 WHERE c.rn IN (SELECT pg_catalog.ceil(g * tot.n / points::numeric)::bigint
		                  FROM pg_catalog.generate_series(1, points) g)
	)
	SELECT tot.n,
	       (SELECT pg_catalog.min(c.rn) FROM c WHERE tot.pos > 0 AND c.cum >= share * tot.pos),
	       pg_catalog.array_agg(100.0 * picked.rn / NULLIF(tot.n, 0) ORDER BY picked.rn),
	       pg_catalog.array_agg(COALESCE(100.0 * picked.cum / NULLIF(tot.pos, 0), 0) ORDER BY picked.rn)
	  INTO n, k, xs, ys
	  FROM picked, tot
	 GROUP BY tot.n, tot.pos;
	out := @extschema@.svg_open('pareto', pg_catalog.format('Pareto curve (%s)', m_name), 640, 360)
	    -- axes: customers (x) against contribution (y), percent, in a 500 x 280 box at (60, 40)
	    || '<g class="axes" stroke="#444"><line x1="60" y1="320" x2="560" y2="320"/><line x1="60" y1="40" x2="60" y2="320"/></g>'
	    || '<text x="310" y="350" text-anchor="middle">customers, % (largest contribution first)</text>'
	    || '<text x="20" y="180" text-anchor="middle" transform="rotate(-90 20 180)">contribution, %</text>'
	    || '<text x="55" y="324" text-anchor="end">0</text><text x="55" y="44" text-anchor="end">100</text>'
	    || '<text x="560" y="334" text-anchor="middle">100</text>';
	IF COALESCE(n, 0) = 0 THEN
		RETURN out || '<text x="310" y="180" text-anchor="middle">no scored customers</text></svg>';
	END IF;
	out := out || '<polyline class="curve" fill="none" stroke="#2c7bb6" stroke-width="2" points="'
	    || (SELECT pg_catalog.string_agg(@extschema@.svg_num(60 + 5 * xs[i]) || ',' || @extschema@.svg_num(320 - 2.8 * ys[i]),
	                                     ' ' ORDER BY i)
	          FROM pg_catalog.generate_subscripts(xs, 1) AS g (i))
	    || '"/>';
	IF k IS NOT NULL THEN
		kx := 100.0 * k / n;
		out := out || pg_catalog.format(
			'<g class="mark" stroke="#d7301f" stroke-dasharray="4 3"><line x1="60" y1="%s" x2="%s" y2="%s"/><line x1="%s" y1="%s" x2="%s" y2="320"/></g>'
			'<text x="%s" y="%s" fill="#d7301f">%s%% of customers make %s%% of the contribution</text>',
			@extschema@.svg_num(320 - 280 * share), @extschema@.svg_num(60 + 5 * kx), @extschema@.svg_num(320 - 280 * share),
			@extschema@.svg_num(60 + 5 * kx), @extschema@.svg_num(320 - 280 * share), @extschema@.svg_num(60 + 5 * kx),
			@extschema@.svg_num(LEAST(60 + 5 * kx + 6, 330)), @extschema@.svg_num(320 - 280 * share + 16),
			@extschema@.svg_num(kx), @extschema@.svg_num(100 * share));
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_pareto(text, numeric, integer) IS
	'The Pareto curve as SVG: the share of the positive contribution against the share of customers (prospects excluded), largest first, with the line at the given share; the customers are those the caller may read';

CREATE FUNCTION @extschema@.svg_funnel(campaign_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	nm	text;
	l	text[];
	v	double precision[];
	t	text[];
	h	boolean[];
BEGIN
	SELECT pg_catalog.min(f.campaign),
	       pg_catalog.array_agg(f.stage ORDER BY f.stage_order),
	       pg_catalog.array_agg(f.entered ORDER BY f.stage_order),
	       pg_catalog.array_agg(pg_catalog.format('%s entered · %s now', f.entered, f.now_in_stage)
	                            || CASE WHEN f.conversion_pct IS NOT NULL
	                                    THEN pg_catalog.format(' · %s%% on', f.conversion_pct) ELSE '' END
	                            || CASE WHEN f.bottleneck THEN ' · bottleneck' ELSE '' END ORDER BY f.stage_order),
	       pg_catalog.array_agg(f.bottleneck ORDER BY f.stage_order)
	  INTO nm, l, v, t, h
	  FROM @extschema@.funnel f
	 WHERE f.campaign_id = svg_funnel.campaign_id;
	IF l IS NULL THEN
		RAISE EXCEPTION 'campaign % not found', COALESCE(campaign_id::text, 'NULL')
			USING ERRCODE = 'undefined_object',
			      HINT = 'SELECT DISTINCT campaign_id, campaign FROM bankcrm.funnel lists the campaigns you may see.';
	END IF;
	RETURN @extschema@.svg_bars('Funnel: ' || nm, l, v, t, true, h, 'funnel');
END
$$;
COMMENT ON FUNCTION @extschema@.svg_funnel(bigint) IS
	'One campaign''s funnel as SVG from the funnel view: leads that entered each stage, now in it and moving on, the bottleneck in red';

CREATE FUNCTION @extschema@.svg_churn_dashboard(max_alerts integer DEFAULT 12)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	i		integer := 0;
	total	bigint;
	out		text := '';
	y		integer;
BEGIN
	IF max_alerts IS NULL OR max_alerts < 1 OR max_alerts > 500 THEN
		RAISE EXCEPTION 'max_alerts must be between 1 and 500'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of alerts to draw, for example 12.';
	END IF;
	SELECT pg_catalog.count(*) INTO total FROM @extschema@.churn_dashboard;
	FOR r IN
		SELECT d.alert_id, d.party_name, d.branch_name, d.severity, d.state, d.metric, d.level_drop_pct, d.sparkline
		  FROM @extschema@.churn_dashboard d
		 ORDER BY pg_catalog.array_position(ARRAY['critical', 'warning', 'watch'], d.severity),
		          d.level_drop_pct DESC NULLS LAST, d.alert_id
		 LIMIT max_alerts
	LOOP
		y := 50 + 30 * i;
		out := out || pg_catalog.format(
			'<g class="alert"><circle cx="18" cy="%s" r="6" fill="%s"/>'
			'<text x="30" y="%s">%s</text><text x="200" y="%s">%s</text><text x="320" y="%s">%s</text>'
			'%s<text x="630" y="%s" text-anchor="end">%s</text></g>',
			y - 4, CASE r.severity WHEN 'critical' THEN '#d7301f' WHEN 'warning' THEN '#fc8d59' ELSE '#fee08b' END,
			y, @extschema@.svg_escape(COALESCE(r.party_name, '')),
			y, @extschema@.svg_escape(COALESCE(r.branch_name, '')),
			y, @extschema@.svg_escape(r.metric || ' · ' || r.state),
			@extschema@.svg_polyline(r.sparkline, 505, y - 16, 90, 20,
			                         CASE r.severity WHEN 'critical' THEN '#d7301f' ELSE '#2c7bb6' END),
			y, COALESCE('-' || @extschema@.svg_num(r.level_drop_pct) || '%', ''));
		i := i + 1;
	END LOOP;
	RETURN @extschema@.svg_open('churn_dashboard',
	                            pg_catalog.format('Churn alerts: %s active%s', total,
	                                              CASE WHEN total > i THEN pg_catalog.format(', %s shown', i) ELSE '' END),
	                            640, 40 + 30 * GREATEST(i, 1))
	    || CASE WHEN i = 0 THEN '<text x="10" y="50">no active alerts</text>' ELSE out END
	    || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_churn_dashboard(integer) IS
	'The churn dashboard as SVG: the active alerts the caller may read, most severe and deepest drop first, each with its party, branch, metric, 26-week sparkline and drop';

CREATE FUNCTION @extschema@.svg_party_slide(party_id bigint, weeks integer DEFAULT 26)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	p		record;
	sc		record;
	act		double precision[];
	facts	text[];
	out		text;
	i		integer;
BEGIN
	IF weeks IS NULL OR weeks < 2 OR weeks > 520 THEN
		RAISE EXCEPTION 'weeks must be between 2 and 520'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of weeks of activity to draw, for example 26.';
	END IF;
	SELECT v.party_id, v.kind, v.name, v.status, v.credit_rating::text AS rating, v.industry, v.home_branch, v.primary_rm,
	       v.aum, v.loans, v.monthly_contribution, v.products, v.last_contact_at, v.last_contact_channel,
	       v.open_complaints, v.do_not_contact
	  INTO p
	  FROM @extschema@.party_360 v
	 WHERE v.party_id = svg_party_slide.party_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'party % not found', COALESCE(party_id::text, 'NULL')
			USING ERRCODE = 'undefined_object',
			      HINT = 'The party does not exist or row-level security hides it from you.';
	END IF;
	SELECT ps.value_score, ps.value_tier, ps.wealth_tier, ps.contribution INTO sc
	  FROM @extschema@.party_score ps JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 WHERE ps.party_id = p.party_id;
	-- weekly transaction volume, oldest first, over the weeks up to the party's latest
	SELECT pg_catalog.array_agg(a.txn_volume ORDER BY g.wk) INTO act
	  FROM (SELECT pg_catalog.max(aw.week) AS last FROM @extschema@.activity_weekly aw
	         WHERE aw.party_id = p.party_id) lw,
	       LATERAL pg_catalog.generate_series(lw.last - 7 * (weeks - 1), lw.last, interval '7 days') AS g (wk)
	  LEFT JOIN @extschema@.activity_weekly a ON a.party_id = p.party_id AND a.week = g.wk::date
	 WHERE lw.last IS NOT NULL;
	facts := ARRAY[
		pg_catalog.format('%s · %s · %s', p.kind, p.status, COALESCE(p.industry, 'no industry')),
		pg_catalog.format('credit rating %s', COALESCE(p.rating, 'none')),
		pg_catalog.format('branch %s · RM %s', COALESCE(p.home_branch, 'none'), COALESCE(p.primary_rm, 'none')),
		pg_catalog.format('AUM %s · loans %s · contribution %s a month', @extschema@.svg_amount(p.aum),
		                  @extschema@.svg_amount(p.loans), @extschema@.svg_amount(p.monthly_contribution)),
		CASE WHEN sc.value_score IS NULL THEN 'not scored'
		     ELSE pg_catalog.format('value score %s · %s tier%s · contribution %s a year', sc.value_score, sc.value_tier,
		                            COALESCE(' · ' || sc.wealth_tier, ''), @extschema@.svg_amount(sc.contribution)) END,
		'products: ' || COALESCE(pg_catalog.array_to_string(p.products, ', '), 'none'),
		CASE WHEN p.last_contact_at IS NULL THEN 'never contacted'
		     ELSE pg_catalog.format('last contact %s by %s', pg_catalog.to_char(p.last_contact_at, 'YYYY-MM-DD'),
		                            p.last_contact_channel) END
		|| CASE WHEN p.open_complaints > 0 THEN pg_catalog.format(' · %s open complaints', p.open_complaints) ELSE '' END
		|| CASE WHEN p.do_not_contact THEN ' · do not contact' ELSE '' END];
	out := @extschema@.svg_open('party_slide', pg_catalog.format('%s (%s)', p.name, p.party_id), 640, 260);
	FOR i IN 1 .. pg_catalog.cardinality(facts) LOOP
		out := out || pg_catalog.format('<text x="20" y="%s">%s</text>', 28 + 20 * i, @extschema@.svg_escape(facts[i]));
	END LOOP;
	out := out || pg_catalog.format('<text x="20" y="%s" fill="#666">weekly transaction volume, %s weeks</text>', 208, weeks);
	IF act IS NULL THEN
		out := out || '<text x="320" y="208" fill="#666">no activity</text>';
	ELSE
		out := out || @extschema@.svg_polyline(act, 320, 192, 300, 40);
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_party_slide(bigint, integer) IS
	'One party''s slide as SVG from party_360 and its score: profile, coverage, balances, products, last contact and a line of its weekly transaction volume';

-- pictures: privileges ------------------------------------------------------------
-- each chart for the roles that may read what it draws from; what each
-- draws is what row-level security lets the caller see

REVOKE ALL ON FUNCTION @extschema@.svg_value_pyramid(text), @extschema@.svg_pareto(text, numeric, integer),
	@extschema@.svg_funnel(bigint), @extschema@.svg_churn_dashboard(integer),
	@extschema@.svg_party_slide(bigint, integer) FROM PUBLIC;
-- value_pyramid and funnel: aggregates, for the analyst too
GRANT EXECUTE ON FUNCTION @extschema@.svg_value_pyramid(text), @extschema@.svg_funnel(bigint)
	TO bankcrm_admin, bankcrm_manager, bankcrm_analyst, bankcrm_app;
-- party rows: party_score, churn_dashboard, party_360
GRANT EXECUTE ON FUNCTION @extschema@.svg_pareto(text, numeric, integer), @extschema@.svg_churn_dashboard(integer),
	@extschema@.svg_party_slide(bigint, integer)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
