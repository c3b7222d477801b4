EXTENSION = custseg
EXTVERSION = 0.2.0

MODULE_big = custseg
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one SQL file per concept, in
# dependency order, after a banner that refuses to run outside CREATE EXTENSION.
# (They live in sql/parts/ because pg_regress would take ./sql/NAME.sql for
# the test NAME.)
SQL_PARTS = $(addprefix sql/parts/,header.sql summary.sql rfm.sql segments.sql \
	fit.sql gammagamma.sql bgnbd.sql paretonbd.sql bgbb.sql clv.sql \
	kmeans.sql holdout.sql views.sql)
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

# test/sql/fmgr_calls.sql needs the test-only extension of
# test/modules/fmgrcall (scripts/test and scripts/regress install it); where
# it is not installed, as in the Debian package's build, that test is left
# out.
ifeq ($(wildcard $(shell $(PG_CONFIG) --sharedir)/extension/fmgrcall.control),)
TESTS := $(filter-out test/sql/fmgr_calls.sql,$(TESTS))
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@
