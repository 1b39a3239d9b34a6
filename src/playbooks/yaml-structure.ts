import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Alias, type Document } from 'yaml';
import { MAX_NESTING } from './limits.js';
import { shortKey } from './problem-text.js';

export interface StructureProblem {
  path: Array<string | number>;
  /** Offset in the text, for the line number. */
  offset: number | undefined;
  message: string;
  /** The document must not be turned into values (aliases would expand, deep nesting would recurse). */
  blocking: boolean;
}

interface Frame {
  node: unknown;
  depth: number;
  parent: Frame | undefined;
  seg: string | number | undefined;
}

const pathOf = (f: Frame | undefined): Array<string | number> => {
  const out: Array<string | number> = [];
  for (let x = f; x?.seg !== undefined; x = x.parent) out.push(x.seg);
  return out.reverse();
};
const offsetOf = (n: unknown): number | undefined => (isNode(n) ? n.range?.[0] : undefined);

const aliasMessage = (name: string, uses: number) =>
  `YAML aliases (*${shortKey(name)}) are not allowed in playbooks; write the value out${uses > 1 ? ` (${uses} uses, the first here)` : ''}`;
const anchorMessage = (name: string) => `YAML anchors (&${shortKey(name)}) are not allowed in playbooks; remove it`;

/**
 * One pass over the parsed (not yet converted) document, without recursion so no input can
 * overflow the stack: refuses aliases (`*name`, the billion-laughs and self-reference vectors)
 * and anchors, collections nested deeper than MAX_NESTING and collection keys, and finds
 * duplicate keys in time linear in the file (yaml's own check, `uniqueKeys`, is quadratic).
 */
export function checkYamlStructure(doc: Document, lineOf: (offset: number) => number): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const stack: Frame[] = [{ node: doc.contents, depth: 0, parent: undefined, seg: undefined }];
  const add = (f: Frame, n: unknown, message: string, blocking: boolean) => problems.push({ path: pathOf(f), offset: offsetOf(n), message, blocking });
  // Each alias name is reported once, at its first use; an anchor only when no alias names it.
  const aliases = new Map<string, { problem: StructureProblem; uses: number }>();
  const anchors = new Map<string, StructureProblem>();
  const alias = (f: Frame, n: Alias) => {
    const seen = aliases.get(n.source);
    if (seen) seen.uses++;
    else {
      add(f, n, '', true);
      aliases.set(n.source, { problem: problems[problems.length - 1]!, uses: 1 });
    }
  };
  const anchor = (f: Frame, n: unknown, name: string) => {
    if (anchors.has(name)) return;
    add(f, n, anchorMessage(name), false);
    anchors.set(name, problems[problems.length - 1]!);
  };

  // Children are pushed last first, so they are taken off the stack in document order.
  const pairs = (frame: Frame, items: readonly unknown[], depth: number) => {
    const seen = new Map<string, number | undefined>();
    const children: Frame[] = [];
    for (const pair of items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      if (isAlias(key)) {
        alias(frame, key);
        continue;
      }
      if (isNode(key) && !isScalar(key)) {
        add(frame, key, 'a map or list cannot be a key; keys are plain names', true);
        continue;
      }
      if (isScalar(key) && key.anchor) anchor(frame, key, key.anchor);
      const name = isScalar(key) ? String(key.value) : '';
      const child: Frame = { node: pair.value, depth, parent: frame, seg: name };
      if (seen.has(name)) {
        const first = seen.get(name);
        const where = first === undefined ? '' : ` (first on line ${lineOf(first)})`;
        add(child, key, `duplicate key "${shortKey(name)}"${where}; keep one`, false);
      } else seen.set(name, offsetOf(key));
      children.push(child);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  };

  while (stack.length > 0) {
    const frame = stack.pop()!;
    const node = frame.node;
    if (isAlias(node)) {
      alias(frame, node);
      continue;
    }
    if (!isNode(node)) continue;
    if (node.anchor) anchor(frame, node, node.anchor);
    if (isScalar(node)) continue;
    const depth = frame.depth + 1;
    if (depth > MAX_NESTING) {
      add(frame, node, `nested deeper than ${MAX_NESTING} levels; a playbook needs far fewer`, true);
      continue;
    }
    if (isMap(node)) pairs(frame, node.items, depth);
    else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const item = node.items[i];
        // A bare pair in a list stands for a one-pair map.
        if (isPair(item)) pairs({ node: item, depth, parent: frame, seg: i }, [item], depth + 1);
        else stack.push({ node: item, depth, parent: frame, seg: i });
      }
    }
  }
  for (const [name, { problem, uses }] of aliases) problem.message = aliasMessage(name, uses);
  const named = new Set([...anchors].filter(([name]) => aliases.has(name)).map(([, p]) => p));
  return problems.filter((p) => !named.has(p)).sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
}
