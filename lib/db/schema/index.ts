/** Every table of the project, for the Drizzle client and drizzle-kit. */
export * from './contribution-tracking';
export * from './contribution-tracking-log';
export * from './damaged';
export * from './pending';
export * from './impressions';
export * from './console-audit';
export * from './rectifier';
export * from './exchange-rates';
export * from './contribution-tracking-detail';
