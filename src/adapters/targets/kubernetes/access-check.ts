/**
 * Asks the API server, one SelfSubjectAccessReview (authorization.k8s.io/v1) per permission, whether
 * the bot's own identity may make a call. Creating a review changes nothing; every authenticated
 * user may create one (the default `system:basic-user` ClusterRole, bound to `system:authenticated`),
 * so deploy/rbac.yaml needs no rule for it. A review the server refuses to answer (a cluster that
 * took that binding away) is "cannot be checked", never "allowed".
 */
import type { V1SelfSubjectAccessReview } from '@kubernetes/client-node';
import type { AccessCheck } from '../../../core/ports.js';
import { describeAccess, type KubeAccess } from './access-table.js';
import { describeKubeError, type KubeClient } from './kube-client.js';
import { mapLimit } from './retry.js';

/** Reviews that run at once. */
const REVIEW_CONCURRENCY = 8;

export function reviewBody(a: KubeAccess): V1SelfSubjectAccessReview {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: a.verb,
        group: a.group,
        resource: a.resource,
        ...(a.subresource !== undefined ? { subresource: a.subresource } : {}),
        ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
        ...(a.name !== undefined ? { name: a.name } : {}),
      },
    },
  };
}

async function review(client: KubeClient, a: KubeAccess, signal?: AbortSignal): Promise<AccessCheck> {
  const what = describeAccess(a);
  let answer: V1SelfSubjectAccessReview;
  try {
    answer = await client.call(`review ${what}`, (apis, o) => apis.authz.createSelfSubjectAccessReview({ body: reviewBody(a) }, o), { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    return { what, allowed: null, reason: `the API server did not answer the SelfSubjectAccessReview (${describeKubeError(err)})` };
  }
  const s = answer.status;
  if (s?.allowed === true) return { what, allowed: true, ...(s.reason ? { reason: s.reason } : {}) };
  // Not allowed: denied outright, or no authorizer allowed it (RBAC never denies; it only fails to allow).
  const why = [s?.reason, s?.evaluationError ? `evaluation error: ${s.evaluationError}` : undefined].filter((x): x is string => !!x).join('; ');
  return { what, allowed: false, reason: why || 'no RBAC rule allows it' };
}

/** One check per permission, in the order given. */
export function checkKubeAccess(client: KubeClient, needs: readonly KubeAccess[], signal?: AbortSignal): Promise<AccessCheck[]> {
  return mapLimit(needs, REVIEW_CONCURRENCY, (a) => review(client, a, signal));
}
