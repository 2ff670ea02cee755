CREATE TABLE `exchange_rate` (
	`currency` char(3) NOT NULL,
	`rate_date` date NOT NULL,
	`units_per_eur` decimal(24,10) NOT NULL,
	CONSTRAINT `exchange_rate_currency_date` PRIMARY KEY(`currency`,`rate_date`)
);
