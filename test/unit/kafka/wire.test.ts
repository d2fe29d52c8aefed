import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as kafka from '@platformatic/kafka';
import { Admin, kGetApi, kGetBootstrapConnection, kGetConnection } from '@platformatic/kafka';
import { WIRE_APIS } from '../../../src/kafka/wire.js';

/**
 * What src/kafka/wire.ts relies on in @platformatic/kafka beyond its public API. An upgrade that changes any
 * of it fails here (and the typed calls fail the type check), before a topics apply sends a request built for
 * another signature.
 */
const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
// The package's exports map hides package.json from resolution: read it where npm installed it.
const installed = (JSON.parse(readFileSync(resolve(root, 'node_modules/@platformatic/kafka/package.json'), 'utf8')) as { version: string }).version;

/** Every version of an API the library implements, by the name kGetApi looks it up with (camelCase + V + version). */
function versionsOf(name: string): Array<{ version: number; createRequest: (...a: unknown[]) => unknown; api: { version: number } }> {
  const prefix = `${name[0]!.toLowerCase()}${name.slice(1)}V`;
  return Object.entries(kafka)
    .filter(([k]) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
    .map(([k, v]) => ({ version: Number(k.slice(prefix.length)), ...(v as { createRequest: (...a: unknown[]) => unknown; api: { version: number } }) }))
    .sort((a, b) => a.version - b.version);
}

describe('the @platformatic/kafka internals src/kafka/wire.ts relies on', () => {
  it('is pinned exactly, and the installed package is that version', () => {
    const spec = pkg.dependencies['@platformatic/kafka'];
    expect(spec).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(spec);
  });

  it('hands out connections and negotiated APIs through the three symbols', () => {
    for (const symbol of [kGetApi, kGetBootstrapConnection, kGetConnection]) {
      expect(typeof symbol).toBe('symbol');
      expect(typeof (Admin.prototype as unknown as Record<symbol, unknown>)[symbol]).toBe('function');
    }
  });

  it.each(Object.entries(WIRE_APIS))('%s: the typed version is the newest the library implements, and every version takes the same arguments', (name, typed) => {
    const versions = versionsOf(name);
    expect(versions.length).toBeGreaterThan(0);
    const newest = versions.at(-1)!;
    // kGetApi picks the newest version the brokers support: the adapter is typed by the newest the library has.
    expect(typed.version).toBe(newest.version);
    expect(newest.api.version).toBe(newest.version);
    // Same required positional arguments in every version a broker could negotiate.
    const arity = new Set(versions.map((v) => v.createRequest.length));
    expect([...arity]).toEqual([newest.createRequest.length]);
  });

  it('the typed request signatures are the ones TopicAdmin sends (names and order of the arguments)', () => {
    const params = (name: keyof typeof WIRE_APIS): string => {
      const v = versionsOf(name).at(-1)!;
      return /\(([^)]*)\)/.exec(v.createRequest.toString())![1]!.replace(/\s+/g, ' ').trim();
    };
    expect(params('Metadata')).toMatch(/^topics, allowAutoTopicCreation/);
    expect(params('DescribeConfigs')).toMatch(/^resources, includeSynonyms/);
    expect(params('CreateTopics')).toBe('topics, timeoutMs, validateOnly');
    expect(params('CreatePartitions')).toBe('topics, timeoutMs, validateOnly');
    expect(params('IncrementalAlterConfigs')).toBe('resources, validateOnly');
    expect(params('DeleteTopics')).toBe('topics, timeoutMs');
  });
});
