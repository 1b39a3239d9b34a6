import { openStore } from '../store/index.js';
import { readConfig, storeOptions } from './config.js';

export async function auditVerifyAction(opts: { config?: string }): Promise<void> {
  const { config } = readConfig(opts.config ? { file: opts.config } : {});
  const where = storeOptions(config, process.cwd());
  const store = openStore(where);
  // Said as the store names itself: the file, or the database URL without its password.
  const file = store.path;
  try {
    const verdict = store.verifyAudit();
    if (verdict.ok) {
      process.stdout.write(`audit chain ok: ${verdict.count} rows in ${file}, head ${verdict.head.slice(0, 16)}\n`);
    } else {
      process.stdout.write(`audit chain BROKEN in ${file} at row ${verdict.firstBadSeq}: ${verdict.reason} (${verdict.count} rows checked)\n`);
      process.exitCode = 1;
    }
  } finally {
    store.close();
  }
}
