/* score.c: filled in by its module */
extern int bankcrm_score_unused;
