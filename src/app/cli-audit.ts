import path from 'node:path';
import { openStore } from '../store/index.js';
import { readConfig } from './config.js';

export async function auditVerifyAction(opts: { config?: string }): Promise<void> {
  const { config } = readConfig(opts.config ? { file: opts.config } : {});
  const file = path.resolve(config.store.path);
  const store = openStore({ path: file });
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
