/* fsm.c: filled in by its module */
extern int bankcrm_fsm_unused;
