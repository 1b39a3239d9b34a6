import type { AdapterDeps } from '../../../core/ports.js';
import { GrafanaAnnotationsClient, type GrafanaClientDeps } from './annotations-client.js';
import { GrafanaAnnotator } from './grafana-annotator.js';
import { GrafanaConfig, type GrafanaConfigInput } from './schema.js';

/** Annotations family: experiments' start, fault window, abort and end as Grafana annotations. */
export const grafanaAdapter = {
  kind: 'grafana',
  configSchema: GrafanaConfig,
  /** Parses `config` (defaults filled in); `deps.sleep` and `deps.defer` are for tests. */
  create(config: GrafanaConfigInput, deps: AdapterDeps & GrafanaClientDeps & { defer?: () => Promise<void> }): GrafanaAnnotator {
    const cfg = GrafanaConfig.parse(config);
    const client = new GrafanaAnnotationsClient(cfg, deps.sleep ? { sleep: deps.sleep } : {});
    return new GrafanaAnnotator(cfg, { client, log: deps.log, ...(deps.defer ? { defer: deps.defer } : {}) });
  },
};

export { annotationsFor, baseTags, type AnnotationKind, type AnnotationStep } from './annotation-plan.js';
export { GrafanaAnnotationsClient, GrafanaRequestError, type GrafanaClientDeps, type GrafanaFailure } from './annotations-client.js';
export { GrafanaAnnotator, type GrafanaAnnotatorDeps } from './grafana-annotator.js';
export { AnnotationAdded, CreateAnnotation, GrafanaConfig, type GrafanaConfigInput, GrafanaSettings, PatchAnnotation } from './schema.js';
