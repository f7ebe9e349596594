import type { UserOptions } from '../servers/server-repository.ts';
import type { Database } from './database.ts';
import { isoFromStored, isoFromStoredOrNull } from './stored-time.ts';
import type { UserRow } from './users.ts';

/**
 * The admin page's table as one query: one row per server — every user's default server (`''`,
 * recorded or not, so a user without any server still has a row to manage), then each recorded named
 * server — filtered, sorted and paged in SQL, so a hub with 10,000 users answers without loading them.
 * Plain SQL (LEFT JOIN, UNION ALL, LIKE, CASE): no engine's own functions (docs/database.md).
 */

export type ServerListingSort = 'user' | 'server' | 'status' | 'activity';
export type SortDirection = 'asc' | 'desc';
export type RecordedStatus = 'stopped' | 'pending' | 'running' | 'stopping';

export interface ServerListingQuery {
  /** Lower-case text that the user's name or the server's name contains ('' matches all). */
  readonly search: string;
  readonly sort: ServerListingSort;
  readonly direction: SortDirection;
  readonly offset: number;
  readonly limit: number;
}

export interface ServerListingRow {
  readonly user: UserRow;
  /** '' for the default server. */
  readonly serverName: string;
  /** As recorded ('stopped' for a default server without a record); the manager's state is the live one. */
  readonly status: RecordedStatus;
  readonly userOptions: UserOptions;
  /** The server's last activity (for the default server without any, the user's), ISO or null. */
  readonly lastActivity: string | null;
}

interface RawListing {
  user_id: number;
  username: string;
  admin: number;
  created_at: number;
  user_activity: number | null;
  server_name: string;
  status: RecordedStatus;
  user_options: string | null;
  last_activity: number | null;
}

const ROWS = `
  SELECT u.id AS user_id, u.name AS username, u.admin, u.created_at, u.last_activity AS user_activity, '' AS server_name,
         coalesce(s.status, 'stopped') AS status, s.user_options, coalesce(s.last_activity, u.last_activity) AS last_activity
    FROM users u LEFT JOIN servers s ON s.user_id = u.id AND s.name = ''
   WHERE lower(u.name) LIKE @pattern ESCAPE '\\'
  UNION ALL
  SELECT u.id, u.name, u.admin, u.created_at, u.last_activity, s.name, s.status, s.user_options, s.last_activity
    FROM servers s JOIN users u ON u.id = s.user_id
   WHERE s.name <> '' AND (lower(u.name) LIKE @pattern ESCAPE '\\' OR lower(s.name) LIKE @pattern ESCAPE '\\')`;

/** Running first when sorting by status ascending: what an admin looks for. */
const STATUS_RANK = "CASE status WHEN 'running' THEN 0 WHEN 'pending' THEN 1 WHEN 'stopping' THEN 2 ELSE 3 END";

function orderBy(sort: ServerListingSort, direction: SortDirection): string {
  const dir = direction === 'desc' ? 'DESC' : 'ASC';
  switch (sort) {
    case 'user':
      return `username ${dir}, server_name ${dir}`;
    case 'server':
      return `server_name ${dir}, username ${dir}`;
    case 'status':
      return `${STATUS_RANK} ${dir}, username, server_name`;
    case 'activity':
      // Never-active rows last either way.
      return `CASE WHEN last_activity IS NULL THEN 1 ELSE 0 END, last_activity ${dir}, username, server_name`;
  }
}

/** `text` as a LIKE pattern matching names that contain it. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toRow(raw: RawListing): ServerListingRow {
  return {
    user: {
      id: raw.user_id,
      name: raw.username,
      admin: raw.admin === 1,
      createdAt: isoFromStored(raw.created_at),
      lastActivity: isoFromStoredOrNull(raw.user_activity),
    },
    serverName: raw.server_name,
    status: raw.status,
    userOptions: raw.user_options === null ? {} : (JSON.parse(raw.user_options) as UserOptions),
    lastActivity: isoFromStoredOrNull(raw.last_activity),
  };
}

export class ServerListing {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** One page of rows. */
  page(query: ServerListingQuery): ServerListingRow[] {
    return this.#db
      .prepare<[{ pattern: string; limit: number; offset: number }], RawListing>(
        `SELECT * FROM (${ROWS}) AS listing ORDER BY ${orderBy(query.sort, query.direction)} LIMIT @limit OFFSET @offset`,
      )
      .all({ pattern: containsPattern(query.search), limit: query.limit, offset: query.offset })
      .map(toRow);
  }

  /** How many rows match `search` (for the pager). */
  count(search: string): number {
    return this.#db.prepare<[{ pattern: string }], { n: number }>(`SELECT count(*) AS n FROM (${ROWS}) AS listing`).get({ pattern: containsPattern(search) })?.n ?? 0;
  }

  /** Every row matching `search` whose recorded status is one of `statuses` (start all, stop all), by user and server. */
  matching(search: string, statuses: readonly RecordedStatus[]): ServerListingRow[] {
    const wanted = statuses.map((status) => `'${status}'`).join(', ');
    return this.#db
      .prepare<[{ pattern: string }], RawListing>(`SELECT * FROM (${ROWS}) AS listing WHERE status IN (${wanted}) ORDER BY username, server_name`)
      .all({ pattern: containsPattern(search) })
      .map(toRow);
  }
}
