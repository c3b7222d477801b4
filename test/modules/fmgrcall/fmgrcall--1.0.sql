/* fmgrcall--1.0.sql: test-only, see fmgrcall.c */

\echo Use "CREATE EXTENSION fmgrcall" to load this file. \quit

-- fmgrcall(fn, args ...): fn called with args through fmgr_info, without an
-- expression tree and outside any aggregate; the result in its text form.
CREATE FUNCTION fmgrcall(fn regprocedure, VARIADIC args "any")
RETURNS text
AS 'MODULE_PATHNAME', 'fmgrcall' LANGUAGE C VOLATILE;

CREATE FUNCTION fmgrcall_agg_accum(state internal, agg regprocedure,
	shard integer, VARIADIC args "any")
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;

CREATE FUNCTION fmgrcall_agg_final(state internal)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;

-- fmgrcall_agg(agg, shard, args ...): the aggregate agg over the rows, run
-- the way Citus runs it on a distributed table: one transition state per
-- shard (0 .. 15), each shipped through its type's text form (or its
-- serialize and deserialize functions), then combined in shard order and
-- finalized; a shard between 0 and the highest one seen that has no rows
-- ships a NULL state.  Every support function is called through fmgr_info
-- without an expression tree.  The result in its text form.
CREATE AGGREGATE fmgrcall_agg(agg regprocedure, shard integer, VARIADIC args "any") (
	SFUNC = fmgrcall_agg_accum,
	STYPE = internal,
	FINALFUNC = fmgrcall_agg_final,
	FINALFUNC_MODIFY = READ_WRITE
);
