-- install: the extension's own objects, settings and catalogue footprint
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'bankcrm';
SHOW bankcrm.default_country_code;
SET bankcrm.default_country_code = 44;
SHOW bankcrm.default_country_code;
RESET bankcrm.default_country_code;
-- an unassigned country code is refused when set
SET bankcrm.default_country_code = 999;
SET bankcrm.default_country_code = 0;
-- the prefix is reserved: a misspelt setting is refused
SET bankcrm.no_such_setting = 1;
