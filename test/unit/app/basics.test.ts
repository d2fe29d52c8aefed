import { loadConfig } from '../../../app/src/config.js';
import { DaprError } from '../../../app/src/dapr/port.js';
import { answerFailure, isConcurrencyFailure, sdkFailure } from '../../../app/src/dapr/sdk-port.js';
import { SidecarHttp } from '../../../app/src/dapr/sidecar-http.js';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseIncoming } from '../../../app/src/events/cloudevents.js';
import { createLogger, withTrace } from '../../../app/src/log.js';
import { Counter } from '../../../app/src/metrics.js';
import { parseIfMatch } from '../../../app/src/tasks/service.js';
import { continueTrace, parseTraceparent } from '../../../app/src/trace.js';

describe('loadConfig', () => {
  it('has defaults for everything but the role', () => {
    expect(loadConfig({ APP_ROLE: 'worker' })).toMatchObject({ role: 'worker', appId: 'todo-worker', port: 8080, callbackPort: 8081, callbackHost: '127.0.0.1', daprHttpPort: 3500, pubsubName: 'pubsub', secretName: 'todo-secrets', devSignIn: false });
  });

  it.each<[Record<string, string>, RegExp]>([
    [{}, /APP_ROLE must be "api" or "worker"/],
    [{ APP_ROLE: 'api', PORT: '80a' }, /PORT must be a port number/],
    [{ APP_ROLE: 'api', PORT: '9000', APP_CALLBACK_PORT: '9000' }, /must differ/],
    [{ APP_ROLE: 'api', APP_ID: 'Todo_API' }, /APP_ID must be a DNS label/],
    [{ APP_ROLE: 'api', DEV_SIGN_IN: 'yes' }, /DEV_SIGN_IN must be true or false/],
    [{ APP_ROLE: 'api', LOG_LEVEL: 'trace' }, /LOG_LEVEL/],
    [{ APP_ROLE: 'api', STATE_STORE: 'a b' }, /STATE_STORE must be a Dapr component/],
    [{ APP_ROLE: 'api', LIST_MAX_TASKS: '0' }, /LIST_MAX_TASKS must be an integer from 1/],
    [{ APP_ROLE: 'api', STATE_TABLE: 'todo; drop table x' }, /STATE_TABLE must be a PostgreSQL table name/],
    [{ APP_ROLE: 'api', STATE_SQL_BINDING: 'bad name!' }, /STATE_SQL_BINDING must be a Dapr component/],
  ])('refuses %j', (env, message) => expect(() => loadConfig(env)).toThrow(message));
});

describe('structured logs', () => {
  it('writes one JSON object per line with the current trace id and no secret-looking fields', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', base: { app: 'todo-api' }, write: (l) => void lines.push(l), now: () => new Date('2030-01-01T00:00:00Z') });
    withTrace(continueTrace(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`), () => log.info('hello', { authorization: 'Bearer x', password: 'p', count: 2, err: new Error('boom') }));
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2030-01-01T00:00:00.000Z', level: 'info', msg: 'hello', app: 'todo-api', traceId: 'a'.repeat(32), spanId: expect.stringMatching(/^[0-9a-f]{16}$/), authorization: '[redacted]', password: '[redacted]', count: 2, err: { name: 'Error', message: 'boom' } });
  });
});

describe('trace context', () => {
  it.each([
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', true],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', false],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', false],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', false],
    ['garbage', false],
  ])('parseTraceparent(%s) is valid: %s', (v, ok) => expect(parseTraceparent(v) !== undefined).toBe(ok));

  it('continues a trace with a new span, or starts a sampled one', () => {
    const next = continueTrace('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', (n) => 'c'.repeat(n * 2));
    expect(next).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'c'.repeat(16), traceparent: `00-0af7651916cd43dd8448eb211c80319c-${'c'.repeat(16)}-00` });
    expect(continueTrace(undefined, (n) => 'd'.repeat(n * 2)).traceparent).toBe(`00-${'d'.repeat(32)}-${'d'.repeat(16)}-01`);
  });

  it('draws ids from its random pool without repeats, across refills of the pool', () => {
    const ids = Array.from({ length: 1000 }, () => continueTrace(undefined)); // 24 bytes each: several 4 KiB refills
    const all = ids.flatMap((t) => [t.traceId, t.spanId]);
    expect(new Set(all).size).toBe(all.length);
    expect(ids.every((t) => /^[0-9a-f]{32}$/.test(t.traceId) && /^[0-9a-f]{16}$/.test(t.spanId) && parseTraceparent(t.traceparent))).toBe(true);
  });
});

describe('metrics text format', () => {
  it('escapes label values and sorts label names', () => {
    const c = new Counter('x_total', 'help', { app: 'a' });
    c.inc({ z: 'q"uote\\back\nline', b: '1' }, 2);
    expect(c.render()).toBe('# HELP x_total help\n# TYPE x_total counter\nx_total{app="a",b="1",z="q\\"uote\\\\back\\nline"} 2');
  });
});

describe('Dapr error mapping', () => {
  it('reads the SDK\'s JSON error, with Dapr\'s own message inside', () => {
    const err = sdkFailure('state transaction', new Error(JSON.stringify({ error: 'Internal Server Error', error_msg: JSON.stringify({ errorCode: 'ERR_STATE_TRANSACTION', message: 'error while executing state transaction: possible etag mismatch. error from state store' }), status: 500 })));
    expect(err).toMatchObject({ status: 500, detail: 'error while executing state transaction: possible etag mismatch. error from state store' });
    expect(isConcurrencyFailure(err)).toBe(true);
  });

  it('reads Dapr\'s own error answer from the plain-HTTP calls', () => {
    const err = answerFailure('state transaction', { status: 500, text: JSON.stringify({ errorCode: 'ERR_STATE_TRANSACTION', message: 'error while executing state transaction: possible etag mismatch' }) });
    expect(err).toMatchObject({ status: 500, detail: 'error while executing state transaction: possible etag mismatch' });
    expect(isConcurrencyFailure(err)).toBe(true);
    expect(answerFailure('publish to x', { status: 502, text: 'bad gateway' })).toMatchObject({ status: 502, detail: 'bad gateway' });
  });

  it.each([
    [409, 'failed saving state: possible etag mismatch', true],
    [500, 'error while executing state transaction: no item was updated', true],
    [500, 'connection refused', false],
    [undefined, 'fetch failed', false],
  ])('status %s "%s" is a concurrency failure: %s', (status, detail, expected) => expect(isConcurrencyFailure(new DaprError('op', status, detail))).toBe(expected));
});

describe('small parsers', () => {
  it.each([
    ['"12"', '12'],
    ['W/"12"', '12'],
    ['12', '12'],
    ['*', undefined],
    [undefined, undefined],
  ])('If-Match %s names ETag %s', (header, etag) => expect(parseIfMatch(header)).toBe(etag));

  it('parses a delivered CloudEvent, and says why something is not one', () => {
    expect(parseIncoming({ id: '1', type: 't', source: 's', specversion: '1.0', datacontenttype: 'application/json', data: '{"a":1}' })).toMatchObject({ id: '1', data: { a: 1 } });
    expect(parseIncoming({ id: '1', type: 't', specversion: '1.0' })).toBe('the CloudEvent has no "source"');
    expect(parseIncoming([1])).toBe('the delivery is not a JSON object');
  });
});

describe('SidecarHttp', () => {
  it('reuses kept-alive sockets, sends the body with its type, returns any status with the text, and keeps its deadline', async () => {
    const seen: Array<{ method?: string; url?: string; type?: string; body: string; socket: unknown }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body, socket: req.socket });
        if (req.url === '/slow') return; // never answers
        res.writeHead(req.url === '/fail' ? 500 : 204).end(req.url === '/fail' ? 'boom' : undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const http = new SidecarHttp('127.0.0.1', (server.address() as AddressInfo).port, 200);
    try {
      expect(await http.call('POST', '/v1.0/publish/p/t?metadata.partitionKey=k', { text: '{"a":1}', contentType: 'application/cloudevents+json' })).toEqual({ status: 204, text: '' });
      expect(await http.call('GET', '/fail')).toEqual({ status: 500, text: 'boom' });
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1.0/publish/p/t?metadata.partitionKey=k', type: 'application/cloudevents+json', body: '{"a":1}' });
      expect(seen[1]!.socket).toBe(seen[0]!.socket);
      await expect(http.call('GET', '/slow')).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      http.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
