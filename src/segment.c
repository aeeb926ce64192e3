/* segment.c: filled in by its module */
extern int bankcrm_segment_unused;
