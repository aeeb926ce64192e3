-- test/bench/bench_dialer_wake.sql: due-to-Originate latency of attempts
-- queued one at a time and due now, with the commit waking the dialer
-- worker and with the wake-up triggers off (the worker's poll interval
-- alone); test/bench/run dialer_wake.  Takes about a minute.
\! python3 test/bench/bench_dialer.py --dbname bankcrm_bench --only-wake --wake-calls 300
