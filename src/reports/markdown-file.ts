import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import Handlebars from 'handlebars';
import { FaultlineError, errorText } from '../core/errors.js';
import { plainMentions } from '../core/mention.js';

/*
 * What the post-mortem draft and the game-day report share: reading a Handlebars template, rendering
 * Markdown with a private instance, and writing the result without ever leaving half a file behind.
 * `what` names the document in error messages ("post-mortem", "game-day report").
 */

/**
 * Renders the view with a private Handlebars instance (no global helpers or partials leak in).
 * Output is Markdown, so nothing is HTML-escaped (callers escape user text for Markdown themselves);
 * strict mode turns a field the view does not have into an error instead of a silent blank. Any
 * template problem is a `template_error` naming the template.
 */
export function renderMarkdown(what: string, templateSource: string, view: object, templateName: string): string {
  const hb = Handlebars.create();
  try {
    const template = hb.compile(templateSource, { noEscape: true, strict: true });
    // Texts kept from chat (a hold reason, a decision) may name people as mention tokens.
    return plainMentions(template(view));
  } catch (err) {
    const reason = errorText(err);
    throw new FaultlineError('template_error', `${what} template ${templateName} failed: ${reason}`, { template: templateName }, { cause: err });
  }
}

/** The template's text; a missing or unreadable file is a `template_error` naming it. */
export async function readTemplate(what: string, templatePath: string, templateName: string): Promise<string> {
  try {
    return await readFile(templatePath, 'utf8');
  } catch (err) {
    const reason = errorText(err);
    throw new FaultlineError('template_error', `${what} template ${templateName} cannot be read: ${reason}`, { template: templatePath }, { cause: err });
  }
}

/** Writes `text` to `path` (creating the folder) through a temporary file and a rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}
