/* campaign.c: filled in by its module */
extern int bankcrm_campaign_unused;
