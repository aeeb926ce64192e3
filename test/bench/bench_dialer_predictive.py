#!/usr/bin/env python3
"""test/bench/bench_dialer_predictive.py: the dialer worker, progressive
against predictive, on the same calls through the AMI simulator (run by
test/bench/bench_dialer_predictive.sql, or alone against any cluster with
bankcrm preloaded: PGHOST/PGPORT/PGUSER and --dbname).

The same N numbers are dialed twice with the same agents, once by a
progressive campaign and once by a predictive one: the simulator rings each
1.5 to 3.3 s, its customers talk for --talk-ms, one in ten is an answering
machine, one in ten is busy, one in ten congested; in predictive mode the
simulator plays doc/dialer.md's dialplan (AMD, then the campaign queue for
2 s).  Per mode: the time to work through the list, live answers taken by an
agent per agent-minute, abandoned calls per live answer, the most calls in
flight, and the agents' time spent talking.  The ratio line is predictive
over progressive, measured in the same run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

OUTCOME = {0: "answer", 1: "answer", 2: "busy", 3: "answer", 4: "congestion",
           5: "answer", 6: "answer", 7: "answer", 8: "machine", 9: "answer"}


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def start_sim(n, talk_ms, script_path):
    numbers = {"139%08d" % g: {"outcome": OUTCOME[g % 10], "ring_ms": 1500 + 300 * (g % 7)}
               for g in range(1, 2 * n + 1)}
    with open(script_path, "w") as f:
        json.dump({"numbers": numbers}, f)
    p = subprocess.Popen([sys.executable, "-u", os.path.join(TOP, "test/ami_sim/ami_sim.py"), "--port", "0",
                          "--talk-ms", str(talk_ms), "--amd-ms", "300", "--script", script_path],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("LISTENING"):
        raise SystemExit("the simulator did not start")
    return p, int(line.split()[1])


def setup(db, port, parties, agents):
    psql(db, f"""
SET search_path = bankcrm;
SELECT dialer_stop(pbx_id) FROM pbx;
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
VALUES (9001, 'bench', '127.0.0.1', {port}, 'crm', 'crmsecret', 400, 200);
""")


def run(db, mode, first, n, agents):
    psql(db, f"""
SET search_path = bankcrm;
DELETE FROM dialer_agent; DELETE FROM dial_settings;
INSERT INTO dial_settings (campaign_id, pbx_id, mode, max_concurrent, dial_timeout_ms, window_start, window_end, call_days, skip_holidays)
VALUES (9001, 9001, '{mode}', {4 * agents}, 15000, '00:00', '23:59:59.999999', '{{1,2,3,4,5,6,7}}', false);
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state)
SELECT 100000 + g, 9001, (100000 + g)::text, 'ready' FROM generate_series(1, {agents}) g;
INSERT INTO call_attempt (campaign_id, party_id, phone, pbx_id, mode, due_at)
SELECT 9001, 10000000 + g, ('+86139' || lpad(g::text, 8, '0'))::phone, 9001, '{mode}', now()
  FROM generate_series({first}, {first + n - 1}) g;
""")
    t0 = time.time()
    psql(db, "SELECT bankcrm.dialer_launch(9001)")
    peak = 0
    while time.time() - t0 < 900:
        left, flying = psql(db, f"""SELECT count(*) FILTER (WHERE state IN ('queued', 'dialing')),
                                           count(*) FILTER (WHERE state = 'dialing')
  FROM bankcrm.call_attempt WHERE party_id BETWEEN {10000000 + first} AND {10000000 + first + n - 1}""").split("|")
        peak = max(peak, int(flying))
        if left == "0":
            break
        time.sleep(0.2)
    wall = time.time() - t0
    psql(db, "SELECT bankcrm.dialer_stop(9001)")
    row = psql(db, f"""
SELECT count(*) FILTER (WHERE outcome = 'answered'), count(*) FILTER (WHERE outcome = 'abandoned'),
       count(*) FILTER (WHERE outcome = 'machine'),
       coalesce(sum(extract(epoch FROM ended_at - coalesce(connected_at, answered_at))) FILTER (WHERE outcome = 'answered'), 0),
       extract(epoch FROM max(ended_at) - min(sent_at))
  FROM bankcrm.call_attempt WHERE party_id BETWEEN {10000000 + first} AND {10000000 + first + n - 1}""").split("|")
    answered, abandoned, machine = int(row[0]), int(row[1]), int(row[2])
    talk, span = float(row[3]), float(row[4] or wall)
    return {
        "mode": mode, "calls": n, "span_s": span, "answered": answered, "abandoned": abandoned,
        "machine": machine, "per_agent_min": answered / agents / (span / 60.0),
        "abandon_pct": 100.0 * abandoned / max(1, answered + abandoned), "peak": peak,
        "talk_pct": 100.0 * talk / (agents * span),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dbname", default="bankcrm_bench")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--talk-ms", type=int, default=8000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim, port = start_sim(args.calls, args.talk_ms, os.path.join(tmp, "script.json"))
        try:
            setup(args.dbname, port, 2 * args.calls, args.agents)
            rows = [run(args.dbname, "progressive", 1, args.calls, args.agents),
                    run(args.dbname, "predictive", args.calls + 1, args.calls, args.agents)]
        finally:
            sim.terminate()
            sim.wait()
    print(f"{args.calls} numbers, {args.agents} agents, rings 1.5-3.3 s, talk {args.talk_ms / 1000:g} s, "
          "10 % machines, 10 % busy, 10 % congested (AMI simulator)")
    print("| mode | time to work the list | answered | abandoned (of live) | machines | "
          "answered per agent-minute | agents talking | most calls in flight |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['span_s']:.0f} s | {r['answered']} | {r['abandoned']} ({r['abandon_pct']:.1f} %) | "
              f"{r['machine']} | {r['per_agent_min']:.2f} | {r['talk_pct']:.0f} % | {r['peak']} |")
    print(f"predictive / progressive: {rows[1]['per_agent_min'] / rows[0]['per_agent_min']:.2f}x answered per "
          f"agent-minute, {rows[0]['span_s'] / rows[1]['span_s']:.2f}x faster through the list")


if __name__ == "__main__":
    main()
