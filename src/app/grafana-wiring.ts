import { grafanaAdapter, type GrafanaAnnotator } from '../adapters/annotations/grafana/index.js';
import type { AdapterLogger } from '../core/ports.js';
import type { Config, LoadedConfig } from './config.js';

/**
 * Grafana annotations for the engine, when `grafana.url` (or GRAFANA_URL) and GRAFANA_TOKEN are both
 * set. With one of them only, nothing is posted and a warning at start names what is missing.
 */
export function wireGrafana(config: Config, env: LoadedConfig['env'], log: AdapterLogger): GrafanaAnnotator | undefined {
  const settings = config.grafana;
  if (!settings) {
    if (env.grafanaToken) log.warn({ variable: 'GRAFANA_URL', field: 'grafana.url' }, 'grafana annotations off: GRAFANA_TOKEN is set but no grafana.url');
    return undefined;
  }
  if (!env.grafanaToken) {
    log.warn({ variable: 'GRAFANA_TOKEN', url: settings.url }, 'grafana annotations off: GRAFANA_TOKEN is not set');
    return undefined;
  }
  log.info({ url: settings.url, ...(settings.dashboardUid ? { dashboardUid: settings.dashboardUid } : {}) }, 'grafana annotations on');
  return grafanaAdapter.create({ ...settings, token: env.grafanaToken }, { log, now: Date.now });
}
