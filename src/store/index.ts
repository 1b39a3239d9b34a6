export { openStore, StoreOptions, type Store } from './open-store.js';
export { NewEvent, eventHash, type StoredEvent, type EventFilter, type HashedFields } from './events.js';
export { ExperimentSnapshot, type ExperimentFilter, type ExperimentSnapshots } from './experiments.js';
export type { Settings } from './settings.js';
export { ScheduleRun, type ScheduleRuns } from './schedule-runs.js';
export type { SeenRequests } from './seen-requests.js';
export type { AuditVerdict, AuditFailure } from './audit-verify.js';
export { MIGRATIONS, GENESIS_HASH, runMigrations, currentVersion, type Migration, type MigrationResult } from './migrations.js';
export { canonicalJson } from '../core/canonical-json.js';
