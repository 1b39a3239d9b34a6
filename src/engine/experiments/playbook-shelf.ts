import path from 'node:path';
import { parseBlastRadius } from '../../core/blast-radius-spec.js';
import { FaultlineError } from '../../core/errors.js';
import type { Experiment } from '../../core/playbook.js';
import type { EngineDeps } from '../engine-deps.js';

/** What a run may override in its playbook: from chat (`duration=`, `blastRadius=`), a schedule or a standing approval (selector). */
export interface ProposeOverrides {
  duration?: number;
  blastRadius?: string;
  /** Replaces the playbook's target selector (a schedule rotating over services). */
  selector?: Record<string, string>;
}

/**
 * The loaded playbooks as the engine reads them: by name, as a copy, with a run's overrides applied.
 * A name that did not load says why; an unknown one lists the known ones.
 */
export class PlaybookShelf {
  constructor(private readonly deps: Pick<EngineDeps, 'playbooks' | 'invalidPlaybooks'>) {}

  get(name: string): Experiment {
    const found = this.deps.playbooks().get(name);
    if (!found) {
      const invalid = this.deps.invalidPlaybooks?.().find((r) => r.name === name);
      if (invalid) {
        throw new FaultlineError('playbook_invalid', `playbook "${name}" (${path.basename(invalid.file)}) did not load: ${invalid.problems.join('; ')}`, { name, file: invalid.file });
      }
      const known = [...this.deps.playbooks().keys()].sort().join(', ') || '(none loaded)';
      throw new FaultlineError('playbook_not_found', `no playbook named "${name}"; known: ${known}`, { name });
    }
    return structuredClone(found.playbook);
  }

  /** The playbook after a run's overrides (a copy). */
  with(name: string, o: ProposeOverrides): Experiment {
    const spec = this.get(name);
    if (o.duration !== undefined) spec.fault.duration = o.duration;
    if (o.selector !== undefined) spec.target.selector = { ...o.selector };
    if (o.blastRadius !== undefined) {
      const b = parseBlastRadius(o.blastRadius);
      if (!b) throw new FaultlineError('command_usage', `blastRadius=${o.blastRadius}: expected one | all | count:N | percent:P`, { field: 'blastRadius' });
      spec.target.blastRadius = b;
    }
    return spec;
  }

  names(): string[] {
    return [...this.deps.playbooks().keys()].sort();
  }
}
