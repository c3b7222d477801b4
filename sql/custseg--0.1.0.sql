/* custseg--0.1.0.sql: assembled by the Makefile from sql/parts/<concept>.sql */

\echo Use "CREATE EXTENSION custseg" to load this file. \quit

-- Everyone may use what the extension defines; what they may read is
-- governed by their privileges on their own tables.
GRANT USAGE ON SCHEMA custseg TO PUBLIC;

-- Customer summaries: src/summary.c, docs/summary.md

CREATE TYPE custseg.customer_summary AS (
	first_order timestamp,		-- earliest purchase, local time
	last_order timestamp,		-- latest purchase, local time
	orders bigint,				-- purchase rows (amount >= 0)
	purchase_days bigint,		-- distinct local calendar days with a purchase
	revenue double precision,	-- sum of all amounts, refunds included
	avg_order_value double precision,	-- revenue / orders
	recency_days double precision,	-- as_of - last_order, in days: the R of RFM
	repeat_purchases bigint,	-- purchase_days - 1: x of the BTYD models
	active_days double precision,	-- first to last purchase day: t_x
	age_days double precision,	-- first purchase day to as_of: T
	repeat_spend double precision	-- revenue after the first purchase day per repeat purchase
);

CREATE FUNCTION custseg.summarize_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_final(internal)
RETURNS custseg.customer_summary
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;


-- custseg.summarize(order_time, amount, as_of): one transition function and
-- one aggregate for each order_time type (date, timestamp, timestamptz) and
-- amount type (numeric, double precision, integer, bigint); all share one C
-- function, which reads the argument types.  The timestamptz variants are
-- STABLE: calendar days of a timestamptz follow the session TimeZone.
DO $$
DECLARE
	time_type text;
	amount_type text;
BEGIN
	FOREACH time_type IN ARRAY ARRAY['date', 'timestamp', 'timestamptz'] LOOP
		FOREACH amount_type IN ARRAY ARRAY['numeric', 'double precision', 'integer', 'bigint'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.summarize_accum(internal, %1$s, %2$s, %1$s)
				RETURNS internal
				AS 'MODULE_PATHNAME' LANGUAGE C %3$s PARALLEL SAFE$sql$,
				time_type, amount_type,
				CASE time_type WHEN 'timestamptz' THEN 'STABLE' ELSE 'IMMUTABLE' END);
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.summarize(order_time %1$s, amount %2$s, as_of %1$s) (
					SFUNC = custseg.summarize_accum,
					STYPE = internal,
					SSPACE = 64,
					FINALFUNC = custseg.summarize_final,
					COMBINEFUNC = custseg.summarize_combine,
					SERIALFUNC = custseg.summarize_serialize,
					DESERIALFUNC = custseg.summarize_deserialize,
					PARALLEL = SAFE
				)$sql$,
				time_type, amount_type);
		END LOOP;
	END LOOP;
END
$$;

-- RFM scores: src/rfm.c, docs/rfm.md

-- One customer's scores: 1 .. bins in every dimension, higher is better.
CREATE TYPE custseg.rfm_score AS (
	r integer,
	f integer,
	m integer,
	cell integer				-- 100 * r + 10 * f + m
);

-- Cut points of the three dimensions; text form is JSON, e.g.
-- {"method": "quantile", "bins": 5, "recency": [..], "frequency": [..], "monetary": [..]}
CREATE TYPE custseg.rfm_thresholds;

CREATE FUNCTION custseg.rfm_thresholds_in(cstring)
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_out(custseg.rfm_thresholds)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.rfm_thresholds (
	INPUT = custseg.rfm_thresholds_in,
	OUTPUT = custseg.rfm_thresholds_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

-- State of the custseg.rfm_thresholds aggregate: per dimension the distinct
-- values with their counts.  Text form is JSON, exact, checked on input.
CREATE TYPE custseg.rfm_thresholds_state;

CREATE FUNCTION custseg.rfm_thresholds_state_in(cstring)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_state_out(custseg.rfm_thresholds_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.rfm_thresholds_state (
	INPUT = custseg.rfm_thresholds_state_in,
	OUTPUT = custseg.rfm_thresholds_state_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

CREATE FUNCTION custseg.rfm_thresholds_combine(custseg.rfm_thresholds_state,
	custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_final(custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.rfm_thresholds(recency, frequency, monetary [, bins [, method]])
-- and custseg.rfm_thresholds(summary [, bins [, method]]), one row per
-- customer; a summary gives its recency_days, orders and revenue.  CREATE
-- AGGREGATE has no DEFAULT arguments, hence an aggregate (and a transition
-- function) per argument list.  The transition functions are not strict:
-- rows with a NULL dimension are skipped by the C code, and a NULL bins or
-- method is an error.
DO $$
DECLARE
	dimensions text;
	options text;
BEGIN
	FOREACH dimensions IN ARRAY ARRAY['recency float8, frequency float8, monetary float8',
									  'summary custseg.customer_summary'] LOOP
		FOREACH options IN ARRAY ARRAY['', ', bins integer', ', bins integer, method text'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state, %1$s%2$s)
				RETURNS custseg.rfm_thresholds_state
				AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE$sql$,
				dimensions, options);
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.rfm_thresholds(%1$s%2$s) (
					SFUNC = custseg.rfm_thresholds_accum,
					STYPE = custseg.rfm_thresholds_state,
					FINALFUNC = custseg.rfm_thresholds_final,
					COMBINEFUNC = custseg.rfm_thresholds_combine,
					PARALLEL = SAFE
				)$sql$,
				dimensions, options);
		END LOOP;
	END LOOP;
END
$$;

-- Thresholds from cut points chosen by hand (method "custom").
CREATE FUNCTION custseg.rfm_thresholds(recency_cuts float8[],
	frequency_cuts float8[], monetary_cuts float8[])
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME', 'rfm_thresholds_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- One customer's scores against stored thresholds.
CREATE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	summary custseg.customer_summary)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Every row of a window partition scored against that partition's
-- thresholds, in one pass: rfm_score(r, f, m) OVER (PARTITION BY ...).
CREATE FUNCTION custseg.rfm_score(recency float8, frequency float8,
	monetary float8, bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(summary custseg.customer_summary,
	bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- Segment maps and labels: src/segments.c, docs/segments.md

-- User-defined segment maps.  A map is an ordered list of rules; a customer
-- gets the segment of the first rule (lowest priority) whose bounds contain
-- its r, f and m scores, or 'Others' when no rule does.  The built-in maps
-- 'rfm' and 'rfm11' are compiled into the extension and cannot be redefined.
CREATE TABLE custseg.segment_rules (
	map			text NOT NULL,
	priority	integer NOT NULL,
	segment		text NOT NULL,
	r_min		integer NOT NULL,
	r_max		integer NOT NULL,
	f_min		integer NOT NULL,
	f_max		integer NOT NULL,
	m_min		integer NOT NULL,
	m_max		integer NOT NULL,
	PRIMARY KEY (map, priority),
	CONSTRAINT segment_rules_map_check
		CHECK (map <> '' AND map NOT IN ('rfm', 'rfm11')),
	CONSTRAINT segment_rules_segment_check CHECK (segment <> ''),
	CONSTRAINT segment_rules_r_check CHECK (1 <= r_min AND r_min <= r_max AND r_max <= 10),
	CONSTRAINT segment_rules_f_check CHECK (1 <= f_min AND f_min <= f_max AND f_max <= 10),
	CONSTRAINT segment_rules_m_check CHECK (1 <= m_min AND m_min <= m_max AND m_max <= 10)
);

COMMENT ON TABLE custseg.segment_rules IS
	'Rules of user-defined segment maps: first matching rule by priority wins';

-- The rules are user data: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_rules', '');

-- Label a customer by its scores.
CREATE FUNCTION custseg.segment(r integer, f integer, m integer, map text DEFAULT 'rfm')
RETURNS text
AS 'MODULE_PATHNAME', 'segment_rfm'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.segment(score custseg.rfm_score, map text DEFAULT 'rfm')
RETURNS text
AS 'MODULE_PATHNAME', 'segment_score'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The rules of a map, built-in or user-defined, in the column order of
-- custseg.segment_rules after its map column.
CREATE FUNCTION custseg.segment_map_rules(map text)
RETURNS TABLE (priority integer, segment text,
			   r_min integer, r_max integer,
			   f_min integer, f_max integer,
			   m_min integer, m_max integer)
AS 'MODULE_PATHNAME', 'segment_map_rules'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 20;

-- Audit a map over the cube of scores 1 .. bins: overlapping rules,
-- uncovered cells and unreachable rules.  No rows: the map is a partition.
CREATE FUNCTION custseg.check_segment_map(map text, bins integer DEFAULT 5)
RETURNS TABLE (problem text, r integer, f integer, m integer,
			   priority integer, segment text,
			   other_priority integer, other_segment text)
AS 'MODULE_PATHNAME', 'check_segment_map'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;

-- Labelling with a user map reads the rules; business rules are not secret.
GRANT SELECT ON custseg.segment_rules TO PUBLIC;

-- CLV model fitting, shared by every model family: src/fit.c, docs/fit.md

-- State of the fit aggregates: the distinct customer cells (k1, k2, k3)
-- with their weights.  Text form is JSON, exact, checked on input:
-- {"kind":"xtt","cells":[[x,t_x,t,weight],...]}
CREATE TYPE custseg.fit_state;

CREATE FUNCTION custseg.fit_state_in(cstring)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.fit_state_out(custseg.fit_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.fit_state (
	INPUT = custseg.fit_state_in,
	OUTPUT = custseg.fit_state_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

-- Transition functions.  Not strict: a row with a NULL value is skipped by
-- the C code (so is a BG/BB row of weight 0 and a spend row with x = 0).
CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint, weight bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state, x bigint,
	mean_spend float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_combine(custseg.fit_state, custseg.fit_state)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The Gauss hypergeometric function 2F1(a, b; c; z), z < 1.
CREATE FUNCTION custseg.hyp2f1(a float8, b float8, c float8, z float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'fit_hyp2f1_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Gamma-Gamma model of the spend per purchase: src/gammagamma.c, docs/gammagamma.md

-- A fitted model: purchases are worth Gamma(p, nu), nu ~ Gamma(q, gamma)
-- across customers; the fit's log-likelihood, its customers (those with a
-- repeat purchase) and how the optimizer went.
CREATE TYPE custseg.gammagamma AS (
	p float8,
	q float8,
	gamma float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE FUNCTION custseg.gammagamma_final(custseg.fit_state)
RETURNS custseg.gammagamma
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.gammagamma_fit(x, mean_spend) and custseg.gammagamma_fit(summary)
-- (its repeat_purchases and repeat_spend), one row per customer; customers
-- without a repeat purchase (x = 0) and rows with a NULL are skipped.
CREATE AGGREGATE custseg.gammagamma_fit(x bigint, mean_spend float8) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.gammagamma_fit(summary custseg.customer_summary) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Expected value of a purchase of a customer with x repeat purchases of
-- mean value mean_spend.
CREATE FUNCTION custseg.expected_spend(model custseg.gammagamma, x bigint,
	mean_spend float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_expected_spend'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- BG/NBD and MBG/NBD: src/bgnbd.c, docs/bgnbd.md

-- A fitted model: parameters (times in days), then how the fit went.
CREATE TYPE custseg.bgnbd AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE TYPE custseg.mbgnbd AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE FUNCTION custseg.bgnbd_final(custseg.fit_state)
RETURNS custseg.bgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.mbgnbd_final(custseg.fit_state)
RETURNS custseg.mbgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.bgnbd_fit(x, t_x, t), custseg.bgnbd_fit(summary), and the same
-- for mbgnbd_fit: one row per customer; rows with a NULL are skipped; no
-- row at all gives NULL.
DO $$
DECLARE
	model text;
	args text;
BEGIN
	FOREACH model IN ARRAY ARRAY['bgnbd', 'mbgnbd'] LOOP
		FOREACH args IN ARRAY ARRAY['x bigint, t_x float8, t float8',
									'summary custseg.customer_summary'] LOOP
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.%1$s_fit(%2$s) (
					SFUNC = custseg.fit_xtt_accum,
					STYPE = custseg.fit_state,
					FINALFUNC = custseg.%1$s_final,
					COMBINEFUNC = custseg.fit_combine,
					PARALLEL = SAFE
				)$sql$,
				model, args);
		END LOOP;

		-- predictions, with the horizon in days or as an interval
		FOREACH args IN ARRAY ARRAY['float8', 'interval'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon %2$s, x bigint, t_x float8, t float8)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_expected_purchases'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_expected_purchases_new'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.purchase_probability(model custseg.%1$s,
					n bigint, horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_purchase_probability'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.clv(model custseg.%1$s,
					gg custseg.gammagamma, x bigint, t_x float8, t float8,
					mean_spend float8, horizon %2$s,
					annual_discount_rate float8, margin float8 DEFAULT 1)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_clv'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
		END LOOP;
		EXECUTE format($sql$
			CREATE FUNCTION custseg.p_alive(model custseg.%1$s,
				x bigint, t_x float8, t float8)
			RETURNS float8
			AS 'MODULE_PATHNAME', '%1$s_p_alive'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			model);
	END LOOP;
END
$$;

-- Pareto/NBD: src/paretonbd.c, docs/paretonbd.md

-- A fitted model: purchase rates lambda ~ Gamma(r, alpha) and dropout rates
-- mu ~ Gamma(s, beta), per day; then how the fit went.
CREATE TYPE custseg.paretonbd AS (
	r float8,
	alpha float8,
	s float8,
	beta float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE FUNCTION custseg.paretonbd_final(custseg.fit_state)
RETURNS custseg.paretonbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.paretonbd_fit(x, t_x, t) and custseg.paretonbd_fit(summary): one
-- row per customer; rows with a NULL are skipped; no row at all gives NULL.
CREATE AGGREGATE custseg.paretonbd_fit(x bigint, t_x float8, t float8) (
	SFUNC = custseg.fit_xtt_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.paretonbd_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.paretonbd_fit(summary custseg.customer_summary) (
	SFUNC = custseg.fit_xtt_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.paretonbd_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Predictions, with the horizon in days or as an interval.
DO $$
DECLARE
	horizon text;
BEGIN
	FOREACH horizon IN ARRAY ARRAY['float8', 'interval'] LOOP
		EXECUTE format($sql$
			CREATE FUNCTION custseg.expected_purchases(model custseg.paretonbd,
				horizon %1$s, x bigint, t_x float8, t float8)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.expected_purchases(model custseg.paretonbd,
				horizon %1$s)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases_new'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.purchase_probability(model custseg.paretonbd,
				n bigint, horizon %1$s)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_purchase_probability'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.clv(model custseg.paretonbd,
				gg custseg.gammagamma, x bigint, t_x float8, t float8,
				mean_spend float8, horizon %1$s,
				annual_discount_rate float8, margin float8 DEFAULT 1)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_clv'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
	END LOOP;
END
$$;

CREATE FUNCTION custseg.p_alive(model custseg.paretonbd, x bigint, t_x float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- BG/BB model of purchases at discrete opportunities: src/bgbb.c, docs/bgbb.md

-- A fitted model: purchase probability p ~ Beta(alpha, beta), dropout
-- probability theta ~ Beta(gamma, delta); the fit's log-likelihood, its
-- customers and how the optimizer went.
CREATE TYPE custseg.bgbb AS (
	alpha float8,
	beta float8,
	gamma float8,
	delta float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE FUNCTION custseg.bgbb_final(custseg.fit_state)
RETURNS custseg.bgbb
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.bgbb_fit(x, t_x, n [, weight]): one row per customer, or per
-- pattern of customers with weight = their number.  Rows with a NULL are
-- skipped.  (No summary form: a summary counts days, not opportunities.)
CREATE AGGREGATE custseg.bgbb_fit(x bigint, t_x bigint, n bigint) (
	SFUNC = custseg.fit_bgbb_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.bgbb_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.bgbb_fit(x bigint, t_x bigint, n bigint, weight bigint) (
	SFUNC = custseg.fit_bgbb_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.bgbb_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Expected purchases in the next horizon opportunities of a customer with
-- history (x, t_x, n), and of a new customer in its first horizon ones.
CREATE FUNCTION custseg.expected_purchases(model custseg.bgbb, horizon bigint,
	x bigint, t_x bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.expected_purchases(model custseg.bgbb, horizon bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Probability that a customer with history (x, t_x, n) is alive at
-- opportunity n + 1.
CREATE FUNCTION custseg.p_alive(model custseg.bgbb, x bigint, t_x bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Probability that a new customer makes exactly k purchases in n opportunities.
CREATE FUNCTION custseg.purchase_probability(model custseg.bgbb, k bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_purchase_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Discounted value of the purchases in the next horizon opportunities of a
-- customer with history (x, t_x, n): margin * expected spend per purchase
-- (Gamma-Gamma) * sum_{i=1}^horizon P(purchase at n + i) / (1 + r)^i, where
-- r is the discount rate per opportunity (per campaign, per issue...).
CREATE FUNCTION custseg.clv(model custseg.bgbb, gg custseg.gammagamma,
	x bigint, t_x bigint, n bigint, mean_spend float8, horizon bigint,
	discount_rate_per_opportunity float8, margin float8 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_clv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Simple customer lifetime value formulas: src/clv.c, docs/clv.md

-- Historical value: margin * revenue, the profit a customer has brought so far.
CREATE FUNCTION custseg.clv_historical(revenue float8,
	margin float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_historical'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.clv_historical(summary custseg.customer_summary,
	margin float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_historical_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Retention formula: margin * r / (1 + d - r), the present value of the
-- margins of the periods to come.
CREATE FUNCTION custseg.clv_retention(margin float8,
	retention_rate float8, discount_rate float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_retention'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- K-means clusters: src/kmeans.c, docs/kmeans.md

-- A fitted model.  k x d matrices are two-dimensional arrays, row c being
-- cluster c.  kmeans_assign reads log_features, means, sds and centers.
CREATE TYPE custseg.kmeans_model AS (
	k integer,					-- number of clusters
	customers bigint,			-- customers fitted (rows with all features)
	sizes bigint[],				-- customers per cluster
	centroids double precision[],	-- k x d: each cluster's mean features, original units
	inertia double precision,	-- sum of squared distances to the centres, standardized space
	iterations integer,			-- Lloyd iterations (centre updates) made
	converged boolean,			-- the last iteration changed no assignment
	seed integer,				-- seed of the k-means++ seeding
	log_features boolean[],		-- d: feature log1p-transformed before standardizing
	means double precision[],	-- d: mean of each (transformed) feature
	sds double precision[],		-- d: divisor of each (transformed) feature
	centers double precision[]	-- k x d: the centres in the standardized space
);

-- One row of custseg.kmeans_choose_k.
CREATE TYPE custseg.kmeans_choice AS (
	k integer,
	inertia double precision,
	silhouette double precision,	-- mean silhouette of a sample of 2000 customers
	iterations integer,
	converged boolean
);

-- State of the aggregates: the options and every customer's features
-- (distinct feature vectors with counts once flattened).  Text form is
-- JSON, exact, checked on input.
CREATE TYPE custseg.kmeans_state;

CREATE FUNCTION custseg.kmeans_state_in(cstring)
RETURNS custseg.kmeans_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.kmeans_state_out(custseg.kmeans_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.kmeans_state (
	INPUT = custseg.kmeans_state_in,
	OUTPUT = custseg.kmeans_state_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

CREATE FUNCTION custseg.kmeans_combine(custseg.kmeans_state, custseg.kmeans_state)
RETURNS custseg.kmeans_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.kmeans_final(custseg.kmeans_state)
RETURNS custseg.kmeans_model
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.kmeans_choose_k_final(custseg.kmeans_state)
RETURNS custseg.kmeans_choice[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.kmeans(features, k [, seed [, max_iter [, log_features]]]) and
-- custseg.kmeans_choose_k(features, k_min, k_max [, seed [, max_iter
-- [, log_features]]]), one row per customer.  CREATE AGGREGATE has no
-- DEFAULT arguments, hence an aggregate (and a transition function) per
-- argument list.  The transition functions are not strict: a NULL features
-- array (or one with a NULL element) leaves the customer out, a NULL option
-- is an error.
DO $$
DECLARE
	options text[] := ARRAY['', ', seed integer', ', seed integer, max_iter integer',
							', seed integer, max_iter integer, log_features boolean[]'];
	o text;
BEGIN
	FOREACH o IN ARRAY options LOOP
		EXECUTE format($sql$
			CREATE FUNCTION custseg.kmeans_accum(state custseg.kmeans_state,
				features double precision[], k integer%1$s)
			RETURNS custseg.kmeans_state
			AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE$sql$, o);
		EXECUTE format($sql$
			CREATE AGGREGATE custseg.kmeans(features double precision[], k integer%1$s) (
				SFUNC = custseg.kmeans_accum,
				STYPE = custseg.kmeans_state,
				FINALFUNC = custseg.kmeans_final,
				COMBINEFUNC = custseg.kmeans_combine,
				PARALLEL = SAFE
			)$sql$, o);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.kmeans_choose_k_accum(state custseg.kmeans_state,
				features double precision[], k_min integer, k_max integer%1$s)
			RETURNS custseg.kmeans_state
			AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE$sql$, o);
		EXECUTE format($sql$
			CREATE AGGREGATE custseg.kmeans_choose_k(features double precision[],
				k_min integer, k_max integer%1$s) (
				SFUNC = custseg.kmeans_choose_k_accum,
				STYPE = custseg.kmeans_state,
				FINALFUNC = custseg.kmeans_choose_k_final,
				COMBINEFUNC = custseg.kmeans_combine,
				PARALLEL = SAFE
			)$sql$, o);
	END LOOP;
END
$$;

-- The cluster (1 .. k) of one customer under a fitted model.
CREATE FUNCTION custseg.kmeans_assign(model custseg.kmeans_model,
	features double precision[])
RETURNS integer
AS 'MODULE_PATHNAME', 'kmeans_assign'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Holdout groups and uplift: src/holdout.c, docs/holdout.md, docs/uplift_guide.md

-- custseg.in_holdout(key, experiment, fraction): true for the customers
-- held out of the experiment.  SipHash-2-4 of the experiment name and the
-- key (specified in docs/holdout.md), stable everywhere.  Not strict: a
-- NULL argument is an error, not a NULL answer.
CREATE FUNCTION custseg.in_holdout(customer_key bigint, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_bigint'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.in_holdout(customer_key text, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_text'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.in_holdout(customer_key uuid, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_uuid'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The 64-bit hash behind in_holdout, as a two's complement bigint.
CREATE FUNCTION custseg.holdout_hash(customer_key bigint, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_bigint'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_hash(customer_key text, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_text'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_hash(customer_key uuid, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_uuid'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Student's t distribution, as the Welch test uses it.
CREATE FUNCTION custseg.student_t_cdf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- What custseg.uplift(treated, outcome) returns.
CREATE TYPE custseg.uplift AS (
	test text,					-- 'two-proportion z-test' or 'Welch t-test'
	treated_size bigint,		-- rows with treated = true
	control_size bigint,		-- rows with treated = false (the holdout)
	treated_mean float8,
	control_mean float8,
	absolute_lift float8,		-- treated_mean - control_mean
	relative_lift float8,		-- absolute_lift / control_mean; NULL when that is 0
	ci_low float8,				-- 95% confidence interval of absolute_lift
	ci_high float8,
	p_value float8,				-- two-sided, of "no difference"
	statistic float8,			-- z or t
	df float8					-- Welch-Satterthwaite degrees of freedom (t-test only)
);

-- State of custseg.uplift: per group rows, sum and sum of squared
-- deviations, and whether every outcome was 0 or 1.  Fixed size; exact text
-- form {"binary": true, "treated": [n, sum, m2], "control": [n, sum, m2]}.
CREATE TYPE custseg.uplift_state;

CREATE FUNCTION custseg.uplift_state_in(cstring)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_state_out(custseg.uplift_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.uplift_state (
	INPUT = custseg.uplift_state_in,
	OUTPUT = custseg.uplift_state_out,
	INTERNALLENGTH = 56,
	ALIGNMENT = double,
	STORAGE = plain
);

-- Not strict: a NULL treated or outcome is an error.
CREATE FUNCTION custseg.uplift_accum(custseg.uplift_state, treated boolean, outcome float8)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_combine(custseg.uplift_state, custseg.uplift_state)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_final(custseg.uplift_state)
RETURNS custseg.uplift
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE custseg.uplift(treated boolean, outcome float8) (
	SFUNC = custseg.uplift_accum,
	STYPE = custseg.uplift_state,
	FINALFUNC = custseg.uplift_final,
	COMBINEFUNC = custseg.uplift_combine,
	INITCOND = '{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]}',
	PARALLEL = SAFE
);

-- Segment views, scheduled refreshes, segment history, segment reports and
-- cohort retention: docs/views.md
--
-- PL/pgSQL, because these functions run DDL and queries on the caller's own
-- tables.  All are SECURITY INVOKER: the caller owns what they create and
-- reads only what they may read.  pg_cron is optional: it is reached only
-- through dynamic SQL inside custseg.schedule_refresh and
-- custseg.unschedule_refresh, so the extension installs and works without it.
-- Every identifier that reaches dynamic SQL goes through format('%I') and
-- every value through format('%L') or a parameter.  Every function runs
-- with search_path = pg_catalog, pg_temp: no function or operator of the
-- caller's schemas (e.g. an exact-match >= (numeric, integer) in a schema
-- others may write to) is picked up by the code here or by the views and
-- queries it writes, and relations are named schema-qualified.  The
-- caller's current schema reaches create_segment_view as the default of
-- its last argument, which is evaluated before the function's own setting.

-- The base type of a column of a relation, for the functions that read a
-- table of orders.  Domains are resolved to their base type.
CREATE FUNCTION custseg.orders_column(orders regclass, column_name name)
RETURNS regtype
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	column_type oid;
	columns text;
BEGIN
	SELECT a.atttypid INTO column_type
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = orders AND a.attname = column_name
	  AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
		INTO columns
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = orders AND a.attnum > 0 AND NOT a.attisdropped;
		RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, orders
			USING ERRCODE = 'undefined_column',
				  HINT = format('Its columns are: %s.', coalesce(columns, 'none'));
	END IF;
	-- A domain's base type, through domains over domains.
	WHILE (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid = column_type) = 'd' LOOP
		SELECT t.typbasetype INTO column_type FROM pg_catalog.pg_type t WHERE t.oid = column_type;
	END LOOP;
	RETURN column_type::regtype;
END
$$;

-- The quoted schema.name of a relation (the form segment history and job
-- names keep), or 42P01 with dropped_hint when the relation was dropped.
CREATE FUNCTION custseg.relation_name(rel regclass,
	dropped_hint text DEFAULT 'The relation was dropped.')
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	name text;
BEGIN
	SELECT format('%I.%I', n.nspname, c.relname) INTO name
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = dropped_hint;
	END IF;
	RETURN name;
END
$$;

-- 55000 when pg_cron is not installed in this database, with a hint on how
-- to install it.
CREATE FUNCTION custseg.require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name to this database (it is %s now), restart the server and run CREATE EXTENSION pg_cron here.',
								coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set'));
	END IF;
END
$$;

-- The customer key of a segment view: the column of a unique index on one
-- plain column, without WHERE clause, valid and not deferrable.  Checks that
-- the relation is a populated materialized view with columns segment and
-- cell, as the segment history needs.
CREATE FUNCTION custseg.segment_view_key(view regclass)
RETURNS name
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel record;
	key name;
BEGIN
	SELECT c.relkind, c.relispopulated INTO rel
	FROM pg_catalog.pg_class c WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF rel.relkind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Segment history and reports read a segment view: create one with custseg.create_segment_view.';
	END IF;
	IF NOT rel.relispopulated THEN
		RAISE EXCEPTION 'materialized view % has not been populated', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Run REFRESH MATERIALIZED VIEW %s first.', view);
	END IF;
	SELECT a.attname INTO key
	FROM pg_catalog.pg_index i
	JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
	WHERE i.indrelid = view AND i.indisunique AND i.indisvalid AND i.indimmediate
	  AND i.indnatts = 1 AND i.indkey[0] > 0 AND i.indpred IS NULL
	ORDER BY i.indexrelid
	LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'materialized view % has no unique index on one customer column', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Create one, e.g. CREATE UNIQUE INDEX ON %s (customer_id), with no WHERE clause.', view);
	END IF;
	PERFORM custseg.orders_column(view, 'segment');
	PERFORM custseg.orders_column(view, 'cell');
	RETURN key;
END
$$;

-- A materialized view of one row per customer: key, the fields of
-- custseg.customer_summary, the R, F and M scores, the cell and the segment,
-- with the unique index on the key that REFRESH ... CONCURRENTLY needs.
-- as_of NULL: the summary describes the moment of each refresh (now(),
-- LOCALTIMESTAMP or CURRENT_DATE, after the type of the time column), or
-- with as_of_unit the end of the refresh's minute, hour or day: then a
-- customer's row changes only when their orders do or the unit ends, and a
-- concurrent refresh rewrites only those rows.
-- thresholds NULL: recomputed from all customers at each refresh (bins,
-- method); otherwise frozen.
-- purchase_model and spend_model: with both, the columns expected_purchases,
-- p_alive and clv over clv_horizon, from the models frozen into the view's
-- query as typed literals.  purchase_model is a record so that calls without
-- models keep resolving to this one function (typed overloads with the
-- models as required arguments would make positional calls with untyped
-- literals ambiguous); its type is checked against clv_models below, the
-- model types that have custseg.expected_purchases, custseg.p_alive and
-- custseg.clv.
CREATE FUNCTION custseg.create_segment_view(
	view_name text,
	orders regclass,
	customer_column name,
	time_column name,
	amount_column name,
	as_of timestamptz DEFAULT NULL,
	as_of_unit text DEFAULT NULL,
	thresholds custseg.rfm_thresholds DEFAULT NULL,
	bins integer DEFAULT NULL,
	method text DEFAULT NULL,
	map text DEFAULT 'rfm',
	purchase_model record DEFAULT NULL,
	spend_model custseg.gammagamma DEFAULT NULL,
	clv_horizon interval DEFAULT '1 year',
	annual_discount_rate float8 DEFAULT 0.1,
	margin float8 DEFAULT 1,
	default_schema name DEFAULT pg_catalog.current_schema())
RETURNS regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
-- Floats written into the view's query (models, rate, margin) read back
-- exactly, whatever the caller's setting.
SET extra_float_digits = 1
AS $$
DECLARE
	parts text[];
	view_schema text;
	view_rel text;
	orders_kind "char";
	key_type regtype;
	time_type regtype;
	amount_type regtype;
	time_sql text;
	amount_sql text;
	as_of_sql text;
	score_sql text;
	score_bins integer;
	summary_fields text[] := ARRAY['first_order', 'last_order', 'orders', 'purchase_days',
		'revenue', 'avg_order_value', 'recency_days', 'repeat_purchases', 'active_days',
		'age_days', 'repeat_spend'];
	field text;
	fields_sql text := '';
	-- Purchase model types custseg.<name>: each has a field converged and
	-- custseg.expected_purchases(model, interval, x, t_x, t),
	-- custseg.p_alive(model, x, t_x, t) and custseg.clv(model, gammagamma, ...).
	clv_models text[] := ARRAY['bgnbd', 'mbgnbd', 'paretonbd'];
	model_type text;
	model_sql text;
	spend_sql text;
	clv_sql text := '';
	view_columns text[];
	with_clv boolean;
	created regclass;
BEGIN
	IF num_nulls(view_name, orders, customer_column, time_column, amount_column, map) > 0 THEN
		RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL',
			CASE WHEN view_name IS NULL THEN 'view_name' WHEN orders IS NULL THEN 'orders'
				 WHEN customer_column IS NULL THEN 'customer_column'
				 WHEN time_column IS NULL THEN 'time_column'
				 WHEN amount_column IS NULL THEN 'amount_column' ELSE 'map' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Only as_of, as_of_unit, thresholds, bins, method, purchase_model and spend_model may be NULL.';
	END IF;

	-- CLV models: both or neither; the purchase model of a known family;
	-- neither from a fit that did not converge.  Parameters, horizon,
	-- discount rate and margin are checked below by custseg.clv itself.
	-- (num_nulls, not IS NULL: a model with NULL fields is a model, to be
	-- rejected by custseg.clv, not an absent one.)
	with_clv := num_nulls(purchase_model, spend_model) < 2;
	IF NOT with_clv THEN
		IF clv_horizon IS DISTINCT FROM interval '1 year' OR annual_discount_rate IS DISTINCT FROM 0.1
		   OR margin IS DISTINCT FROM 1 THEN
			RAISE EXCEPTION 'clv_horizon, annual_discount_rate and margin need purchase_model and spend_model'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Pass a purchase model (e.g. from custseg.bgnbd_fit) and a spend model (custseg.gammagamma) to add CLV columns.';
		END IF;
	ELSE
		IF num_nulls(purchase_model, spend_model) > 0 THEN
			RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL when % is given',
				CASE WHEN num_nulls(purchase_model) > 0 THEN 'purchase_model' ELSE 'spend_model' END,
				CASE WHEN num_nulls(purchase_model) > 0 THEN 'spend_model' ELSE 'purchase_model' END
				USING ERRCODE = 'null_value_not_allowed',
					  HINT = 'CLV needs both models: a purchase model (e.g. from custseg.bgnbd_fit or custseg.mbgnbd_fit) and a spend model (custseg.gammagamma).';
		END IF;
		SELECT t.typname INTO model_type
		FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = pg_catalog.pg_typeof(purchase_model) AND n.nspname = 'custseg'
		  AND t.typname = ANY (clv_models);
		IF NOT FOUND THEN
			RAISE EXCEPTION 'purchase_model has type %, not a purchase model', pg_catalog.pg_typeof(purchase_model)
				USING ERRCODE = 'datatype_mismatch',
					  HINT = format('Pass a model of type %s, e.g. the result of custseg.bgnbd_fit; cast a row: ROW(...)::custseg.bgnbd.',
									(SELECT pg_catalog.string_agg('custseg.' || m, ' or ') FROM pg_catalog.unnest(clv_models) AS m));
		END IF;
		IF purchase_model.converged IS FALSE OR spend_model.converged IS FALSE THEN
			RAISE EXCEPTION '% did not converge', CASE WHEN purchase_model.converged IS FALSE
													   THEN 'purchase_model' ELSE 'spend_model' END
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Its parameters are the best point the fit found, not a maximum of the likelihood: refit with more customers who made repeat purchases.';
		END IF;
		IF num_nulls(clv_horizon, annual_discount_rate, margin) > 0 THEN
			RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL',
				CASE WHEN clv_horizon IS NULL THEN 'clv_horizon'
					 WHEN annual_discount_rate IS NULL THEN 'annual_discount_rate' ELSE 'margin' END
				USING ERRCODE = 'null_value_not_allowed',
					  HINT = 'Leave them out for the defaults: a horizon of 1 year, a discount rate of 0.1 a year and a margin of 1.';
		END IF;
		model_sql := format('%L::custseg.%I', purchase_model, model_type);
		spend_sql := format('%L::custseg.gammagamma', spend_model);
		-- Checks every parameter, the horizon, the rate and the margin.
		EXECUTE format('SELECT custseg.clv(%s, %s, 0, 0, 0, 0, $1, $2, $3)', model_sql, spend_sql)
			USING clv_horizon, annual_discount_rate, margin;
		clv_sql := format($sql$,
			   custseg.expected_purchases(%1$s, %3$L::interval, (k.s).repeat_purchases,
										  (k.s).active_days, (k.s).age_days) AS expected_purchases,
			   custseg.p_alive(%1$s, (k.s).repeat_purchases, (k.s).active_days,
							   (k.s).age_days) AS p_alive,
			   custseg.clv(%1$s, %2$s, (k.s).repeat_purchases, (k.s).active_days,
						   (k.s).age_days, greatest((k.s).repeat_spend, 0), %3$L::interval,
						   %4$L::float8, %5$L::float8) AS clv$sql$,
			model_sql, spend_sql, clv_horizon, annual_discount_rate, margin);
	END IF;

	-- The view's name: "name" or "schema.name", quoted as in SQL.
	parts := pg_catalog.parse_ident(view_name);
	IF pg_catalog.array_length(parts, 1) > 2 THEN
		RAISE EXCEPTION 'improper view name "%"', view_name
			USING ERRCODE = 'invalid_name',
				  HINT = 'Give a view name, optionally qualified by a schema: name or schema.name.';
	END IF;
	view_rel := parts[pg_catalog.array_length(parts, 1)];
	view_schema := CASE WHEN pg_catalog.array_length(parts, 1) = 2 THEN parts[1]
						ELSE default_schema END;
	IF view_schema IS NULL THEN
		RAISE EXCEPTION 'no schema has been selected to create in'
			USING ERRCODE = 'invalid_schema_name',
				  HINT = 'Qualify the view name with a schema, or set search_path.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = view_schema) THEN
		RAISE EXCEPTION 'schema "%" does not exist', view_schema
			USING ERRCODE = 'invalid_schema_name',
				  HINT = 'Create the schema first, or qualify the view name with another one.';
	END IF;
	IF pg_catalog.octet_length(view_rel) > 63 THEN
		RAISE EXCEPTION 'view name "%" is too long', view_rel
			USING ERRCODE = 'name_too_long',
				  HINT = 'PostgreSQL names have at most 63 bytes.';
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_class c
			   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			   WHERE n.nspname = view_schema AND c.relname = view_rel) THEN
		RAISE EXCEPTION 'relation "%.%" already exists', view_schema, view_rel
			USING ERRCODE = 'duplicate_table',
				  HINT = 'Drop it first or choose another name: custseg.create_segment_view never replaces a relation.';
	END IF;

	-- The orders and their columns.
	SELECT c.relkind INTO orders_kind FROM pg_catalog.pg_class c WHERE c.oid = orders;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', orders::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF orders_kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
		RAISE EXCEPTION '% is not a table, view, materialized view or foreign table', orders
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Pass the relation that holds one row per order.';
	END IF;
	view_columns := summary_fields || ARRAY['r', 'f', 'm', 'cell', 'segment'];
	IF with_clv THEN
		view_columns := view_columns || ARRAY['expected_purchases', 'p_alive', 'clv'];
	END IF;
	IF customer_column = ANY (view_columns) THEN
		RAISE EXCEPTION 'customer column "%" has the name of a column of the segment view', customer_column
			USING ERRCODE = 'duplicate_column',
				  HINT = 'Rename it in a view over the orders, e.g. SELECT orders AS customer_id, ....';
	END IF;
	key_type := custseg.orders_column(orders, customer_column);
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_opclass oc
				   JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
				   WHERE am.amname = 'btree' AND oc.opcdefault
					 AND (oc.opcintype = key_type
						  OR oc.opcintype IN (SELECT castt.casttarget FROM pg_catalog.pg_cast castt
											  WHERE castt.castsource = key_type AND castt.castmethod = 'b')
						  OR (oc.opcintype = 'anyenum'::regtype
							  AND (SELECT typtype FROM pg_catalog.pg_type WHERE oid = key_type) = 'e'))) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be a unique key', customer_column, orders, key_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a customer key with a default btree operator class: bigint, integer, text or uuid, for example.';
	END IF;
	time_type := custseg.orders_column(orders, time_column);
	IF time_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a date or time', time_column, orders, time_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a date, timestamp or timestamptz column, or a view that casts the order time to one of them.';
	END IF;
	amount_type := custseg.orders_column(orders, amount_column);
	IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype,
						   'integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a number', amount_column, orders, amount_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a numeric, double precision, integer or bigint column, or a view that casts the amount to numeric.';
	END IF;
	time_sql := format('o.%I::%s', time_column, time_type);
	amount_sql := format('o.%I::%s', amount_column,
		CASE amount_type WHEN 'real'::regtype THEN 'double precision'::regtype
						 WHEN 'smallint'::regtype THEN 'integer'::regtype
						 ELSE amount_type END);

	-- as_of: fixed, converted to the column's type now, or the time of each
	-- refresh.
	IF as_of_unit IS NOT NULL AND (as_of IS NOT NULL OR as_of_unit NOT IN ('minute', 'hour', 'day')
									OR time_type = 'date'::regtype) THEN
		RAISE EXCEPTION 'as_of_unit "%" cannot be used here', as_of_unit
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'as_of_unit is ''minute'', ''hour'' or ''day'', for a timestamp or timestamptz column and without a fixed as_of.';
	END IF;
	IF as_of IS NULL AND as_of_unit IS NOT NULL THEN
		as_of_sql := format('(date_trunc(%L, %s) + interval %L)', as_of_unit,
							CASE time_type WHEN 'timestamp'::regtype THEN 'LOCALTIMESTAMP' ELSE 'now()' END,
							'1 ' || as_of_unit);
	ELSIF as_of IS NULL THEN
		as_of_sql := CASE time_type WHEN 'date'::regtype THEN 'CURRENT_DATE'
									WHEN 'timestamp'::regtype THEN 'LOCALTIMESTAMP'
									ELSE 'now()' END;
	ELSE
		as_of_sql := CASE time_type WHEN 'date'::regtype THEN format('%L::date', as_of::date)
									WHEN 'timestamp'::regtype THEN format('%L::timestamp', as_of::timestamp)
									ELSE format('%L::timestamptz', as_of) END;
	END IF;

	-- Scores: against frozen thresholds, or against thresholds recomputed
	-- from all customers at each refresh.  The options are checked now by
	-- the functions that will use them, with their own errors.
	IF thresholds IS NOT NULL THEN
		IF bins IS NOT NULL OR method IS NOT NULL THEN
			RAISE EXCEPTION 'bins and method cannot be given with thresholds'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Frozen thresholds carry their own bins and method: pass either thresholds, or bins and method to recompute the thresholds at each refresh.';
		END IF;
		score_bins := ((thresholds::text)::jsonb ->> 'bins')::integer;
		score_sql := format('custseg.rfm_score(%L::custseg.rfm_thresholds, c.s)', thresholds);
	ELSE
		bins := coalesce(bins, 5);
		method := coalesce(method, 'quantile');
		PERFORM custseg.rfm_thresholds(1.0, 1.0, 1.0, bins, method);
		score_bins := bins;
		score_sql := format('custseg.rfm_score(c.s, %s, %L) OVER ()', bins, method);
	END IF;
	PERFORM custseg.segment(score_bins, score_bins, score_bins, map);

	FOREACH field IN ARRAY summary_fields LOOP
		fields_sql := fields_sql || format('(k.s).%I, ', field);
	END LOOP;
	EXECUTE format($sql$
		CREATE MATERIALIZED VIEW %I.%I AS
		SELECT k.%I, %s(k.score).r, (k.score).f, (k.score).m, (k.score).cell,
			   custseg.segment(k.score, %L) AS segment%s
		FROM (SELECT c.%I, c.s, %s AS score
			  FROM (SELECT o.%I, custseg.summarize(%s, %s, %s) AS s
					FROM %s AS o
					WHERE o.%I IS NOT NULL
					GROUP BY o.%I) AS c
			  WHERE (c.s).orders IS NOT NULL) AS k$sql$,
		view_schema, view_rel, customer_column, fields_sql, map, clv_sql,
		customer_column, score_sql,
		customer_column, time_sql, amount_sql, as_of_sql,
		format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
						  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						  WHERE c.oid = orders),
			   (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = orders)),
		customer_column, customer_column);
	created := format('%I.%I', view_schema, view_rel)::regclass;
	EXECUTE format('CREATE UNIQUE INDEX ON %s (%I)', created, customer_column);
	EXECUTE format('COMMENT ON MATERIALIZED VIEW %s IS %L', created,
		format('custseg segment view of %s by %I: as of %s, %s, map %s%s',
			   orders, customer_column,
			   coalesce(as_of::text, 'each refresh' || coalesce(format(' (end of its %s)', as_of_unit), '')),
			   CASE WHEN thresholds IS NULL
					THEN format('thresholds recomputed at each refresh (%s bins, %s)', bins, method)
					ELSE format('frozen thresholds %s', thresholds) END,
			   map,
			   CASE WHEN with_clv
					THEN format(', CLV over %s at %s a year, margin %s, from custseg.%s %s and custseg.gammagamma %s',
								clv_horizon, annual_discount_rate, margin, model_type, purchase_model, spend_model)
					ELSE '' END));
	RETURN created;
END
$$;

-- pg_cron jobs.  The job of a view is named after the view's schema and
-- name, which survive dump and restore (an oid would not), so scheduling a
-- view again replaces its job.
CREATE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
	concurrently boolean DEFAULT true, snapshot boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	fields text[];
	field text;
	items text[];
	item text;
	parts text[];
	i integer;
	lo integer;
	hi integer;
	lows integer[] := ARRAY[0, 0, 1, 1, 0];
	highs integer[] := ARRAY[59, 23, 31, 12, 7];
	field_names text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
	names text[];
	rel record;
	view_sql text;
	job_name text;
	command text;
	job_id bigint;
	problem text;
	refresh_concurrently ALIAS FOR $3;	-- CONCURRENTLY is a keyword
BEGIN
	IF num_nulls(view, schedule, refresh_concurrently, snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.schedule_refresh must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN schedule IS NULL THEN 'schedule'
				 WHEN refresh_concurrently IS NULL THEN 'concurrently' ELSE 'snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a materialized view, a cron schedule such as ''0 2 * * *'', and true or false.';
	END IF;

	-- The schedule: five cron fields, a macro, or 'N seconds' (pg_cron 1.5+).
	fields := pg_catalog.regexp_split_to_array(pg_catalog.btrim(schedule), '\s+');
	IF pg_catalog.btrim(schedule) ~ '^@' THEN
		IF pg_catalog.lower(pg_catalog.btrim(schedule)) !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)$' THEN
			problem := 'unknown macro';
		END IF;
	ELSIF pg_catalog.btrim(schedule) ~ '^[0-9]{1,9} seconds?$' THEN
		IF fields[1]::integer NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSIF pg_catalog.array_length(fields, 1) IS DISTINCT FROM 5 THEN
		problem := CASE WHEN pg_catalog.btrim(schedule) = '' THEN 'no fields'
						WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
						ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
	ELSE
		<<fields_loop>>
		FOR i IN 1 .. 5 LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]{3})(-([0-9]+|[a-z]{3}))?)(/([0-9]+))?$');
				IF parts IS NULL THEN
					problem := format('the %s field "%s" is not a value, range, list or step', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::integer NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is out of range', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN pg_catalog.left(parts[2], 9)::integer
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN pg_catalog.left(parts[4], 9)::integer
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo IS NULL OR hi IS NULL OR lo NOT BETWEEN lows[i] AND highs[i]
				   OR hi NOT BETWEEN lows[i] AND highs[i] OR lo > hi THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week), e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
	END IF;

	-- The view.
	SELECT c.relkind, c.relispopulated, c.relowner, n.nspname, c.relname INTO rel
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF rel.relkind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.schedule_refresh refreshes materialized views: create one with custseg.create_segment_view.';
	END IF;
	IF NOT pg_catalog.pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Schedule the refresh as the owner of the view: only the owner may refresh it, and the job runs as the role that scheduled it.';
	END IF;
	IF refresh_concurrently THEN
		IF NOT rel.relispopulated THEN
			RAISE EXCEPTION 'materialized view % has not been populated', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('A concurrent refresh needs a populated view: run REFRESH MATERIALIZED VIEW %s once first.', view);
		END IF;
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
					   WHERE i.indrelid = view AND i.indisunique AND i.indisvalid AND i.indimmediate
						 AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
			RAISE EXCEPTION 'materialized view % has no unique index for a concurrent refresh', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('Create a unique index on plain columns without WHERE clause, e.g. CREATE UNIQUE INDEX ON %s (customer_id), or pass concurrently => false.', view);
		END IF;
	END IF;
	IF snapshot THEN
		PERFORM custseg.segment_view_key(view);
	END IF;

	-- pg_cron, in this database.
	PERFORM custseg.require_pg_cron();

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	job_name := 'custseg refresh ' || view_sql;
	command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = format('pg_cron %s is installed; interval schedules such as ''30 seconds'' need pg_cron 1.5 or later, five-field schedules work with every version.',
								(SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'));
	END;
	RETURN job_id;
END
$$;

-- Remove the refresh job of a view: true when there was one.
CREATE FUNCTION custseg.unschedule_refresh(view regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job_name text;
	found_job boolean;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.unschedule_refresh must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the materialized view whose refresh job should be removed.';
	END IF;
	PERFORM custseg.require_pg_cron();
	job_name := 'custseg refresh ' || custseg.relation_name(view,
		'The relation was dropped; remove its job with cron.unschedule(''custseg refresh schema.view'').');
	EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1 AND username = current_user)'
		INTO found_job USING job_name;
	IF found_job THEN
		EXECUTE 'SELECT cron.unschedule($1)' USING job_name;
	END IF;
	RETURN found_job;
END
$$;

-- Segment history.  One pair of tables for all views: a row per snapshot in
-- custseg.segment_snapshots, a row per customer and snapshot in
-- custseg.segment_history.  A view is named by its schema-qualified,
-- quoted name (stable across dump and restore, unlike its oid); a customer
-- key by its text form, whatever the key's type.  Append-only: nobody may
-- update; the owner of a view writes and prunes its history, whoever may
-- read the view may read its history (row level security).
CREATE TABLE custseg.segment_snapshots (
	view_name	text NOT NULL,		-- format('%I.%I', schema, view)
	snapshot_at	timestamptz NOT NULL,
	customers	bigint NOT NULL,
	PRIMARY KEY (view_name, snapshot_at)
);

CREATE TABLE custseg.segment_history (
	view_name	text NOT NULL,
	snapshot_at	timestamptz NOT NULL,
	customer_key text NOT NULL,		-- the key's text output
	segment		text,
	cell		integer,
	PRIMARY KEY (view_name, snapshot_at, customer_key)
);

COMMENT ON TABLE custseg.segment_snapshots IS
	'Snapshots of segment views taken by custseg.snapshot_segments';
COMMENT ON TABLE custseg.segment_history IS
	'Segment and cell of every customer of a segment view at each snapshot';

-- History is user data: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_history', '');

ALTER TABLE custseg.segment_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE custseg.segment_history ENABLE ROW LEVEL SECURITY;

CREATE POLICY segment_snapshots_read ON custseg.segment_snapshots FOR SELECT
	USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(view_name), 'SELECT'));
CREATE POLICY segment_snapshots_write ON custseg.segment_snapshots FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
										WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_snapshots_prune ON custseg.segment_snapshots FOR DELETE
	USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
								   WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_history_read ON custseg.segment_history FOR SELECT
	USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(view_name), 'SELECT'));
CREATE POLICY segment_history_write ON custseg.segment_history FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
										WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_history_prune ON custseg.segment_history FOR DELETE
	USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
								   WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));

GRANT SELECT, INSERT, DELETE ON custseg.segment_snapshots, custseg.segment_history TO PUBLIC;

-- Record the segment of every customer of a view now; the number of
-- customers recorded.  Run it right after a refresh (in the same
-- transaction, the snapshot time is the refresh's).
CREATE FUNCTION custseg.snapshot_segments(view regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	view_sql text;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	view_sql := custseg.relation_name(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_name = view_sql AND s.snapshot_at = pg_catalog.now()) THEN
		RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_name, snapshot_at, customer_key, segment, cell)
					SELECT %L, pg_catalog.now(), v.%I::text, v.segment::text, v.cell::integer
					FROM %s AS v', view_sql, key, view_sql);
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_name, snapshot_at, customers)
	VALUES (view_sql, pg_catalog.now(), recorded);
	RETURN recorded;
END
$$;

-- Delete the snapshots of a view older than keep; the number of snapshots
-- deleted.
CREATE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	view_sql text;
	pruned bigint;
BEGIN
	IF view IS NULL OR keep IS NULL THEN
		RAISE EXCEPTION '% of custseg.prune_segment_history must not be NULL',
			CASE WHEN view IS NULL THEN 'view' ELSE 'keep' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and how long to keep its snapshots, e.g. interval ''13 months''.';
	END IF;
	IF keep < interval '0' THEN
		RAISE EXCEPTION 'keep must not be negative, not %', keep
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give how long snapshots are kept, e.g. interval ''13 months''; interval ''0'' deletes every snapshot taken before this transaction.';
	END IF;
	view_sql := custseg.relation_name(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_name = view_sql AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

-- How customers moved between two snapshots of a view: the newest snapshot
-- taken at or before from_snapshot, and the newest at or before
-- to_snapshot.  A NULL from_segment counts customers who appeared, a NULL
-- to_segment customers who disappeared.
CREATE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	view_sql text;
	from_at timestamptz;
	to_at timestamptz;
BEGIN
	IF num_nulls(view, from_snapshot, to_snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.segment_transitions must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN from_snapshot IS NULL THEN 'from_snapshot'
				 ELSE 'to_snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and two times; the newest snapshot at or before each time is used.';
	END IF;
	view_sql := custseg.relation_name(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_name = %L.', view_sql);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_name = view_sql AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_name = view_sql AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;

-- Customers and revenue per segment, for sharing: a segment with fewer than
-- min_size customers is not shown.  The small segments are shown together
-- in one row (segment NULL) when they have min_size customers together, and
-- left out otherwise; shares are of the customers and revenue shown, and no
-- total is shown, so a left-out group cannot be recovered by subtraction.
CREATE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
RETURNS TABLE (segment text, segments integer, customers bigint, revenue double precision,
			   customer_share double precision, revenue_share double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
BEGIN
	IF view IS NULL OR min_size IS NULL THEN
		RAISE EXCEPTION '% of custseg.segment_report must not be NULL',
			CASE WHEN view IS NULL THEN 'view' ELSE 'min_size' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a segment view and the smallest group size that may be shown, e.g. 10.';
	END IF;
	IF min_size < 1 THEN
		RAISE EXCEPTION 'min_size must be at least 1, not %', min_size
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Groups smaller than min_size are suppressed; 10 is a common choice, 1 shows every group.';
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF kind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.segment_report reads a segment view: create one with custseg.create_segment_view.';
	END IF;
	PERFORM custseg.orders_column(view, 'segment');
	PERFORM custseg.orders_column(view, 'revenue');
	RETURN QUERY EXECUTE format($sql$
		WITH grouped AS (
			SELECT v.segment::text AS segment, count(*) AS customers,
				   sum(v.revenue)::double precision AS revenue
			FROM %s AS v
			GROUP BY 1
		),
		shown AS (
			SELECT g.segment, 1 AS segments, g.customers, g.revenue
			FROM grouped g WHERE g.customers >= $1
			UNION ALL
			SELECT NULL, count(*)::integer, sum(g.customers)::bigint, sum(g.revenue)
			FROM grouped g WHERE g.customers < $1
			HAVING sum(g.customers) >= $1
		)
		SELECT s.segment, s.segments, s.customers, s.revenue,
			   s.customers::double precision / sum(s.customers) OVER (),
			   s.revenue / nullif(sum(s.revenue) OVER (), 0)
		FROM shown s
		ORDER BY s.segment IS NULL, s.customers DESC, s.segment$sql$, view)
	USING min_size;
END
$$;

-- Cohorts by the period (month or week) of the first purchase; for each
-- cohort and each period since, the share of its customers who bought in
-- that period.  Periods run to the last period with an order in the table.
CREATE FUNCTION custseg.cohort_retention(orders regclass, customer_column name,
	time_column name, period text DEFAULT 'month', amount_column name DEFAULT NULL)
RETURNS TABLE (cohort date, period_number integer, customers bigint, active bigint,
			   retention double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	time_type regtype;
	amount_type regtype;
	time_sql text;
	filter_sql text := '';
	distance_sql text;
BEGIN
	IF num_nulls(orders, customer_column, time_column, period) > 0 THEN
		RAISE EXCEPTION '% of custseg.cohort_retention must not be NULL',
			CASE WHEN orders IS NULL THEN 'orders' WHEN customer_column IS NULL THEN 'customer_column'
				 WHEN time_column IS NULL THEN 'time_column' ELSE 'period' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the orders relation, its customer and time columns, and ''month'' or ''week''.';
	END IF;
	IF period NOT IN ('month', 'week') THEN
		RAISE EXCEPTION 'unknown cohort period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use ''month'' (calendar months) or ''week'' (ISO weeks, starting on Monday).';
	END IF;
	PERFORM custseg.orders_column(orders, customer_column);
	time_type := custseg.orders_column(orders, time_column);
	IF time_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a date or time', time_column, orders, time_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a date, timestamp or timestamptz column, or a view that casts the order time to one of them.';
	END IF;
	-- A date is truncated as a timestamp: its own calendar, not the session's time zone.
	time_sql := format('o.%I::%s', time_column,
		CASE time_type WHEN 'date'::regtype THEN 'timestamp'::regtype ELSE time_type END);
	IF amount_column IS NOT NULL THEN
		amount_type := custseg.orders_column(orders, amount_column);
		IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype,
							   'integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
			RAISE EXCEPTION 'column "%" of relation % has type %, not a number', amount_column, orders, amount_type
				USING ERRCODE = 'datatype_mismatch',
					  HINT = 'Use a numeric, double precision, integer or bigint column, or leave amount_column NULL to count every row as a purchase.';
		END IF;
		filter_sql := format(' AND o.%I >= 0', amount_column);
	END IF;
	distance_sql := CASE period
		WHEN 'month' THEN '((extract(year FROM p.period_start) - extract(year FROM f.cohort)) * 12
							+ extract(month FROM p.period_start) - extract(month FROM f.cohort))::integer'
		ELSE '(p.period_start - f.cohort) / 7' END;
	RETURN QUERY EXECUTE format($sql$
		WITH purchase AS (
			SELECT DISTINCT o.%1$I AS customer, date_trunc(%2$L, %3$s)::date AS period_start
			FROM %4$s AS o
			WHERE o.%1$I IS NOT NULL AND o.%5$I IS NOT NULL%6$s
		),
		first AS (
			SELECT p.customer, min(p.period_start) AS cohort
			FROM purchase p GROUP BY p.customer
		),
		activity AS (
			SELECT f.cohort, %7$s AS period_number, count(*) AS active
			FROM purchase p JOIN first f ON f.customer = p.customer
			GROUP BY 1, 2
		),
		size AS (
			SELECT f.cohort, count(*) AS customers FROM first f GROUP BY f.cohort
		)
		SELECT s.cohort, n.period_number, s.customers, coalesce(a.active, 0),
			   coalesce(a.active, 0)::double precision / s.customers
		FROM size s
		CROSS JOIN LATERAL generate_series(0,
			(SELECT %8$s FROM (SELECT max(p.period_start) AS period_start FROM purchase p) AS p,
							  (SELECT s.cohort) AS f)) AS n(period_number)
		LEFT JOIN activity a ON a.cohort = s.cohort AND a.period_number = n.period_number
		ORDER BY 1, 2$sql$,
		customer_column, period, time_sql, orders, time_column, filter_sql,
		distance_sql, distance_sql);
END
$$;
