import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { FaultlineError } from '../core/errors.js';
import type { PostmortemInput, PostmortemView } from './postmortem-view.js';
import { buildPostmortemView } from './postmortem-view.js';

export { buildPostmortemView } from './postmortem-view.js';
export type { PostmortemEvent, PostmortemInput, PostmortemView, TimelineEntry } from './postmortem-view.js';

/**
 * Renders the view with a private Handlebars instance (no global helpers or partials leak in).
 * Output is Markdown, so nothing is HTML-escaped; strict mode turns a field the view does not have
 * into an error instead of a silent blank. Any template problem is a `template_error` naming the template.
 */
export function renderPostmortem(templateSource: string, view: PostmortemView, templateName: string): string {
  const hb = Handlebars.create();
  try {
    const template = hb.compile(templateSource, { noEscape: true, strict: true });
    return template(view);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FaultlineError('template_error', `post-mortem template ${templateName} failed: ${reason}`, { template: templateName }, { cause: err });
  }
}

/** A record id as a file name: anything but letters, digits, dot, dash and underscore becomes `_`. */
function fileNameFor(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'experiment'}.md`;
}

/** Drafts the post-mortem into `<outDir>/<record.id>.md` (creating the folder) and returns the path. */
export async function writePostmortem(opts: { templatePath: string; outDir: string } & PostmortemInput): Promise<string> {
  const { templatePath, outDir, ...input } = opts;
  const templateName = basename(templatePath);
  let source: string;
  try {
    source = await readFile(templatePath, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FaultlineError('template_error', `post-mortem template ${templateName} cannot be read: ${reason}`, { template: templatePath }, { cause: err });
  }
  const text = renderPostmortem(source, buildPostmortemView(input), templateName);
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, fileNameFor(input.record.id));
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
  return path;
}
