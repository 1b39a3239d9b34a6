/**
 * The one door the store's tables go through, so the same statements run on SQLite (the embedded
 * default) and on PostgreSQL (`store.url`). Statements use `?` placeholders; an implementation turns
 * them into its own. Everything is synchronous, as the store's API is.
 */
export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlDb {
  readonly dialect: SqlDialect;
  /** Where the data is, for messages: the file, or the URL without its password. */
  readonly where: string;
  all<R>(sql: string, params?: readonly unknown[]): R[];
  get<R>(sql: string, params?: readonly unknown[]): R | undefined;
  run(sql: string, params?: readonly unknown[]): { changes: number };
  /** Several statements without parameters (migrations). */
  exec(script: string): void;
  /**
   * Runs `fn` atomically: committed when it returns, rolled back when it throws. Nested calls are
   * savepoints: an inner failure the caller catches undoes only the inner writes.
   */
  transaction<T>(fn: () => T): T;
  /** Runs `fn` over one consistent read snapshot: writes by others, committed meanwhile, stay unseen. */
  snapshot<T>(fn: () => T): T;
  close(): void;
  readonly open: boolean;
}

/** `?, ?, ?` for an IN list of `n` values (at least one: `IN ()` is not SQL). */
export function placeholders(n: number): string {
  if (n < 1) throw new RangeError('an IN list needs at least one value');
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * `?` placeholders as PostgreSQL's `$1, $2, …`, leaving string literals, quoted identifiers and
 * comments alone (a `?` inside them is text, not a parameter).
 */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i, ch);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length - 1 : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i++;
      else return i;
    }
  }
  return sql.length - 1;
}

/** A URL fit for messages and logs: the password replaced. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable database URL)';
  }
}
