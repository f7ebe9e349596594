/**
 * Versioned schema migrations, applied in order at start. `PRAGMA user_version` records the last
 * one applied. Append new migrations; never edit one that has shipped.
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
