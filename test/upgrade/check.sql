-- test/upgrade/check.sql: after ALTER EXTENSION custseg UPDATE, the data of
-- test/upgrade/data.sql still works: the extension is at the new version,
-- every row of up.results (stored values read back, text forms, final
-- functions on stored states, predictions of every model, the segment view,
-- its report and history, the user segment map) equals the row saved
-- before the update, the segment view refreshes concurrently to the same
-- content, and a new snapshot is recorded.  One line per check, "ok NAME"
-- or "FAILED NAME" with what differs (scripts/test counts them).
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset format unaligned
\pset tuples_only on
SELECT CASE WHEN extversion = (SELECT default_version FROM pg_available_extensions
							   WHERE name = 'custseg')
			THEN 'ok extension version ' || extversion
			ELSE 'FAILED extension version ' || extversion END
FROM pg_extension WHERE extname = 'custseg';
CREATE TEMP TABLE after AS SELECT * FROM up.results;
-- 0.2.0 added fields at the end of the model types (issue 11: unit, penalty,
-- start_values, information): a model stored by 0.1.0 prints them empty,
-- and a fit now fills them.  Compare the fields 0.1.0 had.
CREATE FUNCTION pg_temp.fields_01(model text, n integer) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT '(' || array_to_string((string_to_array(btrim(model, '()'), ','))[1:n], ',') || ')' $$;
UPDATE after SET value = regexp_replace(value, ',+\)$', ')')
WHERE name IN ('stored bgnbd', 'stored mbgnbd', 'stored paretonbd', 'stored gammagamma', 'stored bgbb');
UPDATE after SET value = (
	SELECT concat_ws(' ',
		custseg.rfm_thresholds_final(t.rfm_state)::text = t.quantiles::text,
		pg_temp.fields_01(custseg.bgnbd_final(t.xtt_state)::text, 8) = pg_temp.fields_01(t.bgnbd::text, 8),
		pg_temp.fields_01(custseg.mbgnbd_final(t.xtt_state)::text, 8) = pg_temp.fields_01(t.mbgnbd::text, 8),
		pg_temp.fields_01(custseg.paretonbd_final(t.xtt_state)::text, 8) = pg_temp.fields_01(t.paretonbd::text, 8),
		pg_temp.fields_01(custseg.gammagamma_final(t.spend_state)::text, 7) = pg_temp.fields_01(t.gammagamma::text, 7),
		pg_temp.fields_01(custseg.bgbb_final(t.bgbb_state)::text, 8) = pg_temp.fields_01(t.bgbb::text, 8),
		custseg.kmeans_final(t.kmeans_state)::text = t.kmeans::text,
		custseg.kmeans_choose_k_final(t.choose_k_state)::text = t.choices::text,
		custseg.uplift_final(t.uplift_state)::text = t.uplift::text,
		(SELECT pg_temp.fields_01(custseg.bgnbd_final(up.fit_merge(v))::text, 8)
		 FROM (VALUES (t.xtt_state), (t.xtt_state)) m(v)))
	FROM up.stored t)
WHERE name = 'finals';
REFRESH MATERIALIZED VIEW CONCURRENTLY up.segments;
INSERT INTO after SELECT 'segment view refreshed', value FROM up.results WHERE name = 'segment view';
INSERT INTO up.before SELECT 'segment view refreshed', value FROM up.before WHERE name = 'segment view';
SELECT CASE WHEN b.value IS NOT DISTINCT FROM a.value AND b.value IS NOT NULL
				 AND b.value !~ '(^| )f( |$)'
			THEN 'ok ' || name
			ELSE format('FAILED %s: before %s, after %s', name, b.value, a.value) END
FROM up.before b FULL JOIN after a USING (name)
ORDER BY name;
SELECT custseg.snapshot_segments('up.segments') AS recorded \gset
SELECT CASE WHEN :recorded = (SELECT count(*) FROM up.segments)
				 AND (SELECT count(DISTINCT snapshot_at) FROM custseg.segment_history
					  WHERE view_name = 'up.segments') = 3
			THEN 'ok snapshot after the update'
			ELSE 'FAILED snapshot after the update' END;
