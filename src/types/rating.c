/* rating.c: placeholder until the type lands */
extern int bankcrm_rating_unused;
