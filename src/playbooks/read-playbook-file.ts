import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, statSync } from 'node:fs';
import { errorText } from '../core/errors.js';
import { formatBytes } from './limits.js';

export type ReadResult = { ok: true; text: string } | { ok: false; problem: string };

/** Why a file system call failed, said without a stack trace. */
export function describeFsError(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return brokenLink(file) ?? 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return `cannot read it: permission denied (${code})`;
    case 'ELOOP':
      return 'symbolic link loop (ELOOP): the link points back at itself';
    case 'EISDIR':
      return 'is a folder, not a playbook file';
    case 'ENAMETOOLONG':
      return 'path too long (ENAMETOOLONG)';
    default:
      return `cannot read it: ${errorText(err).split('\n')[0]}`;
  }
}

function brokenLink(file: string): string | undefined {
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    return `broken symbolic link: it points to ${readlinkSync(file)}, which does not exist`;
  } catch {
    return undefined;
  }
}

const sizeProblem = (size: number, max: number) =>
  `file is ${size} bytes (${formatBytes(size)}), over the limit of ${max} bytes (${formatBytes(max)}); split it, or raise playbooks.maxFileBytes in the config`;

/**
 * Reads one playbook as UTF-8 text, refusing what is not a plain file (folders, FIFOs, devices,
 * broken links) and what is larger than `maxFileBytes`, which is checked before a byte is read.
 * Never throws: every failure comes back as one sentence.
 */
export function readPlaybookText(file: string, maxFileBytes: number): ReadResult {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { ok: false, problem: 'is a folder, not a playbook file; rename it so its name does not end in .yaml or .yml' };
    if (!st.isFile()) return { ok: false, problem: 'not a regular file (a FIFO, socket or device); playbooks must be plain files' };
    if (st.size > maxFileBytes) return { ok: false, problem: sizeProblem(st.size, maxFileBytes) };
  } catch (err) {
    return { ok: false, problem: describeFsError(err, file) };
  }
  let fd: number | undefined;
  try {
    // O_NONBLOCK: if the file was swapped for a FIFO since the stat, opening it must not hang.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return { ok: false, problem: 'not a regular file; playbooks must be plain files' };
    const bytes = readAtMost(fd, fstatSync(fd).size, maxFileBytes + 1);
    if (bytes.length > maxFileBytes) return { ok: false, problem: sizeProblem(fstatSync(fd).size, maxFileBytes) };
    return decodeUtf8(bytes);
  } catch (err) {
    return { ok: false, problem: describeFsError(err, file) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads until the end or `limit` bytes, whichever comes first (the file may grow while it is read). */
function readAtMost(fd: number, sizeHint: number, limit: number): Buffer {
  let buf = Buffer.allocUnsafe(Math.min(sizeHint + 1, limit));
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (buf.length >= limit) break;
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, limit));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    const n = readSync(fd, buf, used, buf.length - used, null);
    if (n === 0) break;
    used += n;
  }
  return buf.subarray(0, used);
}

function decodeUtf8(bytes: Buffer): ReadResult {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const lossy = bytes.toString('utf8');
    const at = lossy.indexOf('\uFFFD');
    const line = at < 0 ? '' : `line ${lossy.slice(0, at).split('\n').length}: `;
    return { ok: false, problem: `${line}not UTF-8 text; save the file as UTF-8` };
  }
}
