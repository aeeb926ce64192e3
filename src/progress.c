/*
 * progress.c
 *		Progress of long operations (progress.h): a slot per backend in
 *		shared memory, the SQL functions behind the view bankcrm.progress,
 *		and NOTICE lines at the interval bankcrm.progress_notice_interval.
 *
 * A backend writes only its own slot, MyBackendId - 1, with a change
 * counter around each write (odd while writing), as PostgreSQL's own
 * backend status does; a reader copies a slot and retries until the
 * counter was even and unchanged.  No lock is taken on either side, so a
 * tick in a loop costs a few stores.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "progress.h"

#define PROGRESS_COMMAND_LEN 48
#define PROGRESS_PHASE_LEN 80
#define PROGRESS_TICKS 256			/* ticks between two looks at the slot */

typedef struct ProgressSlot
{
	uint32		changecount;	/* odd while the owner writes */
	int			pid;			/* 0: no operation */
	Oid			dbid;
	Oid			userid;
	TimestampTz started;
	TimestampTz phase_started;
	int64		done;
	int64		total;			/* 0 or less: not known */
	char		command[PROGRESS_COMMAND_LEN];
	char		phase[PROGRESS_PHASE_LEN];
} ProgressSlot;

typedef struct ProgressShared
{
	int			nslots;
	ProgressSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ProgressShared;

/* the operation of this backend */
int			progress_depth = 0;
int64		progress_done = 0;
int			progress_countdown = PROGRESS_TICKS;

static int	progress_notice_interval = 0;
static ProgressShared *progress_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool callbacks_registered = false;

static struct
{
	char		command[PROGRESS_COMMAND_LEN];
	char		phase[PROGRESS_PHASE_LEN];
	int64		total;
	TimestampTz started;
	TimestampTz phase_started;
	TimestampTz last_notice;
	int			level;			/* transaction nesting level at ProgressBegin */
	bool		noticed;		/* a NOTICE line was sent */
	/* the outer operation's phase while an inner one runs */
	char		inner_command[PROGRESS_COMMAND_LEN];
	char		outer_phase[PROGRESS_PHASE_LEN];
	int64		outer_done;
	int64		outer_total;
} cur;

static Size
ProgressShmemSize(void)
{
	return add_size(offsetof(ProgressShared, slots),
					mul_size(MaxBackends, sizeof(ProgressSlot)));
}

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(ProgressShmemSize()));
}

static void
progress_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	progress_shared = ShmemInitStruct("bankcrm progress", ProgressShmemSize(), &found);
	if (!found)
	{
		memset(progress_shared, 0, ProgressShmemSize());
		progress_shared->nslots = MaxBackends;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * ProgressInit
 *		Define bankcrm.progress_notice_interval; while
 *		shared_preload_libraries is processed, ask for the slots.
 */
void
ProgressInit(void)
{
	DefineCustomIntVariable("bankcrm.progress_notice_interval",
							gettext_noop("Sends a NOTICE with the progress of long operations at this interval."),
							gettext_noop("score_all, segment_refresh, segment_refresh_all, churn_scan, cluster_fit, campaign_generate_leads and the loaders; 0 sends none. The view bankcrm.progress shows the same at any time."),
							&progress_notice_interval,
							0, 0, 3600,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = progress_shmem_startup;
}

/* this backend's slot, or NULL (not preloaded, or no backend id) */
static volatile ProgressSlot *
MySlot(void)
{
	if (progress_shared == NULL || MyBackendId == InvalidBackendId ||
		MyBackendId < 1 || MyBackendId > progress_shared->nslots)
		return NULL;
	return &progress_shared->slots[MyBackendId - 1];
}

static void
Publish(bool all)
{
	volatile ProgressSlot *s = MySlot();

	if (s == NULL)
		return;
	s->changecount++;
	pg_write_barrier();
	if (all)
	{
		s->pid = MyProcPid;
		s->dbid = MyDatabaseId;
		s->userid = GetUserId();
		s->started = cur.started;
		strlcpy((char *) s->command, cur.command, PROGRESS_COMMAND_LEN);
		strlcpy((char *) s->phase, cur.phase, PROGRESS_PHASE_LEN);
		s->phase_started = cur.phase_started;
		s->total = cur.total;
	}
	s->done = progress_done;
	pg_write_barrier();
	s->changecount++;
}

static void
Unpublish(void)
{
	volatile ProgressSlot *s = MySlot();

	if (s == NULL)
		return;
	s->changecount++;
	pg_write_barrier();
	s->pid = 0;
	pg_write_barrier();
	s->changecount++;
}

static void
Notice(bool last)
{
	TimestampTz now = GetCurrentTimestamp();
	double		secs = (double) (now - cur.started) / USECS_PER_SEC;

	cur.last_notice = now;
	cur.noticed = true;
	/* the time in the detail: the message stays the same from run to run */
	if (last)
		ereport(NOTICE,
				(errmsg("%s: done", cur.command),
				 errdetail("After %.1f s.", secs)));
	else if (cur.total > 0)
		ereport(NOTICE,
				(errmsg("%s: %s, " INT64_FORMAT " of " INT64_FORMAT " (%.0f %%)",
						cur.command, cur.phase, progress_done, cur.total,
						100.0 * (double) progress_done / (double) cur.total),
				 errdetail("After %.1f s.", secs)));
	else
		ereport(NOTICE,
				(errmsg("%s: %s, " INT64_FORMAT " done",
						cur.command, cur.phase, progress_done),
				 errdetail("After %.1f s.", secs)));
}

static void
MaybeNotice(void)
{
	if (progress_notice_interval > 0 &&
		TimestampDifferenceExceeds(cur.last_notice, GetCurrentTimestamp(),
								   progress_notice_interval * 1000))
		Notice(false);
}

/* an error ended the operation: clear the slot */
static void
Abandon(void)
{
	progress_depth = 0;
	progress_done = 0;
	Unpublish();
}

static void
progress_xact_callback(XactEvent event, void *arg)
{
	if (progress_depth > 0 &&
		(event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		 event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE))
		Abandon();
}

static void
progress_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (progress_depth > 0 && event == SUBXACT_EVENT_ABORT_SUB &&
		cur.level >= GetCurrentTransactionNestLevel())
		Abandon();
}

static void
progress_exit(int code, Datum arg)
{
	Unpublish();
}

/*
 * ProgressBegin
 *		Start an operation (or, inside one, a phase of it named after the
 *		inner command).  total <= 0: not known.
 */
void
ProgressBegin(const char *command, const char *phase, int64 total)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(progress_xact_callback, NULL);
		RegisterSubXactCallback(progress_subxact_callback, NULL);
		before_shmem_exit(progress_exit, (Datum) 0);
		callbacks_registered = true;
	}
	if (progress_depth++ > 0)
	{
		if (progress_depth == 2)
		{
			strlcpy(cur.outer_phase, cur.phase, PROGRESS_PHASE_LEN);
			cur.outer_done = progress_done;
			cur.outer_total = cur.total;
			strlcpy(cur.inner_command, command, PROGRESS_COMMAND_LEN);
			snprintf(cur.phase, PROGRESS_PHASE_LEN, "%s: %s", command, phase);
			cur.total = total;
			cur.phase_started = GetCurrentTimestamp();
			progress_done = 0;
			Publish(true);
		}
		return;
	}
	strlcpy(cur.command, command, PROGRESS_COMMAND_LEN);
	strlcpy(cur.phase, phase, PROGRESS_PHASE_LEN);
	cur.total = total;
	cur.started = cur.phase_started = cur.last_notice = GetCurrentTimestamp();
	cur.level = GetCurrentTransactionNestLevel();
	cur.noticed = false;
	progress_done = 0;
	progress_countdown = PROGRESS_TICKS;
	Publish(true);
}

/*
 * ProgressPhase
 *		The operation moves to another phase; done starts again at 0.
 */
void
ProgressPhase(const char *phase, int64 total)
{
	if (progress_depth == 0 || progress_depth > 2)
		return;					/* deeper operations' phases stay inside them */
	if (progress_depth == 2)
		snprintf(cur.phase, PROGRESS_PHASE_LEN, "%s: %s", cur.inner_command, phase);
	else
		strlcpy(cur.phase, phase, PROGRESS_PHASE_LEN);
	cur.total = total;
	cur.phase_started = GetCurrentTimestamp();
	progress_done = 0;
	Publish(true);
	MaybeNotice();
}

/*
 * ProgressSet
 *		So much of the phase is done.
 */
void
ProgressSet(int64 done)
{
	if (progress_depth == 0)
		return;
	progress_done = done;
	ProgressTickSlow();
}

/* ProgressTick's every PROGRESS_TICKS-th call: publish, perhaps a NOTICE */
void
ProgressTickSlow(void)
{
	progress_countdown = PROGRESS_TICKS;
	if (progress_depth == 0)
		return;
	Publish(false);
	MaybeNotice();
}

/*
 * ProgressEnd
 *		The operation (or the inner one) is done.
 */
void
ProgressEnd(void)
{
	if (progress_depth == 0)
		return;
	if (--progress_depth > 0)
	{
		if (progress_depth == 1)
		{
			strlcpy(cur.phase, cur.outer_phase, PROGRESS_PHASE_LEN);
			progress_done = cur.outer_done;
			cur.total = cur.outer_total;
			Publish(true);
		}
		return;
	}
	if (cur.noticed)
		Notice(true);
	progress_done = 0;
	Unpublish();
}

/* ---------------------------------------------------------------------
 * SQL
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(progress_slots);
PG_FUNCTION_INFO_V1(progress_begin);
PG_FUNCTION_INFO_V1(progress_phase);
PG_FUNCTION_INFO_V1(progress_set);
PG_FUNCTION_INFO_V1(progress_end);

/*
 * progress_slots
 *		The operations under way in the cluster: pid, datid, userid,
 *		command, phase, done, total, started_at, phase_started_at.
 */
Datum
progress_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (progress_shared == NULL)
		PG_RETURN_VOID();
	for (i = 0; i < progress_shared->nslots; i++)
	{
		volatile ProgressSlot *s = &progress_shared->slots[i];
		ProgressSlot copy;
		Datum		values[9];
		bool		nulls[9] = {0};
		int			tries;

		for (tries = 0; tries < 1000; tries++)
		{
			uint32		before = s->changecount;

			pg_read_barrier();
			memcpy(&copy, (const void *) s, sizeof(ProgressSlot));
			pg_read_barrier();
			if (before == s->changecount && (before & 1) == 0)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (tries == 1000 || copy.pid == 0)
			continue;
		copy.command[PROGRESS_COMMAND_LEN - 1] = '\0';
		copy.phase[PROGRESS_PHASE_LEN - 1] = '\0';
		values[0] = Int32GetDatum(copy.pid);
		values[1] = ObjectIdGetDatum(copy.dbid);
		values[2] = ObjectIdGetDatum(copy.userid);
		values[3] = CStringGetTextDatum(copy.command);
		values[4] = CStringGetTextDatum(copy.phase);
		values[5] = Int64GetDatum(copy.done);
		values[6] = Int64GetDatum(copy.total);
		nulls[6] = copy.total <= 0;
		values[7] = TimestampTzGetDatum(copy.started);
		values[8] = TimestampTzGetDatum(copy.phase_started);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

static char *
ArgText(FunctionCallInfo fcinfo, int n, const char *dflt)
{
	return PG_ARGISNULL(n) ? pstrdup(dflt) : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* progress_begin(command text, phase text, total bigint): for SQL and PL/pgSQL */
Datum
progress_begin(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the command must not be null")));
	ProgressBegin(ArgText(fcinfo, 0, ""), ArgText(fcinfo, 1, ""),
				  PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2));
	PG_RETURN_VOID();
}

Datum
progress_phase(PG_FUNCTION_ARGS)
{
	ProgressPhase(ArgText(fcinfo, 0, ""), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1));
	PG_RETURN_VOID();
}

Datum
progress_set(PG_FUNCTION_ARGS)
{
	if (!PG_ARGISNULL(0))
		ProgressSet(PG_GETARG_INT64(0));
	PG_RETURN_VOID();
}

Datum
progress_end(PG_FUNCTION_ARGS)
{
	ProgressEnd();
	PG_RETURN_VOID();
}
