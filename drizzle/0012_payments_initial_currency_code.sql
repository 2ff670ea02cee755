ALTER TABLE `payments_initial` CHANGE COLUMN `currency` `currency_code` varchar(3);
