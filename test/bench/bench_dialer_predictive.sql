-- test/bench/bench_dialer_predictive.sql: the dialer worker, progressive
-- against predictive, on the same calls through the AMI simulator
-- (test/bench/run dialer_predictive).  The work is done by
-- test/bench/bench_dialer_predictive.py.  Takes a few minutes.
\! python3 test/bench/bench_dialer_predictive.py --dbname bankcrm_bench --calls 300 --agents 10
