CREATE TABLE `rectifier_leases` (
	`gateway` varchar(255) NOT NULL,
	`holder` char(36) NOT NULL,
	`expires_at` datetime NOT NULL,
	CONSTRAINT `rectifier_leases_gateway` PRIMARY KEY(`gateway`)
);
