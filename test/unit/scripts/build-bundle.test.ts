import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eagerModules, finishBundle, lazyBuiltins } from '../../../scripts/build.js';

/** What scripts/build.ts does to ncc's output: heavy Node built-ins loaded on first use, then minified. */
const ncc = (ids: string[], body = ''): string =>
  [
    'import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";',
    'const __modules = {',
    ...ids.map((id, i) => `/***/ ${i}:\n/***/ ((module) => {\n\nmodule.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("${id}");\n\n/***/ }),`),
    '};',
    body,
  ].join('\n');

/** Runs a bundle in a fresh Node (nothing loaded yet) and returns what it printed as JSON. */
function evaluate(code: string): Record<string, unknown> {
  const file = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'index.mjs');
  writeFileSync(file, code);
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('lazyBuiltins', () => {
  it.each([
    { id: 'node:crypto', lazy: true },
    { id: 'zlib', lazy: true },
    { id: 'node:stream/promises', lazy: true },
    { id: 'node:child_process', lazy: true },
    // callable modules (a Proxy of an object cannot stand in) and modules Node has loaded anyway stay as they are
    { id: 'events', lazy: false },
    { id: 'node:assert', lazy: false },
    { id: 'node:stream', lazy: false },
    { id: 'node:fs', lazy: false },
    { id: 'node:path', lazy: false },
  ])('$id: lazy $lazy', ({ id, lazy }) => {
    const out = lazyBuiltins(ncc([id]));
    expect(out.includes(`module.exports = __lazyBuiltin(${JSON.stringify(id)});`)).toBe(lazy);
    expect(out.includes('function __lazyBuiltin(id)')).toBe(lazy);
  });

  it('a bundle without such requires is left as it is', () => {
    const code = ncc(['node:fs', 'events']);
    expect(lazyBuiltins(code)).toBe(code);
  });

  it('the stand-in loads the module on first use and behaves as the module', () => {
    const body = [
      'function load(i) { const m = { exports: {} }; __modules[i](m); return m.exports; }',
      'const c = load(0), z = load(1);',
      'const loaded = (name) => process.moduleLoadList.includes(`NativeModule ${name}`);',
      'const before = { crypto: loaded("crypto"), zlib: loaded("zlib") };',
      'const hash = (0, c.createHash)("sha256").update("x").digest("hex");',
      'const gz = z.gunzipSync(z.gzipSync("hello")).toString();',
      'const after = { crypto: loaded("crypto"), zlib: loaded("zlib") };',
      'console.log(JSON.stringify({ before, after, hash, gz, esModule: c.__esModule ?? null, has: "createHash" in c, keys: Object.keys(z).includes("gzipSync") }));',
    ].join('\n');
    expect(evaluate(lazyBuiltins(ncc(['node:crypto', 'node:zlib'], body)))).toEqual({
      before: { crypto: false, zlib: false },
      after: { crypto: true, zlib: true },
      hash: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
      gz: 'hello',
      esModule: null,
      has: true,
      keys: true,
    });
    // without the rewrite, both load when the modules are evaluated
    expect(evaluate(ncc(['node:crypto', 'node:zlib'], body)).before).toEqual({ crypto: true, zlib: true });
  });
});

describe('finishBundle', () => {
  it('minifies every script of a bundle folder in place, dropping code nothing uses, keeping class names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dist-'));
    writeFileSync(
      join(dir, '1.index.js'),
      [
        'export const id = 1;',
        'export const modules = { 7: (m, e, r) => {',
        '  class UsedApi { hello() { return "used"; } }',
        '  class UnusedApi { hello() { return "this whole class is never referenced"; } }',
        '  r.d(e, { a: () => UsedApi });',
        '} };',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'licenses.txt'), 'MIT\n');
    await finishBundle(dir);
    const out = readFileSync(join(dir, '1.index.js'), 'utf8');
    expect(out).toContain('class UsedApi');
    expect(out).not.toContain('UnusedApi');
    expect(out).not.toContain('never referenced');
    expect(readFileSync(join(dir, 'licenses.txt'), 'utf8')).toBe('MIT\n');
  });
});

describe('eagerModules', () => {
  it("wraps a chunk's module functions in parentheses (compiled at once), and nothing else", async () => {
    const chunk = 'export const id=5;export const ids=[5];export const modules={1:(e,t,r)=>{r.d(t,{a:()=>"x"})},2:function(e){e.exports=(()=>1)()}};';
    expect(await eagerModules(chunk)).toBe('export const id=5;export const ids=[5];export const modules={1:((e,t,r)=>{r.d(t,{a:()=>"x"})}),2:(function(e){e.exports=(()=>1)()})};');
  });

  it('leaves other files as they are', async () => {
    const entry = 'const modules={1:()=>{}};export const x=1;';
    expect(await eagerModules(entry)).toBe(entry);
  });
});
