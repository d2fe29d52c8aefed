/**
 * A small HTTP/1.1 client for the sidecar's own API on loopback: kept-alive sockets (a node:http Agent),
 * a deadline per call, the answer read as text. sdk-port.ts sends through it what @dapr/dapr lacks (the
 * Jobs API, a health check with a short deadline) and the two calls every task change makes (the state
 * transaction and the publish): @dapr/dapr's HTTP client (node-fetch, with the SDK's own layers) spent
 * about a third of the API process's CPU per create, measured with `npm run bench -- app`.
 */
import { Agent, request } from 'node:http';

export interface SidecarAnswer {
  status: number;
  text: string;
}

export class SidecarHttp {
  private readonly agent = new Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 64 });

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  /** One call; rejects when the sidecar cannot be reached or does not answer within the deadline. */
  call(method: string, path: string, body?: { text: string; contentType: string }, timeoutMs = this.timeoutMs): Promise<SidecarAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = body ? { 'content-type': body.contentType, 'content-length': Buffer.byteLength(body.text) } : {};
      const req = request({ host: this.host, port: this.port, method, path, agent: this.agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body?.text);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
