import { FaultlineError, wrapError } from '../core/errors.js';

/** Throws `store_error` if the connection has been closed. */
export function assertOpen(db: { readonly open: boolean }, path: string, op: string): void {
  if (!db.open) throw new FaultlineError('store_error', `store ${op} failed (${path}): store is closed`, { path, op });
}

/**
 * Runs one store operation, wrapping anything foreign (SQLite's or PostgreSQL's errors, JSON errors) as
 * `store_error` with the database path in the message. FaultlineErrors pass through unchanged.
 */
export function guard<T>(db: { readonly open: boolean }, path: string, op: string, fn: () => T): T {
  assertOpen(db, path, op);
  try {
    return fn();
  } catch (err) {
    throw wrapError('store_error', `store ${op} failed (${path})`, err, { path, op });
  }
}

/** Validates a `limit` filter: a non-negative integer, or undefined for no limit. */
export function sqlLimit(limit: number | undefined, path: string, op: string): number {
  if (limit === undefined) return -1;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new FaultlineError('store_error', `store ${op} failed (${path}): limit must be a non-negative integer, got ${limit}`, { path, op });
  }
  return limit;
}
