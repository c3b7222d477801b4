-- test/fuzz/generate.sql: a custseg-aware random-call generator.
--
-- Loaded by test/fuzz/run after test/fuzz/setup.sql.  fuzz.generate(n,
-- seed) returns n statements, one a line, each calling a random function,
-- window function or aggregate of schema custseg whose argument types
-- fuzz.pool holds, with random typed arguments from the pool (real
-- summaries, thresholds, states and models, edge and special values, now
-- and then a NULL or fewer arguments than it has, leaving defaults out):
--   plain calls; aggregates over generated rows, with FILTER, GROUP BY and
--   as window aggregates; window functions over generated rows; and
--   aggregates over fuzz.big with a parallel plan forced.
-- Every statement hands the call's results to fuzz.check, which records in
-- fuzz.outcome whether they hold NaN or an infinity, or break a property
-- of the CLV predictions (expected_purchases >= 0, p_alive and
-- purchase_probability in [0, 1]).  test/fuzz/run executes the statements
-- one by one, each with a statement timeout, and classifies the errors.

CREATE TABLE fuzz.outcome (call integer PRIMARY KEY, sig text NOT NULL, problem text);

-- The check of one call's results.
CREATE FUNCTION fuzz.check(call integer, sig text, proname text, res text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v text;
	problem text;
BEGIN
	IF array_to_string(res, ' ') ~ '(NaN|Infinity)' THEN
		problem := 'NaN or Infinity in the result: ' || left(array_to_string(res, ' '), 300);
	ELSIF proname IN ('expected_purchases', 'p_alive', 'purchase_probability') THEN
		FOREACH v IN ARRAY coalesce(res, ARRAY[]::text[]) LOOP
			CONTINUE WHEN v IS NULL OR v !~ '^-?[0-9.e+-]+$';
			IF v::float8 < 0 OR (proname <> 'expected_purchases' AND v::float8 > 1) THEN
				problem := format('%s out of range: %s', proname, v);
			END IF;
		END LOOP;
	END IF;
	INSERT INTO fuzz.outcome VALUES (call, sig, problem);
END
$$;

CREATE FUNCTION fuzz.generate(calls integer, seed float8)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parallel_guc text := CASE WHEN current_setting('server_version_num')::int >= 160000
							  THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END;
	ncand integer;
	f record;
	nargs integer;
	i integer;
	c integer;
	form text;
	q text;
	args text[];
	lits text[];
	t oid;
BEGIN
	PERFORM setseed(seed);
	CREATE TEMP TABLE pool_of ON COMMIT DROP AS
	SELECT typ::oid AS typ, array_agg(lit ORDER BY lit) AS lits FROM fuzz.pool GROUP BY typ;
	CREATE TEMP TABLE cand ON COMMIT DROP AS
	SELECT row_number() OVER (ORDER BY p.oid) AS k, p.oid::regprocedure::text AS sig,
		   p.oid::regproc::text AS fname, p.proname::text AS proname, p.prokind,
		   ARRAY(SELECT unnest(p.proargtypes)) AS types, p.pronargs, p.pronargdefaults
	FROM pg_proc p
	WHERE p.pronamespace = 'custseg'::regnamespace AND p.prokind IN ('f', 'w', 'a')
	  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
	  AND NOT EXISTS (SELECT FROM unnest(p.proargtypes) a(t)
					  WHERE a.t NOT IN (SELECT pool_of.typ FROM pool_of));
	SELECT count(*) INTO ncand FROM cand;

	FOR c IN 1 .. calls LOOP
		i := 1 + floor(random() * ncand)::int;	-- once, not per row
		SELECT * INTO f FROM cand WHERE k = i;
		nargs := f.pronargs - floor(random() * (f.pronargdefaults + 1))::int;
		form := CASE f.prokind
			WHEN 'f' THEN 'call'
			WHEN 'w' THEN 'window'
			ELSE (ARRAY['rows', 'rows', 'filter', 'group', 'window_agg', 'parallel'])[1 + floor(random() * 6)::int] END;
		args := ARRAY[]::text[];
		FOR i IN 1 .. nargs LOOP
			t := f.types[i];
			SELECT p.lits INTO lits FROM pool_of p WHERE p.typ = t;
			IF random() < 0.04 THEN
				args := args || format('NULL::%s', t::regtype);
			ELSIF form = 'parallel' AND random() < 0.6 AND t IN ('bigint'::regtype, 'double precision'::regtype,
					'numeric'::regtype, 'boolean'::regtype, 'date'::regtype, 'timestamp'::regtype,
					'timestamptz'::regtype, 'double precision[]'::regtype) THEN
				args := args || CASE t
					WHEN 'bigint'::regtype THEN 'b.i8 % 20'
					WHEN 'double precision'::regtype THEN 'b.f8'
					WHEN 'numeric'::regtype THEN 'b.num'
					WHEN 'boolean'::regtype THEN 'b.bool'
					WHEN 'date'::regtype THEN 'b.day'
					WHEN 'timestamp'::regtype THEN 'b.ts'
					WHEN 'timestamptz'::regtype THEN 'b.tstz'
					ELSE 'b.f8arr' END;
			ELSIF form IN ('rows', 'filter', 'group', 'window_agg', 'window') AND random() < 0.5 THEN
				-- a value per row: one of up to four pool values
				args := args || format('(ARRAY[%s])[1 + (g * %s) %% %s]',
					(SELECT string_agg(lits[1 + floor(random() * array_length(lits, 1))::int], ', ')
					 FROM generate_series(1, 4)),
					1 + floor(random() * 7)::int, 1 + floor(random() * 4)::int);
			ELSE
				args := args || lits[1 + floor(random() * array_length(lits, 1))::int];
			END IF;
		END LOOP;
		q := CASE form
			WHEN 'call' THEN format('SELECT %s(%s)', f.fname, array_to_string(args, ', '))
			WHEN 'window' THEN format('SELECT %s(%s) OVER (ORDER BY g) FROM generate_series(1, %s) g',
									  f.fname, array_to_string(args, ', '), (ARRAY[1, 3, 12, 40])[1 + floor(random() * 4)::int])
			WHEN 'parallel' THEN format('SELECT %s(%s) FROM fuzz.big b', f.fname, array_to_string(args, ', '))
			ELSE format('SELECT %s(%s)%s%s FROM generate_series(1, %s) g%s', f.fname, array_to_string(args, ', '),
						CASE form WHEN 'filter' THEN ' FILTER (WHERE g % 3 <> 1)' ELSE '' END,
						CASE form WHEN 'window_agg' THEN ' OVER (ORDER BY g ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)' ELSE '' END,
						(ARRAY[0, 1, 2, 5, 30, 300])[1 + floor(random() * 6)::int],
						CASE form WHEN 'group' THEN ' GROUP BY g % 2' ELSE '' END) END;
		RETURN NEXT format('%sSELECT fuzz.check(%s, %L, %L, ARRAY(SELECT r::text FROM (%s) q(r)));%s',
						   CASE form WHEN 'parallel' THEN format('SET %s = on; ', parallel_guc) ELSE '' END,
						   c, f.sig, f.proname, q,
						   CASE form WHEN 'parallel' THEN format(' RESET %s;', parallel_guc) ELSE '' END);
	END LOOP;
END
$$;
