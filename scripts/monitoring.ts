/**
 * The chart's monitoring on the local stack (logic: app/scripts/monitoring.ts).
 *
 *   tsx scripts/monitoring.ts local [--release todo] [--namespace todo]
 *       After a local deploy (scripts/local.sh): the chart's ServiceMonitor and PrometheusRule, rendered with
 *       values-local.yaml, become the stack Prometheus's targets and rules; prints its URL.
 *   tsx scripts/monitoring.ts check
 *       `promtool check rules` on the PrometheusRule rendered with the chart's defaults and with each values
 *       file (npm test runs it after the stack is up: promtool is the stack's). A rule that does not parse is
 *       named with its query.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dump } from 'js-yaml';
import { bundles, binDir } from '../stack/src/components/helm.js';
import { prometheusPaths } from '../stack/src/components/prometheus.js';
import { alertsOf, prometheusRuleFile } from '../stack/src/prometheus-config.js';
import { createContext } from '../stack/src/stack.js';
import { applyLocalMonitoring, checkRules, formatRuleProblems, renderMonitoring } from '../app/scripts/monitoring.js';

const USAGE = 'usage: tsx scripts/monitoring.ts local [--release NAME] [--namespace NS] | check';
const VALUES_FILES: Array<string[]> = [[], ['values-oke.yaml'], ['values-local.yaml']];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { release: { type: 'string', default: 'todo' }, namespace: { type: 'string', default: 'todo' } } });
  const ctx = createContext({ info: (m) => console.error(m), warn: (m) => console.error(`warning: ${m}`) });
  const helm = join(binDir(ctx, bundles.find((b) => b.major === 4)!), 'helm');
  switch (positionals[0]) {
    case 'local': {
      const m = await applyLocalMonitoring(ctx, { helm, release: values.release!, namespace: values.namespace! });
      console.log(`prometheus: ${m.url} (targets from the chart's ServiceMonitor: ${m.jobs.length} endpoint(s); alerts: ${m.alerts.join(', ')})`);
      return 0;
    }
    case 'check': {
      const promtool = prometheusPaths(ctx).promtool;
      const dir = mkdtempSync(join(tmpdir(), 'rules-check-'));
      let failed = 0;
      try {
        for (const files of VALUES_FILES) {
          const label = files.length ? files.join(', ') : 'the chart\'s defaults';
          const rendered = await renderMonitoring({ helm, chartDir: join(ctx.root, 'chart'), release: 'todo', namespace: 'todo', valuesFiles: files });
          const rules = prometheusRuleFile(rendered.prometheusRule);
          const file = join(dir, 'rules.yml');
          writeFileSync(file, dump(rules, { lineWidth: -1 }));
          const r = await checkRules(promtool, file, rules.groups);
          if (r.ok) console.log(`promtool check rules (${label}): ${alertsOf(rules).length} alerts OK (${alertsOf(rules).map((a) => a.alert).join(', ')})`);
          else {
            failed++;
            console.log(`promtool check rules (${label}) FAILED:\n${formatRuleProblems(r.problems)}`);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return failed ? 1 : 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
  console.error(`monitoring: ${err.message}`);
  process.exit(1);
});
