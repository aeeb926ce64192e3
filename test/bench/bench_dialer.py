#!/usr/bin/env python3
"""test/bench/bench_dialer.py: the dialer worker against the AMI simulator on
loopback (run by test/bench/bench_dialer.sql, or alone against any cluster
with bankcrm preloaded: PGHOST/PGPORT/PGUSER and --dbname).

Three phases, each printed as a table row:
  throughput  N attempts all due at once; originates per second from the first
              to the last Originate, and calls completed (outcome recorded,
              contact written, lead event fired) per second;
  latency     attempts becoming due at a steady rate below capacity; p50/p99
              of sent_at - due_at (due to Originate written to the socket);
  memory      the worker's RSS (VmRSS) sampled while it works through the
              calls: first sample, largest, last;
  wake        attempts queued one at a time, due now, each in its own
              transaction (20-80 ms apart): p50/p99 of sent_at - due_at
              with the commit waking the worker, and with the wake-up
              triggers off in the queuing session (session_replication_role
              = replica), which leaves the worker to its poll interval.

The simulator answers with zero ring and talk time; outcomes are mixed by
the last digit of the numbers (answer, busy, noanswer, congestion,
nonexistent, invalid).
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def rss_kb(pid):
    """(RssAnon, VmRSS) in kB: the worker's private memory, and its resident
    set including the shared buffers it touched"""
    vals = {}
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                key = line.split(":")[0]
                if key in ("RssAnon", "VmRSS"):
                    vals[key] = int(line.split()[1])
    except OSError:
        return None
    if "RssAnon" not in vals or "VmRSS" not in vals:
        return None
    return (vals["RssAnon"], vals["VmRSS"])


def start_sim():
    p = subprocess.Popen([sys.executable, "-u", os.path.join(TOP, "test/ami_sim/ami_sim.py"), "--port", "0",
                          "--ring-ms", "0", "--talk-ms", "0"],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("LISTENING"):
        raise SystemExit("the simulator did not start")
    return p, int(line.split()[1])


def setup(db, port, parties, agents):
    psql(db, "DROP SCHEMA IF EXISTS dialer_bench CASCADE")
    psql(db, f"""
SET search_path = bankcrm;
TRUNCATE call_attempt, dialer_state, dialer_agent, dial_retry_rule CASCADE;
DELETE FROM dial_settings; DELETE FROM pbx;
INSERT INTO region (region_code, name, province) VALUES ('CN-BN', 'Bench', 'Bench') ON CONFLICT DO NOTHING;
INSERT INTO branch (branch_id, code, name, region_code) VALUES (9001, 'BENCH', 'Bench', 'CN-BN') ON CONFLICT DO NOTHING;
INSERT INTO staff (staff_id, name, role_kind, branch_id)
SELECT 100000 + g, 'Bench agent ' || g, 'agent', 9001 FROM generate_series(1, {agents}) g ON CONFLICT DO NOTHING;
INSERT INTO party (party_id, kind, name, region_code, consent_marketing)
SELECT 10000000 + g, 'individual', 'Bench ' || g, 'CN-BN', true FROM generate_series(1, {parties}) g ON CONFLICT DO NOTHING;
INSERT INTO party_phone (party_id, phone, is_primary)
SELECT 10000000 + g, ('+86139' || lpad(g::text, 8, '0'))::phone, true FROM generate_series(1, {parties}) g ON CONFLICT DO NOTHING;
INSERT INTO product (product_id, code, name, category) VALUES (9001, 'BENCH', 'Bench', 'card') ON CONFLICT DO NOTHING;
INSERT INTO campaign (campaign_id, name, product_id) VALUES (9001, 'Bench', 9001) ON CONFLICT DO NOTHING;
SELECT fsm_fire('bankcrm.campaign', 9001, e) FROM unnest(ARRAY['approve', 'launch']) e
 WHERE (SELECT state FROM campaign WHERE campaign_id = 9001) = 'draft';
INSERT INTO pbx (pbx_id, name, host, port, username, secret, max_channels, max_cps)
VALUES (9001, 'bench', '127.0.0.1', {port}, 'crm', 'crmsecret', 4000, 100000);
INSERT INTO dial_settings (campaign_id, pbx_id, max_concurrent, dial_timeout_ms, window_start, window_end, call_days, skip_holidays)
VALUES (9001, 9001, 4000, 1000, '00:00', '23:59:59.999999', '{{1,2,3,4,5,6,7}}', false);
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state)
SELECT 100000 + g, 9001, (100000 + g)::text, 'ready' FROM generate_series(1, {agents}) g;
""")


def queue(db, first, n, spread_s):
    """n attempts for parties first..first+n-1, due over spread_s seconds from now + 1 s"""
    psql(db, f"""
INSERT INTO bankcrm.call_attempt (campaign_id, party_id, phone, pbx_id, mode, due_at)
SELECT 9001, 10000000 + g, ('+86139' || lpad(g::text, 8, '0'))::bankcrm.phone, 9001, 'progressive',
       now() + interval '1 second' + (g - {first}) * interval '1 second' * {spread_s} / {n}
  FROM generate_series({first}, {first + n - 1}) g""")


def wake_phase(db, first, n):
    """n single enqueues due now, with the wake-up triggers and without"""
    import random
    rng = random.Random(15)
    rows = []
    for label, prefix, start in (("woken by the commit", "", first),
                                 ("poll only (triggers off)", "SET session_replication_role = replica; ", first + n)):
        for g in range(start, start + n):
            psql(db, prefix + f"""
INSERT INTO bankcrm.call_attempt (campaign_id, party_id, phone, pbx_id, mode, due_at)
VALUES (9001, {10000000 + g}, ('+86139' || lpad('{g}', 8, '0'))::bankcrm.phone, 9001, 'progressive', now())""")
            time.sleep(rng.uniform(0.02, 0.08))
        deadline = time.time() + 60
        while time.time() < deadline:
            left = psql(db, f"""SELECT count(*) FROM bankcrm.call_attempt
 WHERE party_id BETWEEN {10000000 + start} AND {10000000 + start + n - 1} AND sent_at IS NULL""")
            if left == "0":
                break
            time.sleep(0.2)
        lat = psql(db, f"""
SELECT round(1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_at - due_at))::numeric, 1),
       round(1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_at - due_at))::numeric, 1)
  FROM bankcrm.call_attempt WHERE party_id BETWEEN {10000000 + start} AND {10000000 + start + n - 1}""").split("|")
        rows.append((label, lat))
    print()
    print("| wake ({} single enqueues, due now) | due to Originate p50 ms | p99 ms |".format(n))
    print("|---|---:|---:|")
    for label, lat in rows:
        print(f"| {label} | {lat[0]} | {lat[1]} |")
    if rows[0][1][0] and rows[1][1][0] and float(rows[0][1][0]) > 0:
        print(f"| ratio poll / woken, p50 | {float(rows[1][1][0]) / float(rows[0][1][0]):.1f} | |")


def wait_done(db, n_total, pid, samples, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = int(psql(db, "SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 9001 AND state = 'done'"))
        r = rss_kb(pid)
        if r:
            samples.append((done, r))
        if done >= n_total:
            return True
        time.sleep(1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dbname", default=os.environ.get("PGDATABASE", "bankcrm_bench"))
    ap.add_argument("--calls", type=int, default=100000)
    ap.add_argument("--latency-calls", type=int, default=5000)
    ap.add_argument("--latency-rate", type=int, default=250)
    ap.add_argument("--wake-calls", type=int, default=300)
    ap.add_argument("--only-wake", action="store_true", help="only the wake phase")
    args = ap.parse_args()
    if args.only_wake:
        args.calls = 0
        args.latency_calls = 0
    db = args.dbname
    sim, port = start_sim()
    try:
        parties = args.calls + args.latency_calls + 2 * args.wake_calls
        setup(db, port, parties, 4000)
        pid = psql(db, "SELECT bankcrm.dialer_launch(9001)")
        t0 = time.time()
        while psql(db, "SELECT state FROM bankcrm.dialer_status WHERE pbx_id = 9001") != "ready":
            if time.time() - t0 > 30:
                raise SystemExit("the worker did not connect")
            time.sleep(0.2)

        if args.only_wake:
            wake_phase(db, 1, args.wake_calls)
            psql(db, "SELECT bankcrm.dialer_stop(9001)")
            return

        # throughput: everything due at once
        samples = []
        queue(db, 1, args.calls, 0)
        ok = wait_done(db, args.calls, pid, samples, 1800)
        row = psql(db, """
SELECT count(*), round(count(*) / extract(epoch FROM max(sent_at) - min(sent_at))),
       round(count(*) / extract(epoch FROM max(ended_at) - min(sent_at))),
       string_agg(DISTINCT outcome, ',' ORDER BY outcome)
  FROM bankcrm.call_attempt WHERE campaign_id = 9001 AND state = 'done'""").split("|")
        contacts = psql(db, "SELECT count(*) FROM bankcrm.call_attempt WHERE campaign_id = 9001 AND contact_id IS NOT NULL")

        # latency: due at a steady rate below capacity
        before = int(row[0])
        spread = args.latency_calls / args.latency_rate
        queue(db, args.calls + 1, args.latency_calls, spread)
        wait_done(db, before + args.latency_calls, pid, [], 600)
        lat = psql(db, f"""
SELECT round(1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_at - due_at))::numeric, 1),
       round(1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_at - due_at))::numeric, 1)
  FROM bankcrm.call_attempt WHERE campaign_id = 9001 AND party_id > 10000000 + {args.calls}""").split("|")

        print()
        print("| phase | measure | value |")
        print("|---|---|---|")
        print(f"| throughput | attempts finished ({'all' if ok else 'TIMED OUT'}) | {row[0]} of {args.calls} |")
        print(f"| throughput | originates per second (first to last Originate) | {row[1]} |")
        print(f"| throughput | calls recorded per second (outcome, contact, lead event) | {row[2]} |")
        print(f"| throughput | ratio to the 500/s target | {int(row[1]) / 500:.2f} |")
        print(f"| throughput | outcomes seen | {row[3]} |")
        print(f"| throughput | contact rows written | {contacts} |")
        print(f"| latency ({args.latency_rate}/s due) | due to Originate on the wire, p50 ms | {lat[0]} |")
        print(f"| latency ({args.latency_rate}/s due) | due to Originate on the wire, p99 ms | {lat[1]} |")
        if samples:
            # from the first sample after 1 000 calls (caches warm) to the end
            warm = [x for x in samples if x[0] >= 1000] or samples
            first = warm[0]
            peak = max(warm, key=lambda x: x[1][0])
            last = warm[-1]
            print(f"| memory | worker private memory (RssAnon) at {first[0]} calls, kB | {first[1][0]} |")
            print(f"| memory | worker private memory peak (at {peak[0]} calls), kB | {peak[1][0]} |")
            print(f"| memory | worker private memory at {last[0]} calls, kB | {last[1][0]} |")
            print(f"| memory | worker VmRSS (with shared buffers touched) first / last, kB | {first[1][1]} / {last[1][1]} |")
        wake_phase(db, args.calls + args.latency_calls + 1, args.wake_calls)
        psql(db, "SELECT bankcrm.dialer_stop(9001)")
    finally:
        sim.terminate()
        sim.wait(timeout=10)


if __name__ == "__main__":
    main()
