EXTENSION = custseg
EXTVERSION = 0.2.0

MODULE_big = custseg
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one SQL file per concept, in
# dependency order, after a banner that refuses to run outside CREATE EXTENSION.
# (They live in sql/parts/ because pg_regress would take ./sql/NAME.sql for
# the test NAME.)
SQL_PARTS = $(addprefix sql/parts/,header.sql summary.sql rfm.sql segments.sql \
	fit.sql gammagamma.sql bgnbd.sql paretonbd.sql bgbb.sql predict.sql clv.sql \
	kmeans.sql holdout.sql views.sql tables.sql clv_check.sql)
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
# The install scripts of earlier releases, kept as they shipped, and one
# upgrade script per release step.
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

TESTS = $(sort $(wildcard test/sql/*.sql))
REGRESS = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

# -Wextra, less unused-parameter: PostgreSQL 15's own headers have unused
# parameters in inline functions.
PG_CFLAGS = -Wextra -Wno-unused-parameter
ifdef WERROR
PG_CFLAGS += -Werror
endif

EXTRA_CLEAN = results regression.diffs regression.out src/.built-for

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# Isolation tests (concurrent sessions): test/specs/NAME.spec, expected/NAME.out,
# where the installation has the isolation tester (Debian's server dev
# package has it; a minimal source build may not).
ifneq ($(wildcard $(dir $(PGXS))../test/isolation/pg_isolation_regress),)
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
# --outputdir=.: results/ and expected/ as for the other tests.
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=$(EXTENSION)
endif
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@
