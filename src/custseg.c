/*-------------------------------------------------------------------------
 *
 * custseg.c
 *	  Module entry point of the custseg extension.
 *
 * The SQL-callable functions live in one file per concept; see custseg.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
