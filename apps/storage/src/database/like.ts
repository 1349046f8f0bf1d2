import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `column LIKE '%text%'` with the text taken literally (ASCII case-insensitive, as LIKE is). */
export const containsText = (column: SQLiteColumn, text: string): SQL => sql`${column} LIKE ${`%${escapeLike(text)}%`} ESCAPE '\\'`;

/** `column LIKE 'text%'` with the text taken literally. */
export const startsWithText = (column: SQLiteColumn, text: string): SQL => sql`${column} LIKE ${`${escapeLike(text)}%`} ESCAPE '\\'`;
