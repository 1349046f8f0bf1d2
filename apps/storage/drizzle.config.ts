// drizzle-kit's configuration: `npm run db:generate` diffs src/database/schema.ts against the committed migrations
// and writes the next one. drizzle-kit cannot open the encrypted database, so migrations are applied by the storage
// service itself at start (docs/architecture.md §6).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './apps/storage/src/database/schema.ts',
  out: './apps/storage/src/database/migrations',
});
