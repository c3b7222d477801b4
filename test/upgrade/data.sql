-- test/upgrade/data.sql: data that uses every custseg type, created on
-- custseg 0.1.0 before ALTER EXTENSION custseg UPDATE (scripts/test).
-- test/upgrade/check.sql reads it back after the update.
--
-- Schema up holds: orders and their summaries; stored RFM thresholds
-- (quantiles, R rfm method, custom cut points) and RFM scores; every model
-- type, fitted, with the fit_state of each model kind kept through user
-- aggregates without a final function; a kmeans_model, kmeans_choice[] and
-- both uses of kmeans_state; uplift results and uplift_state; an
-- rfm_thresholds_state; a segment view with CLV columns and a user segment
-- map, with two snapshots of segment history; and up.results, a view of
-- everything computed from the stored values, whose rows are saved here in
-- up.before (text forms: float8 prints shortest-exact, so equal text is
-- equal bits).
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE SCHEMA up;

-- The CDNOW sample (2,357 customers, 6,919 orders) and the donations data
-- of test/data: data the models fit.
CREATE TABLE up.cdnow (line text);
\copy up.cdnow FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE up.orders AS
SELECT f[2]::int AS customer_id,
	   (to_date(f[3], 'YYYYMMDD') + (hashint4(n::int) & 1023) * interval '1 minute')::timestamptz
		   AS order_time,
	   f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f, row_number() OVER () AS n
	  FROM up.cdnow) c;
CREATE TABLE up.donors (x bigint, t_x bigint, n bigint, donors bigint);
\copy up.donors FROM 'test/data/donations.csv' WITH (FORMAT csv, HEADER)

CREATE TABLE up.summaries AS
SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '1997-09-30') AS s
FROM up.orders GROUP BY customer_id;

-- Transition states, seen through aggregates without a final function.
CREATE AGGREGATE up.xtt_state(custseg.customer_summary) (
	SFUNC = custseg.fit_xtt_accum, STYPE = custseg.fit_state, COMBINEFUNC = custseg.fit_combine);
CREATE AGGREGATE up.spend_state(custseg.customer_summary) (
	SFUNC = custseg.fit_spend_accum, STYPE = custseg.fit_state, COMBINEFUNC = custseg.fit_combine);
CREATE AGGREGATE up.bgbb_state(bigint, bigint, bigint, bigint) (
	SFUNC = custseg.fit_bgbb_accum, STYPE = custseg.fit_state, COMBINEFUNC = custseg.fit_combine);
CREATE AGGREGATE up.kmeans_state(float8[], integer, integer, integer, boolean[]) (
	SFUNC = custseg.kmeans_accum, STYPE = custseg.kmeans_state, COMBINEFUNC = custseg.kmeans_combine);
CREATE AGGREGATE up.choose_k_state(float8[], integer, integer) (
	SFUNC = custseg.kmeans_choose_k_accum, STYPE = custseg.kmeans_state,
	COMBINEFUNC = custseg.kmeans_combine);
-- (0.2.0 gives the uplift aggregates a new state and drops these support
-- functions: an aggregate of them would block the update, so this one is
-- temporary.)
CREATE AGGREGATE pg_temp.uplift_state(boolean, float8) (
	SFUNC = custseg.uplift_accum, STYPE = custseg.uplift_state, COMBINEFUNC = custseg.uplift_combine);
-- Stored states merged.
CREATE AGGREGATE up.fit_merge(custseg.fit_state) (
	SFUNC = custseg.fit_combine, STYPE = custseg.fit_state);
CREATE AGGREGATE up.rfm_state(float8, float8, float8, integer, text) (
	SFUNC = custseg.rfm_thresholds_accum, STYPE = custseg.rfm_thresholds_state);

CREATE TABLE up.stored AS
SELECT (SELECT custseg.rfm_thresholds(s) FROM up.summaries) AS quantiles,
	   (SELECT custseg.rfm_thresholds(s, 4, 'rfm') FROM up.summaries) AS rfm_method,
	   custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 10],
							  ARRAY[50, 100, 250, 1000]) AS cuts,
	   (SELECT up.rfm_state((s).recency_days, (s).orders, (s).revenue, 5, 'quantile')
		FROM up.summaries) AS rfm_state,
	   (SELECT custseg.bgnbd_fit(s) FROM up.summaries) AS bgnbd,
	   (SELECT custseg.mbgnbd_fit(s) FROM up.summaries) AS mbgnbd,
	   (SELECT custseg.paretonbd_fit(s) FROM up.summaries) AS paretonbd,
	   (SELECT custseg.gammagamma_fit(s) FROM up.summaries) AS gammagamma,
	   (SELECT custseg.bgbb_fit(x, t_x, n, donors) FROM up.donors) AS bgbb,
	   (SELECT up.xtt_state(s) FROM up.summaries) AS xtt_state,
	   (SELECT up.spend_state(s) FROM up.summaries) AS spend_state,
	   (SELECT up.bgbb_state(x, t_x, n, donors) FROM up.donors) AS bgbb_state,
	   (SELECT custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 0, 50,
							  ARRAY[false, true, true]) FROM up.summaries) AS kmeans,
	   (SELECT up.kmeans_state(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 0, 50,
							   ARRAY[false, true, true]) FROM up.summaries) AS kmeans_state,
	   (SELECT custseg.kmeans_choose_k(ARRAY[(s).recency_days, (s).orders], 2, 4)
		FROM up.summaries) AS choices,
	   (SELECT up.choose_k_state(ARRAY[(s).recency_days, (s).orders], 2, 4)
		FROM up.summaries) AS choose_k_state,
	   (SELECT custseg.uplift(NOT custseg.in_holdout(customer_id, 'spring', 0.3), (s).revenue)
		FROM up.summaries) AS uplift,
	   (SELECT custseg.uplift(NOT custseg.in_holdout(customer_id::text, 'spring', 0.3),
							  ((s).orders > 3)::int) FROM up.summaries) AS uplift_rate,
	   (SELECT pg_temp.uplift_state(NOT custseg.in_holdout(customer_id, 'spring', 0.3), (s).revenue)
		FROM up.summaries) AS uplift_state;

CREATE TABLE up.scores AS
SELECT customer_id, s, custseg.rfm_score(t.quantiles, s) AS score
FROM up.summaries, up.stored t;

-- A user segment map (a row of an extension configuration table).
INSERT INTO custseg.segment_rules VALUES
	('upgrade', 1, 'Best', 3, 5, 1, 5, 4, 5),
	('upgrade', 2, 'Others', 1, 5, 1, 5, 1, 5);

-- A segment view on the stored thresholds and models, with two snapshots.
SELECT custseg.create_segment_view('up.segments', 'up.orders', 'customer_id', 'order_time',
	'amount', as_of => '1997-09-30', thresholds => (SELECT quantiles FROM up.stored),
	map => 'upgrade', purchase_model => (SELECT bgnbd FROM up.stored),
	spend_model => (SELECT gammagamma FROM up.stored)) IS NOT NULL AS created \g /dev/null
SELECT custseg.snapshot_segments('up.segments') \g /dev/null
UPDATE up.orders SET amount = amount + 100 WHERE customer_id % 10 = 0;
REFRESH MATERIALIZED VIEW CONCURRENTLY up.segments;
SELECT pg_sleep(0.01) \g /dev/null
SELECT custseg.snapshot_segments('up.segments') \g /dev/null

-- Everything computed from the stored values: equal before and after.
CREATE VIEW up.results AS
SELECT 'stored ' || name AS name, value
FROM up.stored t, LATERAL (VALUES
	('quantiles', t.quantiles::text), ('rfm_method', t.rfm_method::text), ('cuts', t.cuts::text),
	('rfm_state', t.rfm_state::text), ('bgnbd', t.bgnbd::text), ('mbgnbd', t.mbgnbd::text),
	('paretonbd', t.paretonbd::text), ('gammagamma', t.gammagamma::text), ('bgbb', t.bgbb::text),
	('xtt_state', t.xtt_state::text), ('spend_state', t.spend_state::text),
	('bgbb_state', t.bgbb_state::text), ('kmeans', t.kmeans::text),
	('kmeans_state', t.kmeans_state::text), ('choices', t.choices::text),
	('choose_k_state', t.choose_k_state::text), ('uplift', t.uplift::text),
	('uplift_rate', t.uplift_rate::text), ('uplift_state', t.uplift_state::text)) v(name, value)
UNION ALL
SELECT 'stored summaries and scores', md5(string_agg(concat_ws(' ', customer_id, s, score), ','
	ORDER BY customer_id))
FROM up.scores
UNION ALL
-- the text forms read back to the same values
SELECT 'text round trip', concat_ws(' ',
	t.quantiles::text::custseg.rfm_thresholds::text = t.quantiles::text,
	t.rfm_state::text::custseg.rfm_thresholds_state::text = t.rfm_state::text,
	t.xtt_state::text::custseg.fit_state::text = t.xtt_state::text,
	t.kmeans_state::text::custseg.kmeans_state::text = t.kmeans_state::text,
	t.uplift_state::text::custseg.uplift_state::text = t.uplift_state::text,
	(SELECT bool_and(s::text::custseg.customer_summary::text = s::text) FROM up.summaries))
FROM up.stored t
UNION ALL
-- final functions on the stored states give the stored results
SELECT 'finals', concat_ws(' ',
	custseg.rfm_thresholds_final(t.rfm_state)::text = t.quantiles::text,
	custseg.bgnbd_final(t.xtt_state)::text = t.bgnbd::text,
	custseg.mbgnbd_final(t.xtt_state)::text = t.mbgnbd::text,
	custseg.paretonbd_final(t.xtt_state)::text = t.paretonbd::text,
	custseg.gammagamma_final(t.spend_state)::text = t.gammagamma::text,
	custseg.bgbb_final(t.bgbb_state)::text = t.bgbb::text,
	custseg.kmeans_final(t.kmeans_state)::text = t.kmeans::text,
	custseg.kmeans_choose_k_final(t.choose_k_state)::text = t.choices::text,
	custseg.uplift_final(t.uplift_state)::text = t.uplift::text,
	(SELECT custseg.bgnbd_final(up.fit_merge(v)) FROM (VALUES (t.xtt_state), (t.xtt_state)) m(v)))
FROM up.stored t
UNION ALL
-- predictions of every model, for every customer
SELECT 'predictions', md5(string_agg(concat_ws(' ', u.customer_id,
	custseg.expected_purchases(t.bgnbd, 90, (u.s).repeat_purchases, (u.s).active_days, (u.s).age_days),
	custseg.p_alive(t.bgnbd, (u.s).repeat_purchases, (u.s).active_days, (u.s).age_days),
	custseg.expected_purchases(t.mbgnbd, interval '1 year', (u.s).repeat_purchases, (u.s).active_days,
							   (u.s).age_days),
	custseg.p_alive(t.mbgnbd, (u.s).repeat_purchases, (u.s).active_days, (u.s).age_days),
	custseg.expected_purchases(t.paretonbd, 90, (u.s).repeat_purchases, (u.s).active_days,
							   (u.s).age_days),
	custseg.p_alive(t.paretonbd, (u.s).repeat_purchases, (u.s).active_days, (u.s).age_days),
	custseg.expected_spend(t.gammagamma, (u.s).repeat_purchases, (u.s).repeat_spend),
	custseg.clv(t.bgnbd, t.gammagamma, (u.s).repeat_purchases, (u.s).active_days, (u.s).age_days,
				coalesce((u.s).repeat_spend, 0), 365, 0.1, 1),
	custseg.clv(t.paretonbd, t.gammagamma, (u.s).repeat_purchases, (u.s).active_days,
				(u.s).age_days, coalesce((u.s).repeat_spend, 0), interval '2 years', 0.1, 0.3),
	custseg.kmeans_assign(t.kmeans, ARRAY[(u.s).recency_days, (u.s).orders, (u.s).revenue]),
	custseg.rfm_score(t.quantiles, u.s), custseg.rfm_score(t.rfm_method, u.s),
	custseg.rfm_score(t.cuts, (u.s).recency_days, (u.s).orders, (u.s).revenue),
	u.score, custseg.segment(u.score), custseg.segment(u.score, 'upgrade'),
	custseg.in_holdout(u.customer_id, 'spring', 0.3)), ',' ORDER BY u.customer_id))
FROM up.scores u, up.stored t
UNION ALL
SELECT 'bgbb predictions', string_agg(concat_ws(' ', x, t_x,
	custseg.expected_purchases(t.bgbb, 6, x, t_x, n), custseg.p_alive(t.bgbb, x, t_x, n),
	custseg.clv(t.bgbb, t.gammagamma, x, t_x, n, 20, 6, 0.01, 1)), ',' ORDER BY x, t_x)
FROM up.donors, up.stored t
UNION ALL
SELECT 'model predictions', concat_ws(' ',
	custseg.expected_purchases(t.bgnbd, 30), custseg.purchase_probability(t.bgnbd, 2, 30),
	custseg.purchase_probability(t.paretonbd, 1, interval '60 days'),
	custseg.purchase_probability(t.bgbb, 2, 6), custseg.expected_purchases(t.bgbb, 6))
FROM up.stored t
UNION ALL
-- the segment view and its history
SELECT 'segment view', md5(string_agg(v::text, ',' ORDER BY v.customer_id))
FROM up.segments v
UNION ALL
SELECT 'segment report', string_agg(r::text, ',' ORDER BY r.segment)
FROM custseg.segment_report('up.segments', 1) r
UNION ALL
SELECT 'segment history', concat_ws(' ', count(*), count(DISTINCT snapshot_at),
	md5(string_agg(concat_ws(' ', customer_key, segment, cell), ',' ORDER BY snapshot_at, customer_key)))
FROM custseg.segment_history WHERE view_name = 'up.segments'
UNION ALL
SELECT 'segment transitions', string_agg(concat_ws(' ', from_segment, to_segment, customers), ','
	ORDER BY from_segment, to_segment)
FROM custseg.segment_transitions('up.segments',
	(SELECT min(snapshot_at) FROM custseg.segment_history WHERE view_name = 'up.segments'),
	(SELECT max(snapshot_at) FROM custseg.segment_history WHERE view_name = 'up.segments'))
UNION ALL
SELECT 'user map', string_agg(concat_ws(' ', r, f, m, custseg.segment(r, f, m, 'upgrade')), ','
	ORDER BY r, f, m)
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;

CREATE TABLE up.before AS SELECT * FROM up.results;
