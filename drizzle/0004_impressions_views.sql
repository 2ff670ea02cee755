-- Views for analysts. The tables keep their legacy names and columns, so existing queries run
-- unchanged against them; these views give the same numbers with the dimension ids resolved,
-- for queries written against the legacy log-file era's denormalised exports (country,
-- language and project as codes, one row per hour).
CREATE OR REPLACE VIEW `bannerimpressions_named` AS
SELECT bi.`id`, bi.`timestamp`, bi.`banner`, bi.`campaign`,
       p.`project` AS `project`, l.`iso_code` AS `language`, c.`iso_code` AS `country`, bi.`count`
FROM `bannerimpressions` bi
JOIN `project` p ON p.`id` = bi.`project_id`
JOIN `language` l ON l.`id` = bi.`language_id`
JOIN `country` c ON c.`id` = bi.`country_id`;
--> statement-breakpoint
CREATE OR REPLACE VIEW `bannerimpressions_hourly` AS
SELECT DATE_FORMAT(bi.`timestamp`, '%Y-%m-%d %H:00:00') AS `hour`, bi.`banner`, bi.`campaign`,
       p.`project` AS `project`, l.`iso_code` AS `language`, c.`iso_code` AS `country`, SUM(bi.`count`) AS `count`
FROM `bannerimpressions` bi
JOIN `project` p ON p.`id` = bi.`project_id`
JOIN `language` l ON l.`id` = bi.`language_id`
JOIN `country` c ON c.`id` = bi.`country_id`
GROUP BY DATE_FORMAT(bi.`timestamp`, '%Y-%m-%d %H:00:00'), bi.`banner`, bi.`campaign`, p.`project`, l.`iso_code`, c.`iso_code`;
