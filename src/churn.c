/* churn.c: filled in by its module */
extern int bankcrm_churn_unused;
