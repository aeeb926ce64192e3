/* e164.c: placeholder until the type lands */
extern int bankcrm_e164_unused;
