import { defineConfig } from 'drizzle-kit';

/** Migrations are generated from lib/db/schema into drizzle/ and applied in order by `npm run migrate`. */
export default defineConfig({
  dialect: 'mysql',
  schema: './lib/db/schema/index.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/buffer_local' },
});
