/**
 * Several processes' Prometheus expositions as one (`--workers`): each metric family once, with every
 * process's samples labelled `naftiko_worker="N"`, so that `sum by (…)` over the label gives the
 * whole server and no sample of one worker hides another's.
 */

export interface WorkerExposition {
  readonly worker: number;
  readonly text: string;
}

interface Family {
  readonly header: string[];
  readonly samples: string[];
}

export function mergeExpositions(parts: readonly WorkerExposition[]): string {
  const families = new Map<string, Family>();
  for (const { worker, text } of parts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = families.get(name);
        if (!current) families.set(name, (current = { header: [], samples: [] }));
        if (current.header.length < 2 && !current.header.some((h) => h.startsWith(`# ${meta[1]} `))) current.header.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      if (!current) families.set('', (current = { header: [], samples: [] }));
      current.samples.push(withWorker(line, worker));
    }
  }
  const out: string[] = [];
  for (const f of families.values()) out.push(...f.header, ...f.samples);
  return out.join('\n') + '\n';
}

/** `name{a="1"} 3` → `name{naftiko_worker="2",a="1"} 3`; `name 3` → `name{naftiko_worker="2"} 3` */
function withWorker(sample: string, worker: number): string {
  const label = `naftiko_worker="${worker}"`;
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace >= 0 && (space < 0 || brace < space)) {
    const empty = sample[brace + 1] === '}';
    return `${sample.slice(0, brace + 1)}${label}${empty ? '' : ','}${sample.slice(brace + 1)}`;
  }
  return space < 0 ? sample : `${sample.slice(0, space)}{${label}}${sample.slice(space)}`;
}
