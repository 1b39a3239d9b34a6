import type { ActiveFreeze, FreezeWindow, IncidentFreeze } from './freeze.js';
import { describeIncident } from './incident-text.js';
import { message, type Message } from './message.js';

const iso = (t: number) => new Date(t).toISOString();

/** `/chaos freeze list`: the freeze in force, every window, and services frozen by incidents. */
export function freezeListMessage(o: { active: ActiveFreeze | null; windows: readonly FreezeWindow[]; incidentFreezes: readonly IncidentFreeze[] }): Message {
  const lines = o.windows.map((w) =>
    w.kind === 'once' ? `${w.id}  ${iso(w.from)} → ${iso(w.to)}  ${w.reason} (by ${w.by})` : `${w.id}  every "${w.cron}" (${w.timeZone}) for ${Math.round(w.durationMs / 60_000)} min  ${w.reason}`,
  );
  // Services frozen by high-urgency incidents: only experiments linked to them are held back.
  const services = o.incidentFreezes.map((f) => `${f.serviceId}  until ${iso(f.until)} (or its resolve)  ${describeIncident(f.incident)}`);
  return message({
    title: o.active ? `Frozen until ${iso(o.active.until)}: ${o.active.window.reason}` : 'Not frozen now',
    tone: o.active || services.length > 0 ? 'warning' : 'info',
    sections: [lines.join('\n') || 'No freeze windows.', ...(services.length > 0 ? [`Services frozen by incidents:\n${services.join('\n')}`] : [])],
    ephemeral: true,
  });
}

export function freezeAddedMessage(w: Extract<FreezeWindow, { kind: 'once' }>): Message {
  return message({ title: `Frozen ${iso(w.from)} → ${iso(w.to)}`, tone: 'warning', sections: [`${w.id}: ${w.reason}. No experiment starts in this window; /chaos halt still works.`] });
}

export function freezeRemovedMessage(id: string, removed: boolean): Message {
  return message({ title: removed ? `Freeze ${id} removed` : `No chat-added freeze ${id} (configured windows change in the config file)`, tone: removed ? 'success' : 'warning', ephemeral: !removed });
}
