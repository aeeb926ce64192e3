# bankcrm: PGXS build
#
#   make            build bankcrm.so and the install script
#   make install    install into the PostgreSQL found by $(PG_CONFIG)
#   make test       install what is missing, build with -Werror, run every suite
#                   (the fuzz targets replay their corpora: deterministic)
#   make fuzz       fuzz every target for FUZZ_SECONDS (default 15) from its corpus
#   make demo       start a private cluster in ./.demo with synthetic data
#   make demo-stop  stop it
#   make report     write report.html: the pictures of the running demo (doc/pictures.md)

EXTENSION  = bankcrm
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = bankcrm
OBJS = \
	src/init.o \
	src/bankcrm.o \
	src/progress.o \
	src/types/credit_rating.o \
	src/types/rating.o \
	src/types/phone.o \
	src/types/e164.o \
	src/score/score.o \
	src/score/model.o \
	src/score/alloc.o \
	src/score/table.o \
	src/score/read.o \
	src/score/compute.o \
	src/score/store.o \
	src/score/direct.o \
	src/score/affinity.o \
	src/segment.o \
	src/kmeans.o \
	src/cluster.o \
	src/fsm/process.o \
	src/fsm/fsm.o \
	src/fsm/validate.o \
	src/fsm/guard.o \
	src/campaign.o \
	src/rls.o \
	src/bgw.o \
	src/churn/churn.o \
	src/churn/churn_settings.o \
	src/churn/churn_calendar.o \
	src/churn/churn_series.o \
	src/churn/churn_figures.o \
	src/churn/churn_worker.o \
	src/churn/churn_monitor.o \
	src/churn/churn_store.o \
	src/churn/churn_trigger.o \
	src/churn/churn_model.o \
	src/churn/churn_logreg.o \
	src/dialer/ami.o \
	src/dialer/md5.o \
	src/dialer/pacing.o \
	src/dialer/worker.o \
	src/dialer/calls.o \
	src/dialer/predictive.o \
	src/dialer/dialer_db.o \
	src/dialer/launcher.o \
	src/dialer/settings.o \
	src/dialer/outbox.o \
	src/dialer/wake.o

# the install script is assembled from its parts, in name order; the
# install scripts of earlier releases are kept as released (src/sql/releases)
# with the update scripts that lead from each to the next (src/sql/updates):
# doc/releasing.md
SQL_PARTS  = $(sort $(wildcard src/sql/*.sql))
RELEASES   = $(filter-out src/sql/releases/$(EXTENSION)--$(EXTVERSION).sql,$(wildcard src/sql/releases/$(EXTENSION)--*.sql))
DATA       = $(wildcard src/sql/updates/*--*--*.sql) $(RELEASES)
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

TESTS        = $(sort $(wildcard sql/*.sql))
REGRESS      = $(patsubst sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --load-extension=bankcrm
ISOLATION      = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=bankcrm

EXTRA_CLEAN = results regression.diffs regression.out build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

override CPPFLAGS := -I$(srcdir)/src $(CPPFLAGS)

# every object is rebuilt when a header changes (PGXS tracks no headers)
HEADERS = $(wildcard src/*.h src/*/*.h)
$(OBJS) $(OBJS:.o=.bc): $(HEADERS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

.PHONY: test fuzz demo demo-stop bench release report

# freeze the install script of default_version as released (doc/releasing.md)
release: $(EXTENSION)--$(EXTVERSION).sql
	@test ! -e src/sql/releases/$(EXTENSION)--$(EXTVERSION).sql || \
		{ echo "release $(EXTVERSION) exists already: raise default_version first"; exit 1; }
	mkdir -p src/sql/releases
	cp $(EXTENSION)--$(EXTVERSION).sql src/sql/releases/

test:
	test/run

fuzz:
	test/run fuzztime

demo:
	test/demo start

demo-stop:
	test/demo stop

report:
	test/report

bench:
	test/bench/run
