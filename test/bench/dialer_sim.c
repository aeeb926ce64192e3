/*-------------------------------------------------------------------------
 *
 * dialer_sim.c
 *	  A discrete-event simulation of a campaign day, driving the dialer's
 *	  pacing (src/dialer/pacing.c) in progressive and in predictive mode.
 *
 * A day of 10 hours; every agent logged in all day.  Each call placed is
 * answered live, answered by a machine, busy or not answered, with the live
 * share drifting over the day (from 0.75 of the setting's rate at the start
 * to 1.25 at midday and back).  Answered calls ring a log-normal time (mean
 * 9 s), unanswered ones until the 20 s timeout, busy ones 3 s.  Answering-
 * machine detection takes 1.5-3.5 s for a human and 2.5-4.5 s for a machine;
 * a machine is hung up, never offered to an agent.  A live customer waits in
 * the campaign queue for an agent; one who waits 2 s is abandoned.  Talk
 * time is log-normal (coefficient of variation 1), wrap-up log-normal with a
 * mean of 15 s.  The pacing learns the answer rate, the human share, the
 * ring time and talk-plus-wrap-up time from the simulated calls, as the
 * worker does from the campaign's own, and sees the abandonment of the day
 * and of the last 15 minutes.
 *
 *   dialer_sim                 the grid: 20, 50, 200 agents x live 10-40 %
 *                              x machine 10, 30 % x talk 1, 3, 6 minutes
 *   dialer_sim -q              a smaller grid (20, 200 agents; talk 1, 3 min)
 *   dialer_sim -b 101          the grid with seeds from 101 (default 1, one a setting)
 *   dialer_sim -s SEED A L M T one setting (agents, live %, machine %, talk min)
 *
 * Prints one Markdown row per setting: for progressive and predictive the
 * abandonment of the day, the day's share at the worst minute to end it
 * (the list may run out at any one), the worst rolling 15-minute window
 * (every minute, over the windows that lie inside the day), agent
 * utilisation (talk time / logged-in time) and connects per agent-hour,
 * then the ratio of the connects per agent-hour and its ceiling (agents
 * never idle but for their wrap-up, over progressive's utilisation).  Same
 * seed, same numbers.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/bench/dialer_sim.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/dialer/pacing.c"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 36000.0
#define MINUTES 600
#define RING_TIMEOUT_S 20.0
#define RING_MEAN_S 9.0
#define BUSY_SHARE 0.05
#define BUSY_S 3.0
#define ABANDON_S 2.0
#define WRAP_MEAN_S 15.0
#define TICK_S 1.0

/* ---- random numbers: xorshift64*, seeded ---- */
static uint64_t rng;

static double
uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((double) ((rng * UINT64_C(2685821657736338717)) >> 11) + 0.5) / 9007199254740992.0;
}

static double
lognormal(PacingLogNormal d)
{
	double		u1 = uniform();
	double		u2 = uniform();
	double		z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);

	return exp(d.mu + d.sigma * z);
}

/* ---- events: a binary heap by time ---- */
enum
{
	EV_TICK, EV_ANSWER, EV_VERDICT, EV_END, EV_ABANDON, EV_FREE, EV_SETTLED
};

typedef struct Event
{
	double		t;
	int			type;
	int			id;				/* call or agent */
} Event;

static Event *heap;
static int	nheap;
static int	heapcap;

static void
push(double t, int type, int id)
{
	int			i;

	if (nheap == heapcap)
	{
		heapcap = heapcap ? heapcap * 2 : 1024;
		heap = realloc(heap, sizeof(Event) * heapcap);
	}
	i = nheap++;
	while (i > 0 && heap[(i - 1) / 2].t > t)
	{
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i].t = t;
	heap[i].type = type;
	heap[i].id = id;
}

static Event
pop(void)
{
	Event		top = heap[0];
	Event		last = heap[--nheap];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= nheap)
			break;
		if (c + 1 < nheap && heap[c + 1].t < heap[c].t)
			c++;
		if (heap[c].t >= last.t)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap > 0)
		heap[i] = last;
	return top;
}

/* ---- the campaign ---- */
typedef struct Setting
{
	int			agents;
	double		live;			/* live answers per call placed */
	double		machine;		/* machine answers per call placed */
	double		talk_min;		/* mean talk time, minutes */
	uint64_t	seed;
} Setting;

typedef struct Result
{
	double		abandon_day;
	double		abandon_worst15;
	double		abandon_so_far;	/* the day's share at the worst minute to end it */
	double		utilisation;
	double		connects_per_agent_hour;
	double		lines_per_agent;	/* mean calls in flight per agent */
	long		placed;
} Result;

enum
{
	CALL_RINGING, CALL_SCREENING, CALL_WAITING, CALL_DONE
};

typedef struct Call
{
	int			state;
	int			slot;			/* index in the ringing list */
	double		placed_at;
	double		live_at;
	double		ring_s;			/* how long it rang before the answer */
	int			human;
	int			answered;
} Call;

static Call *calls;
static int	ncalls;
static int	callcap;

#define RING_SLOTS 32
static int *ringing;			/* call ids */
static int	ringing_hist[RING_SLOTS];
static int	nringing;

static int *busy;				/* agent ids */
static double *busy_s;
static int	nbusy;
static double *busy_since;		/* per agent */
static int *busy_slot;			/* per agent, -1 when ready */
static int *ready;				/* stack of ready agent ids */
static int	nready;

static int *queue;				/* waiting live calls, FIFO */
static int	qhead;
static int	qtail;

static int	nscreening;

static long live_min[MINUTES + 1];
static long aband_min[MINUTES + 1];

static int
new_call(double now)
{
	Call	   *c;

	if (ncalls == callcap)
	{
		callcap = callcap ? callcap * 2 : 4096;
		calls = realloc(calls, sizeof(Call) * callcap);
	}
	c = &calls[ncalls];
	c->state = CALL_RINGING;
	c->placed_at = now;
	c->slot = nringing;
	c->human = 0;
	ringing[nringing++] = ncalls;
	return ncalls++;
}

static void
unring(int id)
{
	int			slot = calls[id].slot;
	int			last = ringing[--nringing];

	ringing[slot] = last;
	calls[last].slot = slot;
}

static double
drift(double now)
{
	return 0.75 + 0.25 * (1.0 - cos(2.0 * 3.14159265358979323846 * now / DAY_S));
}

static void
run(const Setting *set, int predictive, Result *res)
{
	PacingLogNormal talk = PacingLogNormalOf(set->talk_min * 60.0, 1.0);
	PacingLogNormal wrap = PacingLogNormalOf(WRAP_MEAN_S, 0.5);
	PacingLogNormal ringd = PacingLogNormalOf(RING_MEAN_S, 0.6);
	PacingShare answered;
	PacingShare human;
	PacingFit ringfit;
	PacingFit handlefit;
	double		talk_total = 0.0;
	double		line_seconds = 0.0;
	double		last_t = 0.0;
	long		connects = 0;
	long		live_day = 0;
	long		aband_day = 0;
	int			max_lines = set->agents * 4;
	int			max_cps = set->agents / 4 > 5 ? set->agents / 4 : 5;
	int			a;
	int			m;

	rng = set->seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	nheap = 0;
	ncalls = 0;
	nringing = 0;
	nscreening = 0;
	nbusy = 0;
	qhead = qtail = 0;
	memset(live_min, 0, sizeof(live_min));
	memset(aband_min, 0, sizeof(aband_min));
	ringing = realloc(ringing, sizeof(int) * (max_lines + 1));
	queue = realloc(queue, sizeof(int) * (max_lines + 1) * 64);
	busy = realloc(busy, sizeof(int) * set->agents);
	busy_s = realloc(busy_s, sizeof(double) * set->agents);
	busy_since = realloc(busy_since, sizeof(double) * set->agents);
	busy_slot = realloc(busy_slot, sizeof(int) * set->agents);
	ready = realloc(ready, sizeof(int) * set->agents);
	nready = 0;
	for (a = set->agents - 1; a >= 0; a--)
	{
		busy_slot[a] = -1;
		ready[nready++] = a;
	}
	/* the day before's rates (without the drift), counted as 200 calls */
	PacingShareInit(&answered, set->live + set->machine, 200.0);
	PacingShareInit(&human, set->live / (set->live + set->machine), 200.0);
	PacingFitInit(&ringfit, 10.0, 0.5, 20.0);
	/* what the campaign's calls of the day before taught: talk plus wrap-up */
	PacingFitInit(&handlefit, set->talk_min * 60.0 + WRAP_MEAN_S, 0.95, 100.0);
	push(0.0, EV_TICK, 0);

	while (nheap > 0)
	{
		Event		ev = pop();
		double		now = ev.t;
		int			decide = 0;

		if (now > DAY_S && ev.type == EV_TICK)
			continue;			/* no more calls; the rest finishes */
		line_seconds += (now - last_t) * (nringing + nscreening + (qtail - qhead));
		last_t = now;
		m = (int) (now / 60.0);
		if (m > MINUTES)
			m = MINUTES;

		switch (ev.type)
		{
			case EV_TICK:
				push(now + TICK_S, EV_TICK, 0);
				decide = 1;
				break;
			case EV_ANSWER:
				{
					Call	   *c = &calls[ev.id];
					double		share_live = set->live * drift(c->placed_at);

					unring(ev.id);
					c->state = CALL_SCREENING;
					nscreening++;
					c->ring_s = now - c->placed_at;
					c->human = uniform() * (share_live + set->machine) < share_live;
					push(now + (c->human ? 1.5 : 2.5) + 2.0 * uniform(), EV_VERDICT, ev.id);
					break;
				}
			case EV_VERDICT:
				{
					Call	   *c = &calls[ev.id];

					nscreening--;
					PacingShareAdd(&human, c->human, 0.998);
					if (!c->human)
					{
						c->state = CALL_DONE;
						decide = 1;
						break;
					}
					live_day++;
					live_min[m]++;
					c->live_at = now;
					c->state = CALL_WAITING;
					queue[qtail++] = ev.id;
					push(now + ABANDON_S, EV_ABANDON, ev.id);
					break;
				}
			case EV_SETTLED:
				/*
				 * learnt in the order calls were placed, once each has
				 * settled: ring times learnt as calls are answered would
				 * miss the long rings of calls still ringing, and take rings
				 * as shorter than they are while many calls have just been
				 * placed (the start of a day)
				 */
				PacingShareAdd(&answered, calls[ev.id].answered, 0.998);
				if (calls[ev.id].answered)
					PacingFitAdd(&ringfit, calls[ev.id].ring_s, 0.995);
				break;
			case EV_END:
				unring(ev.id);
				calls[ev.id].state = CALL_DONE;
				decide = 1;
				break;
			case EV_ABANDON:
				if (calls[ev.id].state == CALL_WAITING)
				{
					calls[ev.id].state = CALL_DONE;
					aband_day++;
					aband_min[(int) (calls[ev.id].live_at / 60.0) < MINUTES ? (int) (calls[ev.id].live_at / 60.0) : MINUTES]++;
				}
				break;
			case EV_FREE:
				{
					int			slot = busy_slot[ev.id];
					int			last = busy[--nbusy];

					PacingFitAdd(&handlefit, now - busy_since[ev.id], 0.995);
					busy[slot] = last;
					busy_slot[last] = slot;
					busy_slot[ev.id] = -1;
					ready[nready++] = ev.id;
					decide = 1;
					break;
				}
		}

		/* hand waiting customers to ready agents, oldest first */
		while (qhead < qtail && nready > 0)
		{
			int			id = queue[qhead++];
			double		t_talk;

			if (calls[id].state != CALL_WAITING)
				continue;
			a = ready[--nready];
			calls[id].state = CALL_DONE;
			t_talk = lognormal(talk);
			if (now + t_talk > DAY_S)
				talk_total += DAY_S > now ? DAY_S - now : 0.0;
			else
				talk_total += t_talk;
			connects++;
			busy_slot[a] = nbusy;
			busy[nbusy++] = a;
			busy_since[a] = now;
			push(now + t_talk + lognormal(wrap), EV_FREE, a);
		}
		while (qhead < qtail && calls[queue[qhead]].state != CALL_WAITING)
			qhead++;
		if (qhead == qtail)
			qhead = qtail = 0;

		if (decide && now <= DAY_S && 1)
		{
			PacingInput in = {0};
			int			n;
			int			i;
			int			w = m >= 15 ? m - 14 : 0;
			int			mm;

			int			full = predictive && ev.type == EV_TICK;

			/* predictive decides on the tick; between ticks, a freed agent or line gets the progressive count */
			memset(ringing_hist, 0, sizeof(ringing_hist));
			if (full)
			{
				for (i = 0; i < nringing; i++)
				{
					int			sl = (int) (now - calls[ringing[i]].placed_at);

					ringing_hist[sl < RING_SLOTS ? sl : RING_SLOTS - 1]++;
				}
				for (i = 0; i < nbusy; i++)
					busy_s[i] = now - busy_since[busy[i]];
			}
			else
				ringing_hist[0] = nringing;
			in.agents_ready = nready;
			in.agents_busy = nbusy;
			in.busy_s = busy_s;
			in.ringing_slots = RING_SLOTS;
			in.ringing_by_s = ringing_hist;
			in.finished = (int64_t) handlefit.weight;
			in.lines_screening = nscreening;
			in.waiting = qtail - qhead;
			in.max_new = max_lines - nringing - nscreening;
			if (in.max_new > max_cps)
				in.max_new = max_cps;
			in.answer_rate = PacingShareGet(&answered);
			in.human_share = PacingShareGet(&human);
			in.ring = PacingFitGet(&ringfit);
			in.ring_timeout_s = RING_TIMEOUT_S;
			in.screen_s = 3.0;
			in.handle = PacingFitGet(&handlefit);
			in.live_day = live_day;
			in.abandoned_day = aband_day;
			for (mm = w; mm <= m; mm++)
			{
				in.live_window += live_min[mm];
				in.abandoned_window += aband_min[mm];
			}
			in.cap_day = PACING_CAP_DAY;
			in.cap_window = PACING_CAP_WINDOW;
			in.target = PACING_TARGET;
			n = full ? PacingPredictive(&in, NULL) : PacingProgressive(&in, NULL);
			for (i = 0; i < n; i++)
			{
				int			id = new_call(now);
				double		u = uniform();
				double		dr = drift(now);
				double		p_answer = set->live * dr + set->machine;

				res->placed++;
				calls[id].answered = u < p_answer;
				push(now + RING_TIMEOUT_S, EV_SETTLED, id);
				if (u < p_answer)
				{
					double		r;

					do
						r = lognormal(ringd);
					while (r >= RING_TIMEOUT_S);
					push(now + r, EV_ANSWER, id);
				}
				else if (u < p_answer + BUSY_SHARE)
					push(now + BUSY_S, EV_END, id);
				else
					push(now + RING_TIMEOUT_S, EV_END, id);
			}
		}
	}

	res->abandon_day = live_day ? (double) aband_day / live_day : 0.0;
	res->abandon_worst15 = 0.0;
	for (m = 15; m <= MINUTES; m++)
	{
		long		l = 0;
		long		ab = 0;
		int			mm;

		for (mm = m - 15; mm < m; mm++)
		{
			l += live_min[mm];
			ab += aband_min[mm];
		}
		if (l > 0 && (double) ab / l > res->abandon_worst15)
			res->abandon_worst15 = (double) ab / l;

	}
	/* the day's share had the list run out at the end of any minute */
	res->abandon_so_far = 0.0;
	{
		long		l = 0;
		long		ab = 0;

		for (m = 0; m <= MINUTES; m++)
		{
			l += live_min[m];
			ab += aband_min[m];
			if (l > 0 && (double) ab / l > res->abandon_so_far)
				res->abandon_so_far = (double) ab / l;
		}
	}
	res->utilisation = talk_total / (set->agents * DAY_S);
	res->connects_per_agent_hour = connects / (set->agents * DAY_S / 3600.0);
	res->lines_per_agent = line_seconds / DAY_S / set->agents;
}

static void
row(const Setting *set, int *violations, int *below, int *out_of_reach)
{
	Result		prog = {0};
	Result		pred = {0};
	double		ratio;
	double		ceiling;
	double		talk_s = set->talk_min * 60.0;

	run(set, 0, &prog);
	run(set, 1, &pred);
	ratio = prog.connects_per_agent_hour > 0 ? pred.connects_per_agent_hour / prog.connects_per_agent_hour : 0;

	/*
	 * No pacing gives more than this: agents talking all the time but for
	 * their wrap-up, against progressive's utilisation.
	 */
	ceiling = prog.utilisation > 0 ? talk_s / (talk_s + WRAP_MEAN_S) / prog.utilisation : 0;
	printf("| %3d | %2.0f %% | %2.0f %% | %.0f | %5.1f | %4.1f %% | %4.1f | %4.2f %% | %4.2f %% | %4.2f %% | %4.1f %% | %5.1f | %4.2f | %.2fx | %.2fx |\n",
		   set->agents, set->live * 100, set->machine * 100, set->talk_min,
		   prog.connects_per_agent_hour, prog.utilisation * 100,
		   (double) pred.lines_per_agent,
		   pred.abandon_day * 100, pred.abandon_so_far * 100, pred.abandon_worst15 * 100,
		   pred.utilisation * 100,
		   pred.connects_per_agent_hour, (double) pred.placed / (prog.placed ? prog.placed : 1), ratio,
		   ceiling);
	fflush(stdout);
	if (pred.abandon_day > PACING_CAP_DAY || pred.abandon_so_far > PACING_CAP_DAY ||
		pred.abandon_worst15 > PACING_CAP_WINDOW)
		(*violations)++;
	if (set->live <= 0.25 && ratio < 1.6)
	{
		(*below)++;
		if (ceiling < 1.6)
			(*out_of_reach)++;
	}
}

int
main(int argc, char **argv)
{
	static const int agents_full[] = {20, 50, 200};
	static const int agents_quick[] = {20, 200};
	static const double lives[] = {0.10, 0.15, 0.25, 0.40};
	static const double machines[] = {0.10, 0.30};
	static const double talks_full[] = {1, 3, 6};
	static const double talks_quick[] = {1, 3};
	const int  *agents = agents_full;
	const double *talks = talks_full;
	int			nagents = 3;
	int			ntalks = 3;
	int			violations = 0;
	int			below = 0;
	int			out_of_reach = 0;
	int			rows = 0;
	uint64_t	seed = 1;
	int			i, j, k, l;

	printf("| agents | live | machine | talk min | progressive connects/agent-h | progressive utilisation | "
		   "predictive lines/agent | abandoned day | worst day so far | worst 15 min | predictive utilisation | "
		   "predictive connects/agent-h | calls placed vs progressive | connects ratio | ceiling |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	if (argc == 7 && strcmp(argv[1], "-s") == 0)
	{
		Setting		s;

		s.seed = strtoull(argv[2], NULL, 10);
		s.agents = atoi(argv[3]);
		s.live = atof(argv[4]) / 100.0;
		s.machine = atof(argv[5]) / 100.0;
		s.talk_min = atof(argv[6]);
		if (s.agents < 1 || s.live <= 0 || s.live + s.machine + BUSY_SHARE > 1.0 / 1.25 + 0.2 || s.talk_min <= 0)
		{
			fprintf(stderr, "dialer_sim: bad setting\n");
			return 2;
		}
		row(&s, &violations, &below, &out_of_reach);
		rows = 1;
	}
	else
	{
		for (i = 1; i < argc; i++)
		{
			if (strcmp(argv[i], "-q") == 0)
			{
				agents = agents_quick;
				talks = talks_quick;
				nagents = 2;
				ntalks = 2;
			}
			else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
				seed = strtoull(argv[++i], NULL, 10);
			else
			{
				fprintf(stderr, "usage: dialer_sim [-q] [-b FIRST_SEED] | -s SEED AGENTS LIVE%% MACHINE%% TALK_MIN\n");
				return 2;
			}
		}
		for (i = 0; i < nagents; i++)
			for (j = 0; j < 4; j++)
				for (k = 0; k < 2; k++)
					for (l = 0; l < ntalks; l++)
					{
						Setting		s = {agents[i], lives[j], machines[k], talks[l], seed++};

						row(&s, &violations, &below, &out_of_reach);
						rows++;
					}
	}
	printf("\n%d settings; abandonment above a cap (3 %% a day or at any minute of it, 5 %% in 15 minutes): %d; "
		   "live rate <= 25 %% with predictive below 1.6x: %d, of which %d with a ceiling below 1.6x\n",
		   rows, violations, below, out_of_reach);
	return 0;
}
