-- custseg.in_holdout and custseg.holdout_hash: the published test vectors,
-- overloads, fractions, bad input, and chi-square checks of uniformity and
-- of independence between experiments.

-- Test vectors (docs/holdout.md): SipHash-2-4 under the key
-- "custseg:holdout:" of u32le(length of name) || name || type byte || key.
-- A change of the hash changes these lines.
SELECT k AS customer_key, e AS experiment,
	   lpad(to_hex(custseg.holdout_hash(k, e)), 16, '0') AS hash
FROM (VALUES (42::bigint, 'spring-2026'), (42, 'summer-2026'), (0, 'spring-2026'),
			 (-1, 'winback'), (1, 'a'), (9223372036854775807, 'spring-2026')) v(k, e);
SELECT k AS customer_key, e AS experiment,
	   lpad(to_hex(custseg.holdout_hash(k, e)), 16, '0') AS hash
FROM (VALUES ('C-1001'::text, 'spring-2026'), ('', 'spring-2026'),
			 ('kund-ö', 'vår-kampanj')) v(k, e);
SELECT lpad(to_hex(custseg.holdout_hash('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid,
										 'spring-2026')), 16, '0') AS uuid_hash;

-- The position of key 42 in 'spring-2026' is (0xaef90306f4ec9fdb >> 11) * 2^-53
-- = 0.683487118910238...: held out from a fraction just above it, not below.
SELECT custseg.in_holdout(42, 'spring-2026', 0.6834871189102) AS below,
	   custseg.in_holdout(42, 'spring-2026', 0.6834871189103) AS above;

-- Overloads: integer and smallint keys are hashed as bigint; a quoted
-- literal is text, so '42' is another customer than 42.
SELECT custseg.holdout_hash(42, 'spring-2026') = custseg.holdout_hash(42::bigint, 'spring-2026') AS int4_is_bigint,
	   custseg.holdout_hash(42::smallint, 'spring-2026') = custseg.holdout_hash(42::bigint, 'spring-2026') AS int2_is_bigint,
	   custseg.holdout_hash('42', 'spring-2026') = custseg.holdout_hash('42'::text, 'spring-2026') AS literal_is_text,
	   custseg.holdout_hash('42', 'spring-2026') <> custseg.holdout_hash(42, 'spring-2026') AS text_differs;
SELECT custseg.in_holdout(42::numeric, 'spring-2026', 0.1);

-- Fractions 0 and 1; holdouts of one experiment are nested: whoever is in
-- the 5% holdout is in the 10% one.
SELECT count(*) FILTER (WHERE custseg.in_holdout(i, 'edges', 0)) AS none,
	   count(*) FILTER (WHERE custseg.in_holdout(i, 'edges', 1)) AS everyone,
	   count(*) FILTER (WHERE custseg.in_holdout(i, 'edges', 0.05)
						AND NOT custseg.in_holdout(i, 'edges', 0.1)) AS not_nested
FROM generate_series(1, 10000) i;

-- The same answer in every call, row or query: the function is immutable.
SELECT count(DISTINCT custseg.holdout_hash(7, 'again')) AS distinct_hashes
FROM generate_series(1, 100);

-- Bad input.
SELECT custseg.in_holdout(NULL::bigint, 'spring-2026', 0.1);
SELECT custseg.in_holdout(NULL::text, 'spring-2026', 0.1);
SELECT custseg.in_holdout(NULL::uuid, 'spring-2026', 0.1);
SELECT custseg.holdout_hash(NULL::bigint, 'spring-2026');
SELECT custseg.in_holdout(1, NULL, 0.1);
SELECT custseg.in_holdout(1, '', 0.1);
SELECT custseg.in_holdout(1, 'spring-2026', NULL);
SELECT custseg.in_holdout(1, 'spring-2026', 'NaN');
SELECT custseg.in_holdout(1, 'spring-2026', -0.1);
SELECT custseg.in_holdout(1, 'spring-2026', 1.5);
SELECT custseg.in_holdout(1, 'spring-2026', 'Infinity');
SELECT custseg.in_holdout(1, 'spring-2026', '-Infinity');
-- A NULL key is an error even when the fraction is 0 or 1.
SELECT custseg.in_holdout(NULL::bigint, 'spring-2026', 0);

-- Uniformity.  100,000 keys of each type; for each fraction f the number
-- held out k is compared with its expectation by the chi-square statistic
-- (k - Nf)^2 / (Nf) + (k - Nf)^2 / (N(1 - f)), one degree of freedom.  A
-- uniform hash stays below 23.93, the 1 - 10^-6 quantile of chi-square(1),
-- with probability 1 - 10^-6.
CREATE TABLE holdout_keys AS
SELECT i::bigint AS id, 'C-' || i AS code,
	   md5('holdout-key-' || i)::uuid AS uid
FROM generate_series(1, 100000) i;
CREATE TABLE holdout_counts AS
SELECT f,
	   count(*) FILTER (WHERE custseg.in_holdout(id, 'uniformity', f)) AS bigint_keys,
	   count(*) FILTER (WHERE custseg.in_holdout(code, 'uniformity', f)) AS text_keys,
	   count(*) FILTER (WHERE custseg.in_holdout(uid, 'uniformity', f)) AS uuid_keys
FROM holdout_keys, unnest(ARRAY[0.01, 0.1, 0.5, 0.9]::float8[]) f
GROUP BY f;
SELECT f, kind, k,
	   round(((k - 1e5 * f) ^ 2 / (1e5 * f) + (k - 1e5 * f) ^ 2 / (1e5 * (1 - f)))::numeric, 2) AS chi2,
	   (k - 1e5 * f) ^ 2 / (1e5 * f) + (k - 1e5 * f) ^ 2 / (1e5 * (1 - f)) < 23.93 AS uniform
FROM holdout_counts,
	 LATERAL (VALUES ('bigint', bigint_keys), ('text', text_keys), ('uuid', uuid_keys)) v(kind, k)
ORDER BY kind, f;

-- Uniformity over ten equal slices of [0, 1): the slice of a key is the
-- smallest j with in_holdout(key, fraction j/10).  Chi-square with 9
-- degrees of freedom, 1 - 10^-6 quantile 44.81.
SELECT kind, sum((n - 1e4) ^ 2 / 1e4)::numeric(10, 2) AS chi2,
	   sum((n - 1e4) ^ 2 / 1e4) < 44.81 AS uniform, min(n), max(n)
FROM (SELECT kind, slice, count(*) AS n
	  FROM (SELECT 'bigint' AS kind,
				   (SELECT min(j) FROM generate_series(1, 10) j
					WHERE custseg.in_holdout(id, 'slices', j / 10.0)) AS slice
			FROM holdout_keys
			UNION ALL
			SELECT 'text', (SELECT min(j) FROM generate_series(1, 10) j
							WHERE custseg.in_holdout(code, 'slices', j / 10.0))
			FROM holdout_keys) s
	  GROUP BY kind, slice) c
GROUP BY kind ORDER BY kind;

-- Independence: two experiments with 50% and 10% holdouts.  The 2x2 table
-- of the 100,000 keys against the counts that independence predicts from
-- its margins: chi-square with one degree of freedom, below 23.93.  The
-- same for experiment names that differ in one letter.
SELECT e1, e2, a AS both_held_out,
	   round(chi2::numeric, 2) AS chi2, chi2 < 23.93 AS independent
FROM (SELECT e1, e2, a,
			 sum((obs - expct) ^ 2 / expct) AS chi2
	  FROM (SELECT e1, e2, a,
				   unnest(ARRAY[a, b, c, d]) AS obs,
				   unnest(ARRAY[(a + b) * (a + c), (a + b) * (b + d),
								(c + d) * (a + c), (c + d) * (b + d)]::float8[]) / 1e5 AS expct
			FROM (SELECT e1, e2,
						 count(*) FILTER (WHERE h1 AND h2) AS a,
						 count(*) FILTER (WHERE h1 AND NOT h2) AS b,
						 count(*) FILTER (WHERE NOT h1 AND h2) AS c,
						 count(*) FILTER (WHERE NOT h1 AND NOT h2) AS d
				  FROM (SELECT e1, e2,
							   custseg.in_holdout(id, e1, 0.5) AS h1,
							   custseg.in_holdout(id, e2, 0.1) AS h2
						FROM holdout_keys,
							 (VALUES ('email-may', 'email-june'), ('test-a', 'test-b')) e(e1, e2)) x
				  GROUP BY e1, e2) t) u
	  GROUP BY e1, e2, a) w
ORDER BY e1;

DROP TABLE holdout_keys, holdout_counts;
