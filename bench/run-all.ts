import { benchAbortLatency } from './abort-latency.js';
import { benchKubernetes } from './kubernetes.js';
import { benchPagerDutyAbort } from './pagerduty-abort.js';
import { benchPrometheusBreach } from './prometheus-breach.js';
import { benchSchedules } from './schedules.js';
import { benchSlackAck } from './slack-ack.js';
import { benchStartup } from './startup.js';

const only = process.argv[2];
const log = (line: string) => process.stdout.write(`${line}\n`);
log(`Faultline benchmarks (node ${process.version}, ${new Date().toISOString()})`);
if (!only || only === 'startup') await benchStartup(log);
if (!only || only === 'abort') await benchAbortLatency(log);
if (!only || only === 'slack') await benchSlackAck(log);
if (!only || only === 'kubernetes') await benchKubernetes(log);
if (!only || only === 'pagerduty') await benchPagerDutyAbort(log);
if (!only || only === 'prometheus') await benchPrometheusBreach(log);
if (!only || only === 'schedules') await benchSchedules(log);
