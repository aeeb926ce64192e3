/* credit_rating.c: placeholder until the type lands */
extern int bankcrm_credit_rating_unused;
