-- Upgrading from 0.1.0: a stored custseg.uplift_state (0.1.0's state of
-- custseg.uplift) stays readable after ALTER EXTENSION custseg UPDATE and
-- gives the same result as before; the aggregate then runs on the new
-- state.  In a database of its own.
SET client_min_messages = warning;
CREATE DATABASE custseg_uplift_upgrade;
\c custseg_uplift_upgrade
SET client_min_messages = warning;
CREATE EXTENSION custseg VERSION '0.1.0';
CREATE TABLE stored (name text, s custseg.uplift_state);
INSERT INTO stored VALUES
	('z', '{"binary": true, "treated": [1000, 120, 105.6], "control": [1000, 100, 90]}'),
	('w', '{"binary": false, "treated": [3, 18, 26], "control": [4, 7, 8.75]}');
CREATE TABLE before AS SELECT name, custseg.uplift_final(s) AS u FROM stored;
SELECT (custseg.uplift(t, o)).test FROM (VALUES (true, 1), (false, 0)) v(t, o);
ALTER EXTENSION custseg UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'custseg';
SELECT b.name, s.s::text, custseg.uplift_final(s.s) = b.u AS same_result
FROM stored s JOIN before b USING (name) ORDER BY name;
SELECT (custseg.uplift(t, o)).test, (custseg.uplift(t, o, 'x')).test
FROM (VALUES (true, 1), (false, 0)) v(t, o);
SELECT aggtranstype::regtype FROM pg_aggregate
WHERE aggfnoid = 'custseg.uplift(boolean, float8)'::regprocedure;
\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE custseg_uplift_upgrade;
