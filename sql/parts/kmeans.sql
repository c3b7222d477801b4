
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
