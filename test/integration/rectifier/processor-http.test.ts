import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfrastructureError, RetryableError } from '../../../lib/errors';
import { ProcessorResponseError } from '../../../lib/rectifier/processor-adapter';
import { ProcessorHttp, ProcessorTemporaryError, ProcessorUnavailableError } from '../../../lib/rectifier/processor-http';

describe('ProcessorHttp', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: Array<{ authorization?: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ authorization: req.headers.authorization });
      const path = (req.url ?? '').replace(/^\/api/, '');
      if (path === '/slow') return; // never answers
      if (path === '/busy') return void res.writeHead(503).end('{}');
      const page = /^\/page-(\d{3})$/.exec(path);
      if (page) return void res.writeHead(Number(page[1]), { 'content-type': 'text/html' }).end(`<html><body><h1>${page[1]} Service Temporarily Unavailable</h1></body></html>`);
      if (path === '/not-implemented') return void res.writeHead(501).end(JSON.stringify({ error: 'not implemented' }));
      if (path === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      if (path === '/failing') return void res.writeHead(500).end(JSON.stringify({ error: 'internal error' }));
      if (path === '/throttled') return void res.writeHead(429).end('{}');
      if (path === '/refused') return void res.writeHead(422).end(JSON.stringify({ error: 'card of donor@example.org declined' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (timeoutMs = 2000) => new ProcessorHttp({ baseUrl, timeoutMs, apiKey: 'k-123' });

  it('should return the JSON answer and send the API key as a bearer token', async () => {
    await expect(client().request('GET', '/ok')).resolves.toEqual({ status: 200, body: { ok: true } });
    expect(seen.at(-1)).toEqual({ authorization: 'Bearer k-123' });
  });

  it('should count a request without an answer in time as an outage', async () => {
    const attempt = client(200).request('GET', '/slow');

    await expect(attempt).rejects.toThrow(ProcessorUnavailableError);
    await expect(attempt).rejects.toThrow('no answer within 200 ms');
  });

  it('should count 503 as an outage', async () => {
    await expect(client().request('GET', '/busy')).rejects.toBeInstanceOf(InfrastructureError);
  });

  it('should count an error answer as the processor refusing the payment, without personal data in the text', async () => {
    const attempt = client().request('POST', '/refused', {});

    await expect(attempt).rejects.toThrow(ProcessorResponseError);
    await expect(attempt).rejects.toThrow('HTTP 422: card of [redacted] declined');
  });

  it.each(['502', '503', '504', '500', '429'])('should count an HTML %s page from in front of the processor as an outage, not a refusal', async (status) => {
    const attempt = client().request('GET', `/page-${status}`);

    await expect(attempt).rejects.toThrow(ProcessorUnavailableError);
    await expect(attempt).rejects.toThrow(`is unavailable (HTTP ${status}, answer is not JSON)`);
  });

  it.each(['/failing', '/throttled', '/not-implemented'])('should count %s (HTTP 500, 429 or another 5xx) as a temporary failure of this request, to be retried later', async (path) => {
    const attempt = client().request('GET', path);

    await expect(attempt).rejects.toThrow(ProcessorTemporaryError);
    await expect(attempt).rejects.toBeInstanceOf(RetryableError);
    await expect(attempt).rejects.not.toBeInstanceOf(InfrastructureError);
  });

  it('should refuse an answer that is not JSON', async () => {
    await expect(client().request('GET', '/html')).rejects.toThrow('answer is not JSON');
  });
});
