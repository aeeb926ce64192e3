/* phone.c: placeholder until the type lands */
extern int bankcrm_phone_unused;
