-- test/bench/bench_dialer.sql: the outbound dialer against the AMI simulator
-- on loopback (test/bench/run dialer).  The work is done by
-- test/bench/bench_dialer.py: throughput of one worker with every outcome
-- recorded, latency from due to Originate on the wire, worker memory over
-- 100 000 calls.  Takes a few minutes.
\! python3 test/bench/bench_dialer.py --dbname bankcrm_bench --calls 100000
