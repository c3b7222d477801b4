-- custseg's Citus support on a server without Citus (the Citus checks
-- themselves are test/citus/run, against a running Citus cluster).

-- custseg.sync_segment_rules copies the rules to Citus workers; without
-- Citus there is nothing to copy.
INSERT INTO custseg.segment_rules VALUES ('citus_local', 1, 'All', 1, 5, 1, 5, 1, 5);
SELECT custseg.sync_segment_rules();
SELECT custseg.segment(3, 3, 3, 'citus_local');
DELETE FROM custseg.segment_rules WHERE map = 'citus_local';
