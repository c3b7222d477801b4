/*-------------------------------------------------------------------------
 *
 * fastagg_exec.c
 *	  Execution of the fast grouping node (see fastagg.h).
 *
 * One open-addressing hash table (linear probing, a power of two slots,
 * at most three quarters full) of fixed-size entries: a 16-byte header
 * (the key, or a pointer to a copy of a uuid or text key, its hash and
 * flags) followed by one 64-byte summarize state per aggregate, the same
 * SummaryState the aggregate uses (summary.h), folded by the same
 * summary_row.  A customer whose orders all fall on one day lives
 * entirely in its entry (80 bytes for one aggregate); one who buys on
 * more days also has a day array, allocated in the node's memory context.
 *
 * Memory: the table's slots, the day arrays and the key copies are counted
 * against work_mem * hash_mem_multiplier, as for PostgreSQL's hash
 * aggregation.  When a row of a new key arrives and the table cannot grow
 * within that limit, the row is written to one of several batch files
 * chosen by bits of its key's hash (as PostgreSQL's hash aggregation
 * spills); rows of keys already in the table keep being folded in memory.
 * When the input ends, the groups in memory are complete and are returned;
 * then the table is emptied and each batch file is read as input in turn,
 * splitting again by other bits of the hash when needed.  Every pass takes
 * in at least the first FASTAGG_MIN_GROUPS new keys, so each pass makes
 * progress.
 *
 * Parallel (under a Gather, see fastagg_plan.c): the plan names a number
 * of partitions, and a group belongs to the partition its key's hash
 * selects (the NULL key to the first).  A counter in shared memory hands
 * out partitions: a worker claims one at a time, reads the whole input
 * (its child is a plain scan) and folds only the rows of that partition,
 * returns its groups, and claims the next, reading the input again.  The
 * leader claims partitions only when fewer workers started than there are
 * partitions: it then takes one at a time beside the workers, or, when no
 * worker started, all of them in one pass, as the serial node.  Each group
 * is so folded by one process from all of its rows, and what the Gather
 * receives are finished groups.
 *
 * Results are those of custseg.summarize through PostgreSQL's aggregation,
 * bit for bit: each row is folded by the same function into the same
 * state, and a state's figures do not depend on the order of its rows.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"
#include "fastagg.h"
#include "summary.h"

#include "access/parallel.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"	/* ExplainProperty* moved here in 18 */
#endif
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/extensible.h"
#include "nodes/nodeFuncs.h"
#include "port/atomics.h"
#include "storage/buffile.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

/* Slots of a new table, and the groups every pass takes in whatever the memory. */
#define FASTAGG_INITIAL_SLOTS 256
#define FASTAGG_MIN_GROUPS 192

/*
 * The largest block of the table's memory context: small enough that the
 * memory counted against the limit is close to the memory in use (an
 * eighth of the limit, at most 256 kB).
 */
#define FASTAGG_MAX_BLOCK (256 * 1024)

static Size
fastagg_max_block(Size limit)
{
	Size		block = ALLOCSET_DEFAULT_INITSIZE;

	while (block < FASTAGG_MAX_BLOCK && block * 2 <= limit / 8)
		block *= 2;
	return block;
}

/* Hash bits per level of batch files, and so the files per level. */
#define FASTAGG_BATCH_BITS 4
#define FASTAGG_BATCHES (1 << FASTAGG_BATCH_BITS)

/* The header of a table entry; the states follow it. */
typedef struct FastEntry
{
	Datum		key;			/* the key, or a pointer to its copy */
	uint32		hash;			/* low bits of the key's hash */
	uint8		used;			/* slot holds a group */
	uint8		valid;			/* bit i: state i holds a state (not NULL) */
} FastEntry;

#define FASTAGG_HEADER MAXALIGN(sizeof(FastEntry))

/* How one aggregate argument is read: a column, a constant or an expression. */
typedef enum FastArgKind
{
	FASTAGG_ARG_COLUMN,
	FASTAGG_ARG_CONST,
	FASTAGG_ARG_EXPR
} FastArgKind;

typedef struct FastArg
{
	FastArgKind kind;
	AttrNumber	attno;			/* FASTAGG_ARG_COLUMN */
	Datum		value;			/* FASTAGG_ARG_CONST */
	bool		isnull;
	ExprState  *expr;			/* FASTAGG_ARG_EXPR */
} FastArg;

/*
 * A plain aggregate beside summarize (see fastagg_supported_plain): its
 * transition function, called as PostgreSQL's aggregation calls it, and
 * its by-value state, kept in the entry after the summarize states.
 */
typedef struct FastPlain
{
	int			nargs;			/* 0 (count(*)) or 1 */
	FastArg		arg;
	bool		null_only;		/* count(x): only whether x is NULL */
	bool		strict;
	Datum		init;
	bool		init_null;
	Oid			collation;
	FmgrInfo	transfn;
} FastPlain;

typedef struct FastPlainState
{
	Datum		value;
	bool		isnull;
} FastPlainState;

typedef struct FastAgg
{
	FastArg		args[3];		/* order_time, amount, as_of */
	SummaryCallSite site;
	TupleDesc	result_desc;	/* custseg.customer_summary, blessed */
} FastAgg;

/*
 * A row read ahead of folding: its key (by value, or its bytes, copied),
 * the key's hash, and each aggregate's arguments read into scalars.  Batch
 * files hold rows in this form.
 */
typedef struct FastRow
{
	uint64		hash;
	Datum		key;			/* FASTAGG_KEY_BYVAL */
	char	   *bytes;			/* uuid and text keys */
	int32		len;
	bool		key_isnull;
	SummaryRow	aggs[FASTAGG_MAX_AGGS];
	NullableDatum plain[FASTAGG_MAX_AGGS];	/* the plain aggregates' arguments */
} FastRow;

/*
 * Rows read before any is looked up: the table entries of all of them are
 * prefetched first, so that their cache misses overlap instead of coming
 * one after the other (the time of hash aggregation is those misses).
 */
#define FASTAGG_READ_AHEAD 32

/* Prefetch the cache lines at p for writing (a no-op where unknown). */
#if defined(__GNUC__) || defined(__clang__)
#define fastagg_prefetch(p) __builtin_prefetch((p), 1)
#else
#define fastagg_prefetch(p) ((void) (p))
#endif

/* A batch file waiting to be read as input, with the level it splits by. */
typedef struct FastBatch
{
	BufFile    *file;
	int			level;
	int64		rows;
} FastBatch;

/*
 * The shared memory of a parallel node: the next partition to hand out, and
 * what the participants report when they are done, for EXPLAIN ANALYZE.
 */
typedef struct FastAggShared
{
	pg_atomic_uint32 next_partition;
	pg_atomic_uint32 participants;	/* that folded at least one partition */
	pg_atomic_uint64 groups;
	pg_atomic_uint64 spilled_rows;
	pg_atomic_uint64 spilled_bytes;
	pg_atomic_uint64 batches;	/* the most of any participant */
	pg_atomic_uint64 peak_memory;	/* the sum of the participants' peaks */
} FastAggShared;

typedef struct FastAggState
{
	CustomScanState css;

	/* parallel: partitions of the plan (0: serial), the ones claimed */
	int			npartitions;
	FastAggShared *shared;		/* NULL when not run in parallel */
	ParallelContext *pcxt;		/* the leader's, for its launched workers */
	uint32		part_lo;		/* claimed: partitions lo .. hi - 1 */
	uint32		part_hi;
	bool		filter;			/* not every partition claimed: skip rows */
	bool		active;			/* a claim is being folded or returned */
	bool		done;			/* nothing more to claim */
	int			passes;			/* claims taken since the last rescan */
	int			participants;	/* for EXPLAIN of a parallel node */

	/* from the plan */
	AttrNumber	key_attno;
	Oid			key_type;
	FastKeyKind key_kind;
	int			naggs;
	FastAgg    *aggs;
	int			nplain;
	FastPlain  *plain;
	Size		plain_offset;	/* of the plain states in an entry */
	Size		entry_size;
	Size		memory_limit;	/* work_mem * hash_mem_multiplier, bytes */

	/* the table */
	MemoryContext table_context;	/* slots, day arrays, key copies */
	char	   *slots;
	uint32		nslots;			/* a power of two */
	uint32		ngroups;
	bool		full;			/* new keys go to batch files */
	char	   *null_entry;		/* the group of the NULL key, or NULL */

	/* input: the child plan, then batch files */
	bool		filled;			/* the current input is exhausted */
	BufFile    *input_file;		/* a batch being read, or NULL: the child */
	int			input_level;
	FastRow    *rows;			/* FASTAGG_READ_AHEAD rows read ahead */
	BufFile    *spill[FASTAGG_BATCHES]; /* batch files of the current pass */
	int64		spill_rows[FASTAGG_BATCHES];
	List	   *batches;		/* FastBatch, waiting */

	/* output */
	uint32		next_slot;
	bool		null_done;

	/* for EXPLAIN ANALYZE */
	int64		groups_total;
	int64		batches_total;
	Size		peak_memory;
	int64		spilled_bytes;
	int64		spilled_rows;
} FastAggState;

static void fastagg_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *fastagg_exec(CustomScanState *node);
static void fastagg_end(CustomScanState *node);
static void fastagg_rescan(CustomScanState *node);
static void fastagg_explain(CustomScanState *node, List *ancestors, ExplainState *es);
static Node *fastagg_create_state(CustomScan *cscan);
static Size fastagg_estimate_dsm(CustomScanState *node, ParallelContext *pcxt);
static void fastagg_initialize_dsm(CustomScanState *node, ParallelContext *pcxt,
								   void *coordinate);
static void fastagg_reinitialize_dsm(CustomScanState *node, ParallelContext *pcxt,
									 void *coordinate);
static void fastagg_initialize_worker(CustomScanState *node, shm_toc *toc,
									  void *coordinate);
static void fastagg_shutdown(CustomScanState *node);

CustomScanMethods fastagg_scan_methods = {
	.CustomName = FASTAGG_NAME,
	.CreateCustomScanState = fastagg_create_state,
};

static CustomExecMethods fastagg_exec_methods = {
	.CustomName = FASTAGG_NAME,
	.BeginCustomScan = fastagg_begin,
	.ExecCustomScan = fastagg_exec,
	.EndCustomScan = fastagg_end,
	.ReScanCustomScan = fastagg_rescan,
	.ExplainCustomScan = fastagg_explain,
	.EstimateDSMCustomScan = fastagg_estimate_dsm,
	.InitializeDSMCustomScan = fastagg_initialize_dsm,
	.ReInitializeDSMCustomScan = fastagg_reinitialize_dsm,
	.InitializeWorkerCustomScan = fastagg_initialize_worker,
	.ShutdownCustomScan = fastagg_shutdown,
};

static Node *
fastagg_create_state(CustomScan *cscan)
{
	FastAggState *state = (FastAggState *) newNode(sizeof(FastAggState), T_CustomScanState);

	state->css.flags = cscan->flags;
	state->css.methods = &fastagg_exec_methods;
	return (Node *) state;
}

/* A 64-bit mix of an integer key (the finalizer of SplitMix64). */
static inline uint64
fastagg_mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/*
 * The partition of a key's hash among n: other bits than the table's slot
 * and the batch files use, by a second mix.
 */
static inline uint32
fastagg_partition(uint64 hash, uint32 n)
{
	return (uint32) (((fastagg_mix64(hash ^ UINT64CONST(0x9e3779b97f4a7c15)) >> 32) *
					  (uint64) n) >> 32);
}

/*
 * The bytes of a uuid or text key (detoasted into the per-row context), and
 * its 64-bit hash.
 */
static inline uint64
fastagg_hash_key(FastAggState *fa, Datum key, const char **bytes, int *len)
{
	switch (fa->key_kind)
	{
		case FASTAGG_KEY_BYVAL:
			return fastagg_mix64((uint64) key);
		case FASTAGG_KEY_UUID:
			*bytes = (const char *) DatumGetUUIDP(key)->data;
			*len = UUID_LEN;
			break;
		case FASTAGG_KEY_TEXT:
			{
				struct varlena *t = PG_DETOAST_DATUM_PACKED(key);

				*bytes = VARDATA_ANY(t);
				*len = VARSIZE_ANY_EXHDR(t);
				break;
			}
	}
	return hash_bytes_extended((const unsigned char *) *bytes, *len, 0);
}

static inline bool
fastagg_key_equal(FastAggState *fa, const FastEntry *entry, Datum key,
				  const char *bytes, int len)
{
	switch (fa->key_kind)
	{
		case FASTAGG_KEY_BYVAL:
			return entry->key == key;
		case FASTAGG_KEY_UUID:
			return memcmp(DatumGetPointer(entry->key), bytes, UUID_LEN) == 0;
		case FASTAGG_KEY_TEXT:
			{
				const struct varlena *t = (const struct varlena *) DatumGetPointer(entry->key);

				return VARSIZE(t) - VARHDRSZ == (Size) len &&
					memcmp(VARDATA(t), bytes, len) == 0;
			}
	}
	return false;
}

/* The key as the entry keeps it: by value, or a copy in the table context. */
static Datum
fastagg_copy_key(FastAggState *fa, Datum key, const char *bytes, int len)
{
	char	   *copy;

	switch (fa->key_kind)
	{
		case FASTAGG_KEY_BYVAL:
			return key;
		case FASTAGG_KEY_UUID:
			copy = MemoryContextAlloc(fa->table_context, UUID_LEN);
			memcpy(copy, bytes, UUID_LEN);
			return PointerGetDatum(copy);
		case FASTAGG_KEY_TEXT:
			copy = MemoryContextAlloc(fa->table_context, VARHDRSZ + len);
			SET_VARSIZE(copy, VARHDRSZ + len);
			memcpy(VARDATA(copy), bytes, len);
			return PointerGetDatum(copy);
	}
	return (Datum) 0;
}

/* Bytes the table holds now: its slots, the day arrays, the key copies. */
static Size
fastagg_memory(FastAggState *fa)
{
	return MemoryContextMemAllocated(fa->table_context, true);
}

static void
fastagg_note_memory(FastAggState *fa)
{
	Size		used = fastagg_memory(fa);

	if (used > fa->peak_memory)
		fa->peak_memory = used;
}

/* An empty table of nslots slots; the old one, if any, with its memory, is gone. */
static void
fastagg_reset_table(FastAggState *fa)
{
	MemoryContextReset(fa->table_context);
	fa->nslots = FASTAGG_INITIAL_SLOTS;
	fa->slots = MemoryContextAllocZero(fa->table_context, fa->nslots * fa->entry_size);
	fa->ngroups = 0;
	fa->full = false;
	fa->null_entry = NULL;
	fa->next_slot = 0;
	fa->null_done = false;
}

/*
 * Double the table when the memory limit allows it; false when it does not
 * (then the table is full: new keys go to batch files).
 */
static bool
fastagg_grow(FastAggState *fa)
{
	uint32		nslots = fa->nslots * 2;
	Size		bytes = (Size) nslots * fa->entry_size;
	char	   *slots;
	uint32		i;

	if (fa->nslots > PG_UINT32_MAX / 2 ||
		nslots > (uint32) (MaxAllocHugeSize / fa->entry_size) ||
		fastagg_memory(fa) + bytes > fa->memory_limit)
		return false;
	slots = MemoryContextAllocExtended(fa->table_context, bytes,
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < fa->nslots; i++)
	{
		FastEntry  *old = (FastEntry *) (fa->slots + (Size) i * fa->entry_size);
		uint32		j;

		if (!old->used)
			continue;
		j = old->hash & (nslots - 1);
		while (((FastEntry *) (slots + (Size) j * fa->entry_size))->used)
			j = (j + 1) & (nslots - 1);
		memcpy(slots + (Size) j * fa->entry_size, old, fa->entry_size);
	}
	pfree(fa->slots);
	fa->slots = slots;
	fa->nslots = nslots;
	fastagg_note_memory(fa);
	return true;
}

/* BufFile I/O of batch rows: every read and write complete, or an error. */
static void
fastagg_write(BufFile *file, const void *data, size_t len)
{
	BufFileWrite(file, (void *) data, len);
}

static bool
fastagg_read(BufFile *file, void *data, size_t len, bool eof_ok)
{
	size_t		nread = BufFileRead(file, data, len);

	if (nread == 0 && eof_ok)
		return false;
	if (nread != len)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read a row from a custseg grouping batch file")));
	return true;
}

/* Write a row of a key that has no room in the table to its batch file. */
static void
fastagg_spill(FastAggState *fa, const FastRow *row)
{
	int			level = fa->input_level;
	int			batch = 0;
	BufFile    *file;

	/* the hash bits of this level, from the top; past 64 bits, one file */
	if ((level + 1) * FASTAGG_BATCH_BITS <= 64)
		batch = (int) ((row->hash >> (64 - (level + 1) * FASTAGG_BATCH_BITS)) &
					   (FASTAGG_BATCHES - 1));
	if (fa->spill[batch] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fa->css.ss.ps.state->es_query_cxt);

		fa->spill[batch] = BufFileCreateTemp(false);
		MemoryContextSwitchTo(old);
	}
	file = fa->spill[batch];
	fastagg_write(file, &row->hash, sizeof(row->hash));
	fastagg_write(file, &row->len, sizeof(row->len));
	if (fa->key_kind == FASTAGG_KEY_BYVAL)
		fastagg_write(file, &row->key, sizeof(row->key));
	else
		fastagg_write(file, row->bytes, row->len);
	fastagg_write(file, row->aggs, sizeof(SummaryRow) * fa->naggs);
	if (fa->nplain > 0)
		fastagg_write(file, row->plain, sizeof(NullableDatum) * fa->nplain);
	fa->spill_rows[batch]++;
	fa->spilled_rows++;
	fa->spilled_bytes += sizeof(row->hash) + sizeof(row->len) +
		(fa->key_kind == FASTAGG_KEY_BYVAL ? sizeof(row->key) : (Size) row->len) +
		sizeof(SummaryRow) * fa->naggs + sizeof(NullableDatum) * fa->nplain;
}

/* The plain aggregates' states of a new entry: their initial values. */
static inline void
fastagg_init_plain(FastAggState *fa, char *entry)
{
	FastPlainState *states = (FastPlainState *) (entry + fa->plain_offset);
	int			j;

	for (j = 0; j < fa->nplain; j++)
	{
		states[j].value = fa->plain[j].init;
		states[j].isnull = fa->plain[j].init_null;
	}
}

/*
 * Advance the plain aggregates' states of entry by a row, as PostgreSQL's
 * aggregation does: a strict transition function skips NULL input and,
 * without an initial value, starts from the first input.
 */
static void
fastagg_fold_plain(FastAggState *fa, char *entry, const FastRow *row)
{
	FastPlainState *states = (FastPlainState *) (entry + fa->plain_offset);
	int			j;

	for (j = 0; j < fa->nplain; j++)
	{
		FastPlain  *p = &fa->plain[j];
		FastPlainState *st = &states[j];
		LOCAL_FCINFO(fcinfo, 2);
		Datum		result;

		if (p->strict)
		{
			if (p->nargs == 1 && row->plain[j].isnull)
				continue;
			if (st->isnull)
			{
				if (p->nargs == 1)
				{
					st->value = row->plain[j].value;
					st->isnull = false;
				}
				continue;
			}
		}
		InitFunctionCallInfoData(*fcinfo, &p->transfn, 1 + p->nargs, p->collation, NULL, NULL);
		fcinfo->args[0].value = st->value;
		fcinfo->args[0].isnull = st->isnull;
		if (p->nargs == 1)
			fcinfo->args[1] = row->plain[j];
		result = FunctionCallInvoke(fcinfo);
		st->value = fcinfo->isnull ? (Datum) 0 : result;
		st->isnull = fcinfo->isnull;
	}
}

/* The entry of key, created if there is room; NULL when the row must spill. */
static char *
fastagg_lookup(FastAggState *fa, Datum key, uint64 hash64, const char *bytes, int len)
{
	uint32		hash = (uint32) hash64;
	uint32		mask = fa->nslots - 1;
	uint32		i = hash & mask;
	FastEntry  *entry;

	for (;;)
	{
		entry = (FastEntry *) (fa->slots + (Size) i * fa->entry_size);
		if (!entry->used)
			break;
		if (entry->hash == hash && fastagg_key_equal(fa, entry, key, bytes, len))
			return (char *) entry;
		i = (i + 1) & mask;
	}

	/* a new group */
	if (fa->full)
		return NULL;
	if (fa->ngroups >= FASTAGG_MIN_GROUPS &&
		((fa->ngroups + 1) > fa->nslots / 4 * 3 || fastagg_memory(fa) > fa->memory_limit))
	{
		if (fastagg_memory(fa) > fa->memory_limit || !fastagg_grow(fa))
		{
			fa->full = true;
			return NULL;
		}
		/* the slots moved: find the free one again */
		mask = fa->nslots - 1;
		i = hash & mask;
		for (;;)
		{
			entry = (FastEntry *) (fa->slots + (Size) i * fa->entry_size);
			if (!entry->used)
				break;
			i = (i + 1) & mask;
		}
	}
	entry->used = 1;
	entry->valid = 0;
	entry->hash = hash;
	entry->key = fastagg_copy_key(fa, key, bytes, len);
	fastagg_init_plain(fa, (char *) entry);
	fa->ngroups++;
	return (char *) entry;
}

/*
 * Prefetch the day entries the row's group will append to next, if the
 * group is in the table and has a day array: for a customer who buys on
 * many days, the second cache miss of a row.  Only looks, never inserts.
 */
static inline void
fastagg_prefetch_days(FastAggState *fa, const FastRow *row)
{
	uint32		hash = (uint32) row->hash;
	uint32		mask = fa->nslots - 1;
	uint32		i = hash & mask;
	int			j;

	for (;;)
	{
		FastEntry  *entry = (FastEntry *) (fa->slots + (Size) i * fa->entry_size);

		if (!entry->used)
			return;
		if (entry->hash == hash && fastagg_key_equal(fa, entry, row->key, row->bytes, row->len))
		{
			for (j = 0; j < fa->naggs; j++)
			{
				SummaryState *state = (SummaryState *)
					((char *) entry + FASTAGG_HEADER + (Size) j * sizeof(SummaryState));

				if ((entry->valid & (1 << j)) && state->days != NULL)
					fastagg_prefetch(&state->days[state->ndays]);
			}
			return;
		}
		i = (i + 1) & mask;
	}
}

/* Fold a row into the states of entry. */
static inline void
fastagg_fold(FastAggState *fa, char *entry, const FastRow *row)
{
	FastEntry  *header = (FastEntry *) entry;
	int			i;

	for (i = 0; i < fa->naggs; i++)
	{
		bool		valid = (header->valid & (1 << i)) != 0;

		summary_fold_row((SummaryState *) (entry + FASTAGG_HEADER + (Size) i * sizeof(SummaryState)),
						 &valid, fa->table_context, &row->aggs[i]);
		if (valid)
			header->valid |= (1 << i);
	}
	if (fa->nplain > 0)
		fastagg_fold_plain(fa, entry, row);
}

/* The value of an aggregate argument for the child's current row. */
static inline Datum
fastagg_arg_value(FastArg *arg, TupleTableSlot *slot, ExprContext *econtext, bool *isnull)
{
	switch (arg->kind)
	{
		case FASTAGG_ARG_COLUMN:
			return slot_getattr(slot, arg->attno, isnull);
		case FASTAGG_ARG_CONST:
			*isnull = arg->isnull;
			return arg->value;
		case FASTAGG_ARG_EXPR:
			return ExecEvalExpr(arg->expr, econtext, isnull);
	}
	*isnull = true;
	return (Datum) 0;
}

/*
 * Read the next row of the current input (the child plan or a batch file)
 * into *row; false at its end.  Runs in the per-tuple memory context, which
 * holds the key bytes until the context is reset.
 */
static bool
fastagg_read_row(FastAggState *fa, FastRow *row, ExprContext *econtext)
{
	TupleTableSlot *slot;
	MemoryContext old;
	int			i;

	CHECK_FOR_INTERRUPTS();
	if (fa->input_file != NULL)
	{
		if (!fastagg_read(fa->input_file, &row->hash, sizeof(row->hash), true))
			return false;
		fastagg_read(fa->input_file, &row->len, sizeof(row->len), false);
		row->key_isnull = false;
		if (fa->key_kind == FASTAGG_KEY_BYVAL)
			fastagg_read(fa->input_file, &row->key, sizeof(row->key), false);
		else
		{
			if (row->len < 0 || (Size) row->len > MaxAllocSize)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid key length %d in a custseg grouping batch file", row->len)));
			row->bytes = palloc(row->len);
			fastagg_read(fa->input_file, row->bytes, row->len, false);
			row->key = (Datum) 0;
		}
		fastagg_read(fa->input_file, row->aggs, sizeof(SummaryRow) * fa->naggs, false);
		if (fa->nplain > 0)
			fastagg_read(fa->input_file, row->plain, sizeof(NullableDatum) * fa->nplain, false);
		return true;
	}

	for (;;)
	{
		const char *bytes = NULL;
		int			len = 0;

		/* the child runs in the query's context, as it would under an Agg */
		old = MemoryContextSwitchTo(fa->css.ss.ps.state->es_query_cxt);
		slot = ExecProcNode(linitial(fa->css.custom_ps));
		MemoryContextSwitchTo(old);
		if (TupIsNull(slot))
			return false;
		econtext->ecxt_outertuple = slot;

		row->key = slot_getattr(slot, fa->key_attno, &row->key_isnull);
		row->bytes = NULL;
		row->len = 0;
		row->hash = 0;
		if (row->key_isnull)
		{
			if (fa->filter && fa->part_lo != 0)
				continue;		/* the NULL key is the first partition's */
			break;
		}
		row->hash = fastagg_hash_key(fa, row->key, &bytes, &len);
		if (fa->filter)
		{
			uint32		part = fastagg_partition(row->hash, fa->npartitions);

			/*
			 * Another participant's row.  A detoasted key stays in the
			 * per-row context until its reset, after the next
			 * FASTAGG_READ_AHEAD rows kept: about npartitions times as
			 * many skipped.
			 */
			if (part < fa->part_lo || part >= fa->part_hi)
			{
				CHECK_FOR_INTERRUPTS();
				continue;
			}
		}
		if (fa->key_kind != FASTAGG_KEY_BYVAL)
		{
			/* the tuple's page may be unpinned before the row is folded */
			row->bytes = palloc(len > 0 ? len : 1);
			memcpy(row->bytes, bytes, len);
			row->len = len;
			row->key = (Datum) 0;
		}
		break;
	}

	for (i = 0; i < fa->naggs; i++)
	{
		FastAgg    *agg = &fa->aggs[i];
		Datum		values[3];
		bool		isnull[3];
		int			j;

		for (j = 0; j < 3; j++)
			values[j] = fastagg_arg_value(&agg->args[j], slot, econtext, &isnull[j]);
		summary_read_row(&agg->site, values[0], isnull[0], values[1], isnull[1],
						 values[2], isnull[2], &row->aggs[i]);
	}
	for (i = 0; i < fa->nplain; i++)
	{
		FastPlain  *p = &fa->plain[i];
		NullableDatum *v = &row->plain[i];

		if (p->nargs == 0)
			continue;
		v->value = fastagg_arg_value(&p->arg, slot, econtext, &v->isnull);
		if (p->null_only)
			v->value = (Datum) 0;	/* a pointer would not survive a batch file */
	}
	return true;
}

/* Consume the current input into the table (and batch files). */
static void
fastagg_fill(FastAggState *fa)
{
	ExprContext *econtext = fa->css.ss.ps.ps_ExprContext;
	int			i;

	for (i = 0; i < FASTAGG_BATCHES; i++)
	{
		fa->spill[i] = NULL;
		fa->spill_rows[i] = 0;
	}

	for (;;)
	{
		MemoryContext old;
		int			n = 0;

		ResetExprContext(econtext);
		old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		while (n < FASTAGG_READ_AHEAD && fastagg_read_row(fa, &fa->rows[n], econtext))
			n++;

		/* the slots of these rows (both cache lines of an 80-byte entry) */
		for (i = 0; i < n; i++)
			if (!fa->rows[i].key_isnull)
			{
				char	   *slot = fa->slots +
					(Size) ((uint32) fa->rows[i].hash & (fa->nslots - 1)) * fa->entry_size;

				fastagg_prefetch(slot);
				fastagg_prefetch(slot + fa->entry_size - 1);
			}
		/* then, for the groups already there, where their next day entry goes */
		for (i = 0; i < n; i++)
			if (!fa->rows[i].key_isnull)
				fastagg_prefetch_days(fa, &fa->rows[i]);

		for (i = 0; i < n; i++)
		{
			FastRow    *row = &fa->rows[i];
			char	   *entry;

			if (row->key_isnull)
			{
				if (fa->null_entry == NULL)
				{
					fa->null_entry = MemoryContextAllocZero(fa->table_context, fa->entry_size);
					fastagg_init_plain(fa, fa->null_entry);
				}
				entry = fa->null_entry;
			}
			else
			{
				entry = fastagg_lookup(fa, row->key, row->hash, row->bytes, row->len);
				if (entry == NULL)
				{
					fastagg_spill(fa, row);
					continue;
				}
			}
			fastagg_fold(fa, entry, row);
		}
		MemoryContextSwitchTo(old);
		if (n < FASTAGG_READ_AHEAD)
			break;
	}
	fastagg_note_memory(fa);

	/* the batch files of this pass wait to be read at the next level */
	for (i = 0; i < FASTAGG_BATCHES; i++)
	{
		if (fa->spill[i] != NULL)
		{
			FastBatch  *batch;
			MemoryContext old = MemoryContextSwitchTo(fa->css.ss.ps.state->es_query_cxt);

			if (BufFileSeek(fa->spill[i], 0, 0, SEEK_SET) != 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not rewind a custseg grouping batch file")));
			batch = palloc(sizeof(FastBatch));
			batch->file = fa->spill[i];
			batch->level = fa->input_level + 1;
			batch->rows = fa->spill_rows[i];
			fa->batches = lappend(fa->batches, batch);
			fa->spill[i] = NULL;
			MemoryContextSwitchTo(old);
		}
	}
	if (fa->input_file != NULL)
	{
		BufFileClose(fa->input_file);
		fa->input_file = NULL;
	}
	fa->filled = true;
}

/*
 * The result row of a group: the key and each aggregate's summary; NULL
 * when HAVING rejects it.
 */
static TupleTableSlot *
fastagg_emit(FastAggState *fa, char *entry, bool key_isnull)
{
	TupleTableSlot *scan = fa->css.ss.ss_ScanTupleSlot;
	ExprContext *econtext = fa->css.ss.ps.ps_ExprContext;
	FastEntry  *header = (FastEntry *) entry;
	MemoryContext old;
	int			i;

	ResetExprContext(econtext);
	old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	ExecClearTuple(scan);
	scan->tts_values[0] = key_isnull ? (Datum) 0 : header->key;
	scan->tts_isnull[0] = key_isnull;
	for (i = 0; i < fa->naggs; i++)
	{
		if (header->valid & (1 << i))
			scan->tts_values[i + 1] =
				summary_result((SummaryState *) (entry + FASTAGG_HEADER + (Size) i * sizeof(SummaryState)),
							   fa->table_context, fa->aggs[i].result_desc,
							   &scan->tts_isnull[i + 1]);
		else
		{
			scan->tts_values[i + 1] = (Datum) 0;
			scan->tts_isnull[i + 1] = true;
		}
	}
	for (i = 0; i < fa->nplain; i++)
	{
		FastPlainState *st = (FastPlainState *) (entry + fa->plain_offset) + i;

		scan->tts_values[1 + fa->naggs + i] = st->value;
		scan->tts_isnull[1 + fa->naggs + i] = st->isnull;
	}
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(scan);
	fa->groups_total++;

	econtext->ecxt_scantuple = scan;
	if (fa->css.ss.ps.qual != NULL && !ExecQual(fa->css.ss.ps.qual, econtext))
	{
		InstrCountFiltered1(&fa->css, 1);
		return NULL;
	}
	if (fa->css.ss.ps.ps_ProjInfo == NULL)
		return scan;
	return ExecProject(fa->css.ss.ps.ps_ProjInfo);
}

/* What a participant adds to the shared figures when it is done. */
static void
fastagg_report(FastAggState *fa)
{
	FastAggShared *shared = fa->shared;
	uint64		old;

	if (shared == NULL || fa->passes == 0)
		return;
	pg_atomic_fetch_add_u32(&shared->participants, 1);
	pg_atomic_fetch_add_u64(&shared->groups, fa->groups_total);
	pg_atomic_fetch_add_u64(&shared->spilled_rows, fa->spilled_rows);
	pg_atomic_fetch_add_u64(&shared->spilled_bytes, fa->spilled_bytes);
	old = pg_atomic_read_u64(&shared->batches);
	while (old < (uint64) fa->batches_total &&
		   !pg_atomic_compare_exchange_u64(&shared->batches, &old, fa->batches_total))
		;
	pg_atomic_fetch_add_u64(&shared->peak_memory, fa->peak_memory);
}

/*
 * Claim the next partitions to fold; false when there are none left (the
 * participant's figures are then reported).  The serial node, and a
 * parallel one run without shared memory, take everything in one claim.
 */
static bool
fastagg_claim(FastAggState *fa)
{
	uint32		n = (uint32) fa->npartitions;
	uint32		first;

	if (fa->done)
		return false;
	if (fa->shared == NULL)
	{
		fa->done = true;
		fa->part_lo = 0;
		fa->part_hi = Max(n, 1);
		fa->filter = false;
		return true;
	}
	if (IsParallelWorker())
		first = pg_atomic_fetch_add_u32(&fa->shared->next_partition, 1);
	else
	{
		int			launched = fa->pcxt != NULL ? fa->pcxt->nworkers_launched : 0;

		if (launched == 0)
		{
			/* no worker: the rest in one pass */
			first = pg_atomic_exchange_u32(&fa->shared->next_partition, n);
			if (first < n)
			{
				fa->part_lo = first;
				fa->part_hi = n;
				fa->filter = first > 0;
				return true;
			}
		}
		else if (launched < fa->npartitions)
			first = pg_atomic_fetch_add_u32(&fa->shared->next_partition, 1);
		else
			first = n;			/* the workers take them all */
	}
	if (first >= n)
	{
		fa->done = true;
		fastagg_report(fa);
		return false;
	}
	fa->part_lo = first;
	fa->part_hi = first + 1;
	fa->filter = n > 1;
	return true;
}

static TupleTableSlot *
fastagg_exec(CustomScanState *node)
{
	FastAggState *fa = (FastAggState *) node;

	for (;;)
	{
		if (!fa->active)
		{
			if (!fastagg_claim(fa))
				return NULL;
			if (fa->passes++ > 0)
			{
				/* another claim: the table empty, the input from its start */
				fastagg_reset_table(fa);
				ExecReScan(linitial(fa->css.custom_ps));
			}
			fa->active = true;
			fa->filled = false;
			fa->input_level = 0;
		}
		if (!fa->filled)
			fastagg_fill(fa);

		if (!fa->null_done)
		{
			fa->null_done = true;
			if (fa->null_entry != NULL)
			{
				TupleTableSlot *result = fastagg_emit(fa, fa->null_entry, true);

				if (result != NULL)
					return result;
			}
		}
		while (fa->next_slot < fa->nslots)
		{
			char	   *entry = fa->slots + (Size) fa->next_slot++ * fa->entry_size;

			if (((FastEntry *) entry)->used)
			{
				TupleTableSlot *result;

				CHECK_FOR_INTERRUPTS();
				result = fastagg_emit(fa, entry, false);
				if (result != NULL)
					return result;
			}
		}

		/* this pass is done: the next batch file, if any, or another claim */
		if (fa->batches == NIL)
		{
			fa->active = false;
			continue;
		}
		{
			FastBatch  *batch = linitial(fa->batches);

			fa->batches = list_delete_first(fa->batches);
			fastagg_reset_table(fa);
			fa->input_file = batch->file;
			fa->input_level = batch->level;
			fa->filled = false;
			fa->batches_total++;
			pfree(batch);
		}
	}
}

static void
fastagg_init_arg(FastAggState *fa, FastArg *arg, Expr *expr)
{
	if (IsA(expr, Var) && ((Var *) expr)->varno == OUTER_VAR)
	{
		arg->kind = FASTAGG_ARG_COLUMN;
		arg->attno = ((Var *) expr)->varattno;
	}
	else if (IsA(expr, Const))
	{
		arg->kind = FASTAGG_ARG_CONST;
		arg->value = ((Const *) expr)->constvalue;
		arg->isnull = ((Const *) expr)->constisnull;
	}
	else
	{
		arg->kind = FASTAGG_ARG_EXPR;
		arg->expr = ExecInitExpr(expr, &fa->css.ss.ps);
	}
}

static void
fastagg_begin(CustomScanState *node, EState *estate, int eflags)
{
	FastAggState *fa = (FastAggState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *key = linitial(cscan->custom_private);
	List	   *aggs = lsecond(cscan->custom_private);
	int			npartitions = intVal(lthird(cscan->custom_private));
	List	   *plains = lfourth(cscan->custom_private);
	PlanState  *child;
	ListCell   *lc;
	int			i = 0;

	child = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(child);

	fa->key_attno = (AttrNumber) intVal(linitial(key));
	fa->key_type = (Oid) intVal(lsecond(key));
	fa->key_kind = (FastKeyKind) intVal(lthird(key));
	fa->naggs = list_length(aggs);
	fa->aggs = palloc0(sizeof(FastAgg) * fa->naggs);
	foreach(lc, aggs)
	{
		List	   *agg = lfirst(lc);
		List	   *args = linitial(agg);
		TargetEntry *tle = list_nth(cscan->custom_scan_tlist, i + 1);
		MemoryContext old;
		int			j;

		for (j = 0; j < 3; j++)
			fastagg_init_arg(fa, &fa->aggs[i].args[j], list_nth(args, j));
		summary_site_init(&fa->aggs[i].site, (Oid) intVal(lsecond(agg)),
						  (Oid) intVal(lthird(agg)));
		old = MemoryContextSwitchTo(estate->es_query_cxt);
		fa->aggs[i].result_desc =
			BlessTupleDesc(lookup_rowtype_tupdesc_copy(exprType((Node *) tle->expr), -1));
		MemoryContextSwitchTo(old);
		i++;
	}
	fa->nplain = list_length(plains);
	fa->plain = palloc0(sizeof(FastPlain) * Max(fa->nplain, 1));
	i = 0;
	foreach(lc, plains)
	{
		List	   *desc = lfirst(lc);
		List	   *args = linitial(desc);
		FastPlain  *p = &fa->plain[i++];
		Oid			transfn = (Oid) intVal(lsecond(desc));
		Const	   *init = lfourth_node(Const, desc);

		p->nargs = list_length(args);
		if (p->nargs == 1)
		{
			fastagg_init_arg(fa, &p->arg, linitial(args));
			p->null_only = !get_typbyval(exprType(linitial(args)));
		}
		p->strict = func_strict(transfn);
		p->init = init->constvalue;
		p->init_null = init->constisnull;
		p->collation = (Oid) intVal(list_nth(desc, 4));
		fmgr_info_cxt(transfn, &p->transfn, estate->es_query_cxt);
	}
	fa->plain_offset = FASTAGG_HEADER + (Size) fa->naggs * sizeof(SummaryState);
	fa->entry_size = fa->plain_offset + (Size) fa->nplain * sizeof(FastPlainState);
	fa->memory_limit = get_hash_memory_limit();

	fa->table_context = AllocSetContextCreate(estate->es_query_cxt,
											  "custseg grouping table",
											  ALLOCSET_DEFAULT_MINSIZE,
											  ALLOCSET_DEFAULT_INITSIZE,
											  fastagg_max_block(fa->memory_limit));
	fa->rows = MemoryContextAlloc(estate->es_query_cxt, sizeof(FastRow) * FASTAGG_READ_AHEAD);
	fastagg_reset_table(fa);
	fa->filled = false;
	fa->input_file = NULL;
	fa->input_level = 0;
	fa->batches = NIL;
	fa->groups_total = 0;
	fa->batches_total = 1;
	fa->peak_memory = 0;
	fa->spilled_bytes = 0;
	fa->spilled_rows = 0;

	fa->npartitions = npartitions;
	fa->shared = NULL;
	fa->pcxt = NULL;
	fa->active = false;
	fa->done = false;
	fa->passes = 0;
	fa->participants = 0;
}

/* Close every batch file still open. */
static void
fastagg_close_files(FastAggState *fa)
{
	ListCell   *lc;
	int			i;

	foreach(lc, fa->batches)
		BufFileClose(((FastBatch *) lfirst(lc))->file);
	list_free_deep(fa->batches);
	fa->batches = NIL;
	for (i = 0; i < FASTAGG_BATCHES; i++)
	{
		if (fa->spill[i] != NULL)
			BufFileClose(fa->spill[i]);
		fa->spill[i] = NULL;
	}
	if (fa->input_file != NULL)
		BufFileClose(fa->input_file);
	fa->input_file = NULL;
}

static void
fastagg_end(CustomScanState *node)
{
	FastAggState *fa = (FastAggState *) node;

	fastagg_close_files(fa);
	ExecEndNode(linitial(node->custom_ps));
	MemoryContextDelete(fa->table_context);
}

static void
fastagg_rescan(CustomScanState *node)
{
	FastAggState *fa = (FastAggState *) node;
	PlanState  *child = linitial(node->custom_ps);

	fastagg_close_files(fa);
	fastagg_reset_table(fa);
	fa->filled = false;
	fa->input_level = 0;
	fa->active = false;
	fa->done = false;
	fa->passes = 0;
	/* ExecReScan passes changed parameters only to lefttree and righttree */
	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(child, node->ss.ps.chgParam);
	if (child->chgParam == NULL)
		ExecReScan(child);
}

static void
fastagg_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	FastAggState *fa = (FastAggState *) node;

	ExplainPropertyInteger("Aggregates", NULL, fa->naggs + fa->nplain, es);
	if (fa->npartitions > 0)
		ExplainPropertyInteger("Partitions", NULL, fa->npartitions, es);
	if (es->analyze && fa->npartitions > 0 && fa->participants > 0)
		ExplainPropertyInteger("Participants", NULL, fa->participants, es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Groups", NULL, fa->groups_total, es);
		ExplainPropertyInteger("Batches", NULL, fa->batches_total, es);
		ExplainPropertyInteger("Peak Memory Usage", "kB",
							   (int64) ((fa->peak_memory + 1023) / 1024), es);
		ExplainPropertyInteger("Memory Limit", "kB",
							   (int64) (fa->memory_limit / 1024), es);
		if (fa->spilled_rows > 0)
		{
			ExplainPropertyInteger("Rows Spilled", NULL, fa->spilled_rows, es);
			ExplainPropertyInteger("Disk Usage", "kB",
								   (fa->spilled_bytes + 1023) / 1024, es);
		}
	}
}

static Size
fastagg_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	return MAXALIGN(sizeof(FastAggShared));
}

static void
fastagg_initialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	FastAggState *fa = (FastAggState *) node;
	FastAggShared *shared = (FastAggShared *) coordinate;

	pg_atomic_init_u32(&shared->next_partition, 0);
	pg_atomic_init_u32(&shared->participants, 0);
	pg_atomic_init_u64(&shared->groups, 0);
	pg_atomic_init_u64(&shared->spilled_rows, 0);
	pg_atomic_init_u64(&shared->spilled_bytes, 0);
	pg_atomic_init_u64(&shared->batches, 0);
	pg_atomic_init_u64(&shared->peak_memory, 0);
	fa->shared = shared;
	fa->pcxt = pcxt;
}

static void
fastagg_reinitialize_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	fastagg_initialize_dsm(node, pcxt, coordinate);
}

static void
fastagg_initialize_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	FastAggState *fa = (FastAggState *) node;

	fa->shared = (FastAggShared *) coordinate;
}

/*
 * Before the leader's shared memory goes: the participants' figures, for
 * EXPLAIN ANALYZE (the groups, spills and peak memory summed over them, the
 * batches of the one that used the most).
 */
static void
fastagg_shutdown(CustomScanState *node)
{
	FastAggState *fa = (FastAggState *) node;
	FastAggShared *shared = fa->shared;

	if (shared == NULL || IsParallelWorker())
		return;
	fa->participants = (int) pg_atomic_read_u32(&shared->participants);
	if (fa->participants == 0)
		return;
	fa->groups_total = (int64) pg_atomic_read_u64(&shared->groups);
	fa->spilled_rows = (int64) pg_atomic_read_u64(&shared->spilled_rows);
	fa->spilled_bytes = (int64) pg_atomic_read_u64(&shared->spilled_bytes);
	fa->batches_total = (int64) pg_atomic_read_u64(&shared->batches);
	fa->peak_memory = (Size) pg_atomic_read_u64(&shared->peak_memory);
	/* the shared memory is detached after this */
	fa->shared = NULL;
	fa->pcxt = NULL;
}

/* Called by _PG_init: plans that carry the node can be copied and read. */
void
fastagg_exec_init(void)
{
	RegisterCustomScanMethods(&fastagg_scan_methods);
}
