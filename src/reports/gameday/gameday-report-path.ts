import { join } from 'node:path';

/**
 * Where a game day's report lives: `<dir>/<id>-gameday-report.md`. The id is made file-name safe the
 * same way post-mortem drafts are (anything but letters, digits, dot, dash and underscore becomes `_`),
 * so a game-day id can never climb out of `dir`.
 */
export function gameDayReportPath(dir: string, gameDayId: string): string {
  const safe = gameDayId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return join(dir, `${safe || 'gameday'}-gameday-report.md`);
}
