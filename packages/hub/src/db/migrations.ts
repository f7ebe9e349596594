/**
 * Versioned schema migrations (SQLite SQL, run by sqlite.ts), applied in order at start. `PRAGMA
 * user_version` records the last one applied. Append new migrations; never edit one that has shipped.
 * Every time column is INTEGER epoch milliseconds (docs/database.md); name it `*_at` or `at`.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
  /**
   * The migration rebuilds a table other tables refer to (create, copy, drop, rename): foreign keys
   * are switched off around it, so dropping the old table cascades to nothing, and checked before
   * it commits (SQLite's documented procedure for schema changes ALTER TABLE cannot make).
   */
  readonly rebuildsTables?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users, local accounts and sessions',
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        admin         INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        last_activity TEXT,
        auth_state    TEXT
      );
      CREATE TABLE accounts (
        username      TEXT PRIMARY KEY,
        password_hash TEXT,
        status        TEXT NOT NULL CHECK (status IN ('active', 'pending')),
        created_at    TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id_hash      TEXT PRIMARY KEY,
        username     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE,
        data         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(username);
    `,
  },
  {
    version: 2,
    description: 'servers, port claims and API tokens',
    sql: `
      CREATE TABLE servers (
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name          TEXT NOT NULL DEFAULT '',
        status        TEXT NOT NULL CHECK (status IN ('pending', 'running', 'stopping')),
        host          TEXT,
        port          INTEGER UNIQUE,
        credential    TEXT,
        state         TEXT NOT NULL DEFAULT '{}',
        started_at    TEXT NOT NULL,
        last_activity TEXT,
        PRIMARY KEY (user_id, name)
      );
      CREATE TABLE ports (
        port       INTEGER PRIMARY KEY,
        owner      TEXT NOT NULL,
        claimed_at TEXT NOT NULL
      );
      CREATE TABLE tokens (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        prefix        TEXT NOT NULL,
        hash          TEXT NOT NULL UNIQUE,
        scopes        TEXT NOT NULL,
        note          TEXT,
        server_name   TEXT,
        created_at    TEXT NOT NULL,
        expires_at    TEXT,
        last_activity TEXT
      );
      CREATE INDEX tokens_by_user ON tokens(user_id);
    `,
  },
  {
    version: 3,
    description: 'persistent login throttling',
    sql: `
      CREATE TABLE login_failures (
        key TEXT NOT NULL,
        at  INTEGER NOT NULL
      );
      CREATE INDEX login_failures_by_key ON login_failures(key, at);
    `,
  },
  {
    version: 4,
    description: 'server credentials sealed for the proxy, user data, OAuth clients and codes',
    sql: `
      ALTER TABLE servers ADD COLUMN sealed_token TEXT;
      ALTER TABLE users ADD COLUMN user_data TEXT;
      CREATE TABLE oauth_clients (
        id           TEXT PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        server_name  TEXT NOT NULL DEFAULT '',
        secret_hash  TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at   TEXT NOT NULL
      );
      CREATE TABLE oauth_codes (
        code_hash    TEXT PRIMARY KEY,
        client_id    TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        redirect_uri TEXT NOT NULL,
        expires_at   INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'second factor (TOTP secrets, recovery codes, pending logins) and auth_request cookies',
    sql: `
      CREATE TABLE totp_secrets (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret TEXT NOT NULL,
        confirmed_at  TEXT,
        last_step     INTEGER
      );
      CREATE TABLE totp_recovery_codes (
        id      INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        hash    TEXT NOT NULL,
        used_at TEXT
      );
      CREATE INDEX totp_recovery_codes_by_user ON totp_recovery_codes(user_id);
      CREATE TABLE pending_logins (
        id_hash    TEXT PRIMARY KEY,
        username   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE ON UPDATE CASCADE,
        next       TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE auth_cookies (
        id_hash      TEXT PRIMARY KEY,
        session_hash TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE
      );
      CREATE INDEX auth_cookies_by_session ON auth_cookies(session_hash);
    `,
  },
  {
    version: 6,
    description: 'user ids are never reused (AUTOINCREMENT)',
    // A deleted user's id handed to the next new user lets anything still holding the old id (a
    // running hub whose user was deleted by the CLI, a batched write) act on the new user's rows.
    rebuildsTables: true,
    sql: `
      CREATE TABLE users_rebuilt (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        admin         INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        last_activity TEXT,
        auth_state    TEXT,
        user_data     TEXT
      );
      INSERT INTO users_rebuilt (id, name, admin, created_at, last_activity, auth_state, user_data)
        SELECT id, name, admin, created_at, last_activity, auth_state, user_data FROM users;
      DROP TABLE users;
      ALTER TABLE users_rebuilt RENAME TO users;
    `,
  },
  {
    version: 7,
    description: 'times as epoch milliseconds in every table',
    // Until now some time columns held ISO-8601 text and others epoch ms. A TEXT column would turn an
    // integer back into text, so each table with a text time is rebuilt with INTEGER time columns.
    rebuildsTables: true,
    sql: `
      CREATE TABLE users_rebuilt (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        admin         INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        last_activity INTEGER,
        auth_state    TEXT,
        user_data     TEXT
      );
      INSERT INTO users_rebuilt (id, name, admin, created_at, last_activity, auth_state, user_data)
        SELECT id, name, admin, ${epochMs('created_at')}, ${epochMs('last_activity')}, auth_state, user_data FROM users;
      -- A deleted user's id stays unused: the rebuilt table continues the old one's sequence.
      DELETE FROM sqlite_sequence WHERE name = 'users_rebuilt';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'users_rebuilt', seq FROM sqlite_sequence WHERE name = 'users';
      DROP TABLE users;
      ALTER TABLE users_rebuilt RENAME TO users;

      CREATE TABLE accounts_rebuilt (
        username      TEXT PRIMARY KEY,
        password_hash TEXT,
        status        TEXT NOT NULL CHECK (status IN ('active', 'pending')),
        created_at    INTEGER NOT NULL
      );
      INSERT INTO accounts_rebuilt (username, password_hash, status, created_at)
        SELECT username, password_hash, status, ${epochMs('created_at')} FROM accounts;
      DROP TABLE accounts;
      ALTER TABLE accounts_rebuilt RENAME TO accounts;

      CREATE TABLE servers_rebuilt (
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name          TEXT NOT NULL DEFAULT '',
        status        TEXT NOT NULL CHECK (status IN ('pending', 'running', 'stopping')),
        host          TEXT,
        port          INTEGER UNIQUE,
        credential    TEXT,
        state         TEXT NOT NULL DEFAULT '{}',
        started_at    INTEGER NOT NULL,
        last_activity INTEGER,
        sealed_token  TEXT,
        PRIMARY KEY (user_id, name)
      );
      INSERT INTO servers_rebuilt (user_id, name, status, host, port, credential, state, started_at, last_activity, sealed_token)
        SELECT user_id, name, status, host, port, credential, state, ${epochMs('started_at')}, ${epochMs('last_activity')}, sealed_token FROM servers;
      DROP TABLE servers;
      ALTER TABLE servers_rebuilt RENAME TO servers;

      CREATE TABLE ports_rebuilt (
        port       INTEGER PRIMARY KEY,
        owner      TEXT NOT NULL,
        claimed_at INTEGER NOT NULL
      );
      INSERT INTO ports_rebuilt (port, owner, claimed_at) SELECT port, owner, ${epochMs('claimed_at')} FROM ports;
      DROP TABLE ports;
      ALTER TABLE ports_rebuilt RENAME TO ports;

      CREATE TABLE tokens_rebuilt (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        prefix        TEXT NOT NULL,
        hash          TEXT NOT NULL UNIQUE,
        scopes        TEXT NOT NULL,
        note          TEXT,
        server_name   TEXT,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER,
        last_activity INTEGER
      );
      INSERT INTO tokens_rebuilt (id, user_id, kind, prefix, hash, scopes, note, server_name, created_at, expires_at, last_activity)
        SELECT id, user_id, kind, prefix, hash, scopes, note, server_name,
               ${epochMs('created_at')}, ${epochMs('expires_at')}, ${epochMs('last_activity')} FROM tokens;
      DROP TABLE tokens;
      ALTER TABLE tokens_rebuilt RENAME TO tokens;
      CREATE INDEX tokens_by_user ON tokens(user_id);

      CREATE TABLE oauth_clients_rebuilt (
        id           TEXT PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        server_name  TEXT NOT NULL DEFAULT '',
        secret_hash  TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at   INTEGER NOT NULL
      );
      INSERT INTO oauth_clients_rebuilt (id, user_id, server_name, secret_hash, redirect_uri, created_at)
        SELECT id, user_id, server_name, secret_hash, redirect_uri, ${epochMs('created_at')} FROM oauth_clients;
      DROP TABLE oauth_clients;
      ALTER TABLE oauth_clients_rebuilt RENAME TO oauth_clients;

      CREATE TABLE totp_secrets_rebuilt (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret TEXT NOT NULL,
        confirmed_at  INTEGER,
        last_step     INTEGER
      );
      INSERT INTO totp_secrets_rebuilt (user_id, sealed_secret, confirmed_at, last_step)
        SELECT user_id, sealed_secret, ${epochMs('confirmed_at')}, last_step FROM totp_secrets;
      DROP TABLE totp_secrets;
      ALTER TABLE totp_secrets_rebuilt RENAME TO totp_secrets;

      CREATE TABLE totp_recovery_codes_rebuilt (
        id      INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        hash    TEXT NOT NULL,
        used_at INTEGER
      );
      INSERT INTO totp_recovery_codes_rebuilt (id, user_id, hash, used_at)
        SELECT id, user_id, hash, ${epochMs('used_at')} FROM totp_recovery_codes;
      DROP TABLE totp_recovery_codes;
      ALTER TABLE totp_recovery_codes_rebuilt RENAME TO totp_recovery_codes;
      CREATE INDEX totp_recovery_codes_by_user ON totp_recovery_codes(user_id);
    `,
  },
  {
    version: 8,
    description: 'named servers: stopped records and user options; ports claimed per (host, port)',
    // Servers on different hosts may share a port number; a named server's record outlives its stop.
    rebuildsTables: true,
    sql: `
      CREATE TABLE servers_rebuilt (
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name          TEXT NOT NULL DEFAULT '',
        status        TEXT NOT NULL CHECK (status IN ('stopped', 'pending', 'running', 'stopping')),
        host          TEXT,
        port          INTEGER,
        credential    TEXT,
        state         TEXT NOT NULL DEFAULT '{}',
        started_at    INTEGER NOT NULL,
        last_activity INTEGER,
        sealed_token  TEXT,
        user_options  TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (user_id, name),
        UNIQUE (host, port)
      );
      INSERT INTO servers_rebuilt (user_id, name, status, host, port, credential, state, started_at, last_activity, sealed_token)
        SELECT user_id, name, status, host, port, credential, state, started_at, last_activity, sealed_token FROM servers;
      DROP TABLE servers;
      ALTER TABLE servers_rebuilt RENAME TO servers;
      CREATE TABLE ports_rebuilt (
        host       TEXT NOT NULL,
        port       INTEGER NOT NULL,
        owner      TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        PRIMARY KEY (host, port)
      );
      INSERT INTO ports_rebuilt (host, port, owner, claimed_at)
        SELECT COALESCE((SELECT s.host FROM servers s WHERE s.port = p.port), '127.0.0.1'), p.port, p.owner, p.claimed_at FROM ports p;
      DROP TABLE ports;
      ALTER TABLE ports_rebuilt RENAME TO ports;
    `,
  },
  {
    version: 9,
    description: 'groups, their members, and each user\'s last spawn options',
    sql: `
      CREATE TABLE groups (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE group_members (
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE INDEX group_members_by_user ON group_members(user_id);
      CREATE TABLE spawn_choices (
        user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        options    TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];

/**
 * SQL for an ISO-8601 text time as epoch milliseconds, exact to the millisecond (`%f` is "SS.SSS");
 * NULL stays NULL, and so does text that is not a time (a NOT NULL column then stops the migration).
 */
function epochMs(column: string): string {
  return `(CAST(strftime('%s', ${column}) AS INTEGER) * 1000 + CAST(substr(strftime('%f', ${column}), 4) AS INTEGER))`;
}
