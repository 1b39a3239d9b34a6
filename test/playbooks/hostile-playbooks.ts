/**
 * Playbook texts that once stopped the bot or `faultline validate`, and valid ones of a chosen size.
 * Shared by the tests in this folder and by bench/playbook-load.ts.
 */

/** A valid Experiment for the real kubernetes adapter; `selector` lines are put under target.selector. */
export function kubePlaybook(name: string, selector: string[] = ['    app: checkout']): string {
  return [
    'kind: Experiment',
    `name: ${name}`,
    'hypothesis: If one checkout pod is deleted, then the checkout pods stay Ready.',
    'owner: team-checkout',
    'target:',
    '  adapter: kubernetes',
    '  namespace: shop',
    '  selector:',
    ...selector,
    '  blastRadius: one',
    'fault: { type: pod-delete, duration: 1m }',
    'guardrails:',
    '  - name: pods Ready',
    '    signal: { source: pods, namespace: shop, selector: { app: checkout }, measure: ready-ratio }',
    "    comparison: '<'",
    '    threshold: 0.66',
    '',
  ].join('\n');
}

/** A valid playbook with `keys` selector labels besides app: one per line, or all on one line in flow style. */
export function manyKeysPlaybook(name: string, keys: number, style: 'block' | 'flow' = 'block'): string {
  const label = (i: number) => `k${i.toString(36)}: v`;
  if (style === 'block') return kubePlaybook(name, ['    app: checkout', ...Array.from({ length: keys }, (_, i) => `    ${label(i)}`)]);
  return kubePlaybook(name, [`    { app: checkout, ${Array.from({ length: keys }, (_, i) => label(i)).join(', ')} }`]).replace('  selector:\n    {', '  selector: {');
}

/** A valid playbook of exactly `bytes` bytes: selector labels, then a comment line for the rest. */
export function playbookOfSize(name: string, bytes: number): string {
  const lines = ['    app: checkout'];
  let size = kubePlaybook(name, lines).length;
  for (let i = 0; size + 20 < bytes; i++) {
    const line = `    k${i.toString(36)}: v`;
    lines.push(line);
    size += line.length + 1;
  }
  const text = kubePlaybook(name, lines);
  return `${text}#${'x'.repeat(bytes - text.length - 2)}\n`;
}

/** Billion laughs: nine aliases of nine aliases of … ; expanded it would be 9^levels strings. */
export function aliasBomb(levels = 9): string {
  const lines = ['kind: Experiment', 'name: alias-bomb', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

/** An anchor whose value holds an alias of itself: a cycle once expanded. */
export const SELF_ANCHOR = 'kind: Experiment\nname: self-anchor\na: &a [*a]\n';

/** Maps nested `levels` deep under fault.parameters, in flow style on one line. */
export function deepNesting(levels: number): string {
  return `${kubePlaybook('deep-nesting').replace('fault: { type: pod-delete, duration: 1m }', `fault: { type: pod-delete, duration: 1m, parameters: ${'{a: '.repeat(levels)}1${'}'.repeat(levels)} }`)}`;
}

/** The same key twice at the top and twice in the target. */
export const DUPLICATE_KEYS = kubePlaybook('dup-keys')
  .replace('owner: team-checkout', 'owner: team-checkout\nowner: team-other')
  .replace('  namespace: shop', '  namespace: shop\n  namespace: shop');

/** Wrong in the core schema (hypothesis, blast radius) and in the adapter's (fault parameters, signal) at once. */
export const CORE_AND_ADAPTER = kubePlaybook('core-and-adapter')
  .replace('hypothesis: If one checkout pod is deleted, then the checkout pods stay Ready.', 'hypothesis: short')
  .replace('  blastRadius: one', '  blastRadius: percent:150')
  .replace('fault: { type: pod-delete, duration: 1m }', 'fault: { type: pod-delete, duration: 1m, parameters: { gracePeriodSeconds: -5 } }')
  .replace('measure: ready-ratio', 'measure: happiness');

/** Flow maps nested as deep as fit in `bytes`: the slowest input for the YAML parser per byte. */
export function deepNestingOfSize(bytes: number): string {
  const base = deepNesting(0).length;
  return deepNesting(Math.floor((bytes - base) / 5));
}
