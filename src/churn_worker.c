/* churn_worker.c: filled in by its module */
extern int bankcrm_churn_worker_unused;
