/*-------------------------------------------------------------------------
 *
 * fastagg_plan.c
 *	  Planning of the fast grouping node (see fastagg.h): when it applies,
 *	  its path and its plan.
 *
 * The node is offered for a query level whose grouping is exactly one
 * plain column of type smallint, integer, bigint, uuid or text (with a
 * deterministic collation), grouped by its default equality, when every
 * aggregate of the level (in the target list and in HAVING) is
 * custseg.summarize (any overload) or a plain one the node can run beside
 * it (fastagg_supported_plain), without FILTER, ORDER BY or DISTINCT, at
 * least one is a summarize, and there are no grouping sets and no
 * set-returning function in the target list.  HAVING (which is also where PostgreSQL puts a condition on
 * the summaries of an outer query level) becomes the node's qual.  The scan, join and
 * filters below stay PostgreSQL's own plan (the cheapest one of the input
 * relation), so privileges, row-level security and the snapshot are those
 * of the same SELECT; only the Agg is replaced.  For anything else the
 * hook does nothing and PostgreSQL plans as usual.
 *
 * The path replaces PostgreSQL's unsorted grouping paths (HashAggregate,
 * serial or parallel): it computes the same results with less work per
 * row and per group, which their cost estimates cannot see (a parallel
 * plan looks cheap when the number of customers is underestimated, and the
 * per-group tuples and cache misses are not in the model).  Sorted paths
 * (GroupAggregate) stay and compete by cost, so that an ORDER BY key LIMIT
 * n over an index keeps its plan.  custseg.enable_fast_grouping = off
 * leaves the choice to PostgreSQL's paths alone.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"
#include "fastagg.h"

#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/guc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"

bool		custseg_enable_fast_grouping = true;

static create_upper_paths_hook_type prev_create_upper_paths_hook = NULL;

/*
 * The cost of folding rows into their groups: the probe of the table and
 * the state's update, one operator each while the table fits in the CPU's
 * caches, and mostly a cache miss or two when the groups are many: then
 * about 16 operators (measured: a row's fold on a million customers takes
 * about as long as a tuple's trip through a Gather, whose default cost,
 * parallel_tuple_cost, is 40 operators and deliberately high).  The table
 * outgrows the caches at a few tens of thousands of groups.
 */
static double
fastagg_fold_cost(double rows, double groups)
{
	double		missing = Min(1.0, groups / 32768.0);

	return rows * cpu_operator_cost * (1.0 + 15.0 * missing);
}

static void fastagg_add_parallel_path(PlannerInfo *root, RelOptInfo *input_rel,
									  RelOptInfo *output_rel, CustomPath *serial);
static Plan *fastagg_plan_path(PlannerInfo *root, RelOptInfo *rel,
							   struct CustomPath *best_path, List *tlist,
							   List *clauses, List *custom_plans);

static CustomPathMethods fastagg_path_methods = {
	.CustomName = FASTAGG_NAME,
	.PlanCustomPath = fastagg_plan_path,
};

/* The key kind of a grouping column's type, or -1 when not supported. */
static int
fastagg_key_kind(Oid type, Oid collation)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return FASTAGG_KEY_BYVAL;
		case UUIDOID:
			return FASTAGG_KEY_UUID;
		case TEXTOID:
			/* byte equality is texteq only for a deterministic collation */
			if (!OidIsValid(collation) || !get_collation_isdeterministic(collation))
				return -1;
			return FASTAGG_KEY_TEXT;
		default:
			return -1;
	}
}

/* Is aggref a custseg.summarize call the node can run? */
static bool
fastagg_supported_aggref(Aggref *aggref, Oid custseg_namespace)
{
	Oid			time_type;
	Oid			amount_type;
	char	   *name;
	bool		is_summarize;

	if (aggref->agglevelsup != 0 || aggref->aggfilter != NULL ||
		aggref->aggorder != NIL || aggref->aggdistinct != NIL ||
		aggref->aggdirectargs != NIL || aggref->aggkind != AGGKIND_NORMAL ||
		aggref->aggstar || aggref->aggvariadic ||
		aggref->aggsplit != AGGSPLIT_SIMPLE || list_length(aggref->args) != 3)
		return false;
	if (get_func_namespace(aggref->aggfnoid) != custseg_namespace)
		return false;
	name = get_func_name(aggref->aggfnoid);
	is_summarize = name != NULL && strcmp(name, "summarize") == 0;
	if (!is_summarize)
		return false;

	time_type = exprType((Node *) ((TargetEntry *) linitial(aggref->args))->expr);
	amount_type = exprType((Node *) ((TargetEntry *) lsecond(aggref->args))->expr);
	if (time_type != DATEOID && time_type != TIMESTAMPOID && time_type != TIMESTAMPTZOID)
		return false;
	if (amount_type != NUMERICOID && amount_type != FLOAT8OID &&
		amount_type != INT4OID && amount_type != INT8OID)
		return false;
	if (exprType((Node *) ((TargetEntry *) lthird(aggref->args))->expr) != time_type)
		return false;
	if (contain_subplans((Node *) aggref->args))
		return false;
	return true;
}

/*
 * Is aggref a plain aggregate the node can run beside summarize: a
 * built-in one with a by-value transition state and no final function,
 * over at most one argument (count, sum of integers and floats, min and
 * max of by-value types, bool_and, bit_or, ...)?  Its transition function
 * is then called with the same arguments as PostgreSQL's aggregation
 * calls it with, outside an aggregate context, where these built-in ones
 * (on a 64-bit build, where int8 and float8 are by value) never ask for
 * one.
 */
static bool
fastagg_supported_plain(Aggref *aggref)
{
	HeapTuple	tuple;
	Form_pg_aggregate agg;
	bool		ok;

#ifndef USE_FLOAT8_BYVAL
	return false;
#endif
	if (aggref->agglevelsup != 0 || aggref->aggfilter != NULL ||
		aggref->aggorder != NIL || aggref->aggdistinct != NIL ||
		aggref->aggdirectargs != NIL || aggref->aggkind != AGGKIND_NORMAL ||
		aggref->aggvariadic || aggref->aggsplit != AGGSPLIT_SIMPLE ||
		list_length(aggref->args) > 1 || aggref->aggfnoid >= FirstNormalObjectId ||
		contain_subplans((Node *) aggref->args))
		return false;
	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	if (!HeapTupleIsValid(tuple))
		return false;
	agg = (Form_pg_aggregate) GETSTRUCT(tuple);
	ok = !OidIsValid(agg->aggfinalfn) && agg->aggtransfn < FirstNormalObjectId &&
		agg->aggtranstype != INTERNALOID && get_typbyval(agg->aggtranstype) &&
		agg->aggtranstype == aggref->aggtype;
	if (ok && aggref->args != NIL)
	{
		Oid			argtype = exprType((Node *) linitial_node(TargetEntry, aggref->args)->expr);

		/* count(x) looks only at whether x is NULL */
		ok = get_typbyval(argtype) || agg->aggtransfn == F_INT8INC_ANY;
		/* a strict one without an initial value starts from its first input */
		if (ok && func_strict(agg->aggtransfn))
		{
			bool		isnull;

			(void) SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval, &isnull);
			ok = !isnull || argtype == agg->aggtranstype;
		}
	}
	ReleaseSysCache(tuple);
	return ok;
}

/*
 * The plan's description of a plain aggregate: its argument list (none or
 * one expression), transition function, transition type, the initial
 * value as a Const, and the input collation.
 */
static List *
fastagg_plain_plan(Aggref *aggref, List *args)
{
	HeapTuple	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	Form_pg_aggregate agg;
	Datum		initval;
	Datum		init = (Datum) 0;
	bool		isnull;
	Oid			transfn;
	Oid			transtype;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for aggregate %u", aggref->aggfnoid);
	agg = (Form_pg_aggregate) GETSTRUCT(tuple);
	transfn = agg->aggtransfn;
	transtype = agg->aggtranstype;
	initval = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval, &isnull);
	if (!isnull)
	{
		Oid			input;
		Oid			ioparam;
		char	   *str = TextDatumGetCString(initval);

		getTypeInputInfo(transtype, &input, &ioparam);
		init = OidInputFunctionCall(input, str, ioparam, -1);
	}
	ReleaseSysCache(tuple);
	return list_make5(args, makeInteger((int) transfn), makeInteger((int) transtype),
					  makeConst(transtype, -1, InvalidOid, get_typlen(transtype),
								init, isnull, true),
					  makeInteger((int) aggref->inputcollid));
}

/* Does the input path produce every Var (and placeholder) of node? */
static bool
fastagg_input_has_vars(Node *node, PathTarget *input)
{
	List	   *vars = pull_var_clause(node, PVC_INCLUDE_PLACEHOLDERS);
	ListCell   *lc;

	foreach(lc, vars)
		if (!list_member(input->exprs, lfirst(lc)))
			return false;
	return true;
}

/*
 * The parallel form of serial, under a Gather: the groups are split into
 * as many partitions as there are workers, by their key's hash, and each
 * participant reads the whole input (serial's child, a plain, not a
 * parallel, scan) but folds only the rows of the partitions it claims
 * (fastagg_exec.c).  Every group is then complete in one process: nothing
 * is combined, results are the serial ones, and what crosses the Gather
 * is the finished groups.  The price is one read of the input per
 * partition, so it pays where folding, not reading, is the work: many
 * rows, many groups.
 *
 * Costs: a participant reads and hashes the whole input and folds its
 * share of the rows; the Gather adds parallel_setup_cost and
 * parallel_tuple_cost for each group sent.
 */
static void
fastagg_add_parallel_path(PlannerInfo *root, RelOptInfo *input_rel,
						  RelOptInfo *output_rel, CustomPath *serial)
{
	Path	   *input = NULL;
	CustomPath *cpath;
	GatherPath *gather;
	double		pages;
	double		groups = serial->path.rows;
	double		fold;
	int			workers;

	ListCell   *lc;

	if (!output_rel->consider_parallel || max_parallel_workers_per_gather <= 0)
		return;
	/* the child: the cheapest input that can run in a worker */
	foreach(lc, input_rel->pathlist)
	{
		Path	   *path = lfirst(lc);

		if (path->parallel_safe && path->param_info == NULL &&
			(input == NULL || path->total_cost < input->total_cost))
			input = path;
	}
	if (input == NULL)
		return;
	foreach(lc, pull_var_clause((Node *) list_make3(linitial(serial->custom_private),
													lsecond(serial->custom_private),
													list_nth(serial->custom_private, 4)),
								PVC_RECURSE_AGGREGATES | PVC_INCLUDE_PLACEHOLDERS))
		if (!list_member(input->pathtarget->exprs, lfirst(lc)))
			return;
	pages = input_rel->pages > 0 ? (double) input_rel->pages :
		input->rows * input->pathtarget->width / BLCKSZ;
	workers = compute_parallel_worker(input_rel, pages, -1, max_parallel_workers_per_gather);
	if (workers < 1)
		return;

	fold = fastagg_fold_cost(input->rows, groups);
	cpath = makeNode(CustomPath);
	memcpy(cpath, serial, sizeof(CustomPath));
	cpath->path.parallel_aware = true;
	cpath->path.parallel_safe = true;
	cpath->path.parallel_workers = workers;
	cpath->path.rows = groups / workers;
	cpath->path.startup_cost = input->total_cost + input->rows * cpu_operator_cost +
		fold / workers;
	cpath->path.total_cost = cpath->path.startup_cost +
		(serial->path.total_cost - serial->path.startup_cost) / workers;
	cpath->custom_paths = list_make1(input);
	cpath->custom_private = list_make5(linitial(serial->custom_private),
									   lsecond(serial->custom_private),
									   lthird(serial->custom_private),
									   makeInteger(workers),
									   list_nth(serial->custom_private, 4));

	gather = create_gather_path(root, output_rel, &cpath->path,
								output_rel->reltarget, NULL, &groups);
	add_path(output_rel, &gather->path);
}

static void
fastagg_upper_paths(PlannerInfo *root, UpperRelationKind stage,
					RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra)
{
	Query	   *parse = root->parse;
	SortGroupClause *sgc;
	Node	   *key;
	Var		   *keyvar;
	int			kind;
	Oid			custseg_namespace;
	List	   *items;
	List	   *aggrefs = NIL;
	List	   *plains = NIL;
	ListCell   *lc;
	Path	   *input;
	List	   *having;
	List	   *sorted;
	CustomPath *cpath;
	double		groups;
	int			nargs = 0;

	if (prev_create_upper_paths_hook)
		prev_create_upper_paths_hook(root, stage, input_rel, output_rel, extra);

	if (stage != UPPERREL_GROUP_AGG || !custseg_enable_fast_grouping)
		return;
	/* the grouping of the whole query level, not a partition's */
	if (output_rel->reloptkind != RELOPT_UPPER_REL)
		return;
	if (!parse->hasAggs || parse->groupingSets != NIL ||
		parse->hasTargetSRFs || list_length(parse->groupClause) != 1)
		return;
	having = (List *) ((GroupPathExtraData *) extra)->havingQual;
	if (having != NIL && contain_subplans((Node *) having))
		return;
	input = input_rel->cheapest_total_path;
	if (input == NULL || input->param_info != NULL)
		return;

	/* the key: one plain column of a supported type, default equality */
	sgc = linitial_node(SortGroupClause, parse->groupClause);
	key = get_sortgroupclause_expr(sgc, parse->targetList);
	if (!IsA(key, Var) || ((Var *) key)->varlevelsup != 0)
		return;
	keyvar = (Var *) key;
	kind = fastagg_key_kind(keyvar->vartype, keyvar->varcollid);
	if (kind < 0 || !sgc->hashable ||
		sgc->eqop != lookup_type_cache(keyvar->vartype, TYPECACHE_EQ_OPR)->eq_opr)
		return;
	if (!list_member(input->pathtarget->exprs, key))
		return;

	/*
	 * Every aggregate a summarize or a plain one beside it (at least one
	 * summarize: a plain GROUP BY stays PostgreSQL's); the other columns
	 * only the key.
	 */
	custseg_namespace = get_namespace_oid("custseg", true);
	if (!OidIsValid(custseg_namespace))
		return;
	items = pull_var_clause((Node *) list_make2(output_rel->reltarget->exprs, having),
							PVC_INCLUDE_AGGREGATES | PVC_INCLUDE_WINDOWFUNCS |
							PVC_INCLUDE_PLACEHOLDERS);
	foreach(lc, items)
	{
		Node	   *item = lfirst(lc);

		if (IsA(item, Var) && equal(item, key))
			continue;
		if (!IsA(item, Aggref) ||
			!fastagg_input_has_vars((Node *) ((Aggref *) item)->args, input->pathtarget))
			return;
		if (fastagg_supported_aggref((Aggref *) item, custseg_namespace))
			aggrefs = list_append_unique(aggrefs, item);
		else if (fastagg_supported_plain((Aggref *) item))
			plains = list_append_unique(plains, item);
		else
			return;
	}
	if (aggrefs == NIL || list_length(aggrefs) > FASTAGG_MAX_AGGS ||
		list_length(plains) > FASTAGG_MAX_AGGS)
		return;

	groups = estimate_num_groups(root, list_make1(key), input->rows, NULL, NULL);
	nargs = 3 * list_length(aggrefs) + list_length(plains);

	cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = output_rel;
	cpath->path.pathtarget = output_rel->reltarget;
	cpath->path.param_info = NULL;
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = output_rel->consider_parallel && input->parallel_safe;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = groups;
	cpath->path.pathkeys = NIL;
	/*
	 * As HashAggregate, every row is read before the first group comes out.
	 * A row costs its hash (one operator) and its fold into a state in
	 * place (fastagg_fold_cost), a group the forming of its result (half a
	 * tuple: there is no hash table tuple to form first).
	 */
	cpath->path.startup_cost = input->total_cost + input->rows * cpu_operator_cost +
		fastagg_fold_cost(input->rows, groups);
	cpath->path.total_cost = cpath->path.startup_cost +
		groups * (cpu_tuple_cost / 2 + cpu_operator_cost * nargs);
	cpath->flags = 0;
	cpath->custom_paths = list_make1(input);
	if (having != NIL)
		groups *= 0.5;			/* as PostgreSQL guesses for a HAVING */
	cpath->custom_private = list_make5(key, aggrefs, having, makeInteger(0), plains);
	cpath->methods = &fastagg_path_methods;

	/*
	 * The node takes the place of PostgreSQL's hash aggregation and of its
	 * partial aggregation (serial or parallel), whose estimated costs miss
	 * what makes them slow here (the misses of a large hash table; the
	 * states combined after a Gather); the sorted aggregation of a sorted
	 * input, which folds one group at a time and has none of these costs,
	 * stays to compete by cost, for an ORDER BY key or a merge join above.
	 */
	sorted = NIL;
	foreach(lc, output_rel->pathlist)
	{
		Path	   *path = lfirst(lc);

		if (path->pathkeys != NIL &&
			!(IsA(path, AggPath) && ((AggPath *) path)->aggsplit != AGGSPLIT_SIMPLE))
			sorted = lappend(sorted, path);
	}
	output_rel->pathlist = sorted;
	add_path(output_rel, &cpath->path);

	fastagg_add_parallel_path(root, input_rel, output_rel, cpath);
}

/*
 * Replace every subexpression equal to an output column of the child plan
 * with a Var referencing it (OUTER_VAR): the executor evaluates the
 * aggregate arguments over the child's tuples.
 */
typedef struct FastaggChildRefs
{
	List	   *child_tlist;
	bool		missing;
} FastaggChildRefs;

static Node *
fastagg_child_ref_mutator(Node *node, FastaggChildRefs *context)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	foreach(lc, context->child_tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (equal(node, tle->expr))
			return (Node *) makeVar(OUTER_VAR, tle->resno,
									exprType((Node *) tle->expr),
									exprTypmod((Node *) tle->expr),
									exprCollation((Node *) tle->expr), 0);
	}
	if (IsA(node, Var) || IsA(node, PlaceHolderVar))
	{
		context->missing = true;
		return node;
	}
	return expression_tree_mutator(node, fastagg_child_ref_mutator, (void *) context);
}

static Plan *
fastagg_plan_path(PlannerInfo *root, RelOptInfo *rel, struct CustomPath *best_path,
				  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Plan	   *child = linitial(custom_plans);
	Var		   *key = linitial(best_path->custom_private);
	List	   *aggrefs = lsecond(best_path->custom_private);
	List	   *having = lthird(best_path->custom_private);
	int			partitions = intVal(lfourth(best_path->custom_private));
	List	   *plainrefs = list_nth(best_path->custom_private, 4);
	List	   *scan_tlist = NIL;
	List	   *aggs = NIL;
	List	   *plains = NIL;
	FastaggChildRefs refs;
	Var		   *keyref;
	ListCell   *lc;

	refs.child_tlist = child->targetlist;
	refs.missing = false;

	scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) copyObject(key), 1, NULL, false));
	keyref = (Var *) fastagg_child_ref_mutator((Node *) key, &refs);
	foreach(lc, aggrefs)
	{
		Aggref	   *aggref = lfirst_node(Aggref, lc);
		List	   *args = NIL;
		ListCell   *lc2;

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(aggref),
											 list_length(scan_tlist) + 1, NULL, false));
		foreach(lc2, aggref->args)
		{
			Node	   *arg = (Node *) lfirst_node(TargetEntry, lc2)->expr;

			args = lappend(args, fastagg_child_ref_mutator(arg, &refs));
		}
		fix_opfuncids((Node *) args);
		aggs = lappend(aggs,
					   list_make3(args,
								  makeInteger((int) exprType(linitial(args))),
								  makeInteger((int) exprType(lsecond(args)))));
	}
	foreach(lc, plainrefs)
	{
		Aggref	   *aggref = lfirst_node(Aggref, lc);
		List	   *args = NIL;

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(aggref),
											 list_length(scan_tlist) + 1, NULL, false));
		if (aggref->args != NIL)
			args = list_make1(fastagg_child_ref_mutator((Node *) linitial_node(TargetEntry, aggref->args)->expr,
														&refs));
		fix_opfuncids((Node *) args);
		plains = lappend(plains, fastagg_plain_plan(aggref, args));
	}
	if (refs.missing || !IsA(keyref, Var) || keyref->varno != OUTER_VAR)
		elog(ERROR, "custseg fast grouping: an input column is missing from the child plan");

	cscan->scan.plan.targetlist = tlist;
	/* HAVING: evaluated over the key and the summaries (setrefs maps it) */
	cscan->scan.plan.qual = (List *) copyObject(having);
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = NIL;
	cscan->custom_scan_tlist = scan_tlist;
	cscan->custom_private =
		list_make4(list_make3(makeInteger(keyref->varattno),
							  makeInteger((int) key->vartype),
							  makeInteger(fastagg_key_kind(key->vartype, key->varcollid))),
				   aggs,
				   makeInteger(partitions),
				   plains);
	cscan->custom_relids = NULL;
	cscan->methods = &fastagg_scan_methods;
	return &cscan->scan.plan;
}

/*
 * custseg.summarize_support(internal) -> internal: the planner support
 * function of summarize's transition functions.  It answers no request
 * (NULL: PostgreSQL's defaults), but the planner calls it while costing
 * the aggregate, before it builds grouping paths: that loads this library,
 * and with it the hook, in a session that has not used custseg yet.
 */
PG_FUNCTION_INFO_V1(summarize_support);
Datum
summarize_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(NULL);
}

/* Called by _PG_init: the setting and the hook. */
void
fastagg_plan_init(void)
{
	DefineCustomBoolVariable("custseg.enable_fast_grouping",
							 "Lets custseg run GROUP BY with custseg.summarize in its own hash aggregation node.",
							 "Off leaves the grouping to PostgreSQL's own aggregation; the results are the same.",
							 &custseg_enable_fast_grouping,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("custseg");

	prev_create_upper_paths_hook = create_upper_paths_hook;
	create_upper_paths_hook = fastagg_upper_paths;
}
