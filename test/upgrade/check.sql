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
