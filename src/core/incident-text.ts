import type { IncidentInfo } from './ports.js';

/** One line naming an incident for people: number, title, state, urgency, service and link. */
export const describeIncident = (i: IncidentInfo) => `PagerDuty incident${i.number !== undefined ? ` #${i.number}` : ''} "${i.title}" (${i.status}, ${i.urgency} urgency) on service ${i.serviceId}: ${i.url}`;
