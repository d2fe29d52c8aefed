import type { SummaryBuilder } from '../core/summary.js';
import type { Diagnostics } from './diagnostics.js';

/** Plain text for the log group. */
export function diagnosticsText(d: Diagnostics): string {
  const out: string[] = [];
  out.push(`Events in ${d.namespace} (warnings first, newest first):`);
  if (!d.events.length) out.push('  (none)');
  for (const e of d.events) out.push(`  ${e.time} ${e.type} ${e.reason} ${e.object}${e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`);
  out.push('Pods not ready:');
  if (!d.pods.length) out.push('  (none)');
  for (const p of d.pods) {
    out.push(`  ${p.name} [${p.phase}] ${p.reason}`);
    for (const c of p.containers) out.push(`    container ${c.name}: ${c.state}, restarts ${c.restarts}${c.why ? `\n      -> ${c.why}` : ''}`);
  }
  for (const l of d.logs) out.push(`Last log lines of ${l.pod}/${l.container}${l.previous ? ' (previous run)' : ''}:`, ...l.text.trimEnd().split('\n').map((x) => `  ${x}`));
  for (const g of d.gaps) out.push(`Could not collect ${g}`);
  out.push(`(collected in ${d.ms} ms)`);
  return out.join('\n');
}

/** Tables for the job summary. */
export function diagnosticsSummary(d: Diagnostics, s: SummaryBuilder): SummaryBuilder {
  s.heading('Diagnostics', 3);
  if (d.pods.length) {
    s.table(['Pod', 'Phase', 'Why', 'Containers'], d.pods.map((p) => [p.name, p.phase, p.reason, p.containers.map((c) => `${c.name}: ${c.why ?? `${c.state} (restarts ${c.restarts})`}`).join('\n')]));
  } else {
    s.paragraph('No pods were left not ready.');
  }
  if (d.events.length) s.table(['Time', 'Type', 'Reason', 'Object', 'Message'], d.events.slice(0, 15).map((e) => [e.time, e.type, e.reason, e.object, e.message]));
  for (const l of d.logs) s.details(`Logs: ${l.pod}/${l.container}`, `\`\`\`\n${l.text.trimEnd()}\n\`\`\``);
  if (d.gaps.length) s.list(d.gaps.map((g) => `Not collected: ${g}`));
  return s;
}
