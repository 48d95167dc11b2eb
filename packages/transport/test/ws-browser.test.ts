/**
 * The neutral WebSocket client transport (src/ws-client.ts) in a real browser: Debian's headless
 * Chromium, driven with playwright-core, loads a page whose script is src/ws-client.ts plus
 * @sipts/message bundled by esbuild for the browser at test time. The page opens a `sip`
 * WebSocket (the browser's own WebSocket) to a listenWs server on loopback.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeResponse, parseMessage, serializeMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../src/node/connection.js';
import { listenWs, type WsListener } from '../src/node/ws.js';
import { DEFAULT_TRANSPORT_LIMITS, silentLogger } from '../src/types.js';

const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));

/** The page's script: the client transport and the message helpers, on `globalThis.sipts`. */
const ENTRY = `
import { createWsTransport } from '../src/ws-client.ts';
import { makeResponse, parseMessage } from '@sipts/message';
globalThis.sipts = { createWsTransport, makeResponse, parseMessage };
`;

async function bundle(): Promise<string> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: here, sourcefile: 'ws-browser-entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser', // a Node built-in anywhere in the graph fails the build
    conditions: ['@sipts/source'],
    target: 'es2022',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  return out.text;
}

/** What the page reports back. */
interface PageReport {
  stateBefore: string;
  stateAfter: string;
  response: { status: number; reason: string; callId: unknown; cseq: unknown; remote: { protocol: string; address: string; port: number; flowId?: string } };
  request: { method: string; callId: unknown; flowId?: string };
  answeredRequest: boolean;
}

describe('createWsTransport in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let web: Server | undefined;
  let listener: WsListener | undefined;
  const received: { conn: Connection; message: SipRequest | SipResponse }[] = [];
  const pageErrors: string[] = [];
  let webUrl = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the browser test needs Debian's chromium (run scripts/ensure-chromium.sh)`);
    }
    const script = await bundle();
    const html = '<!doctype html><meta charset="utf-8"><title>sipts ws</title><script src="/bundle.js"></script>';
    web = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => web!.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${String((web.address() as { port: number }).port)}/`;

    // The Node side: answers OPTIONS with 200, then sends a MESSAGE back over the same flow.
    listener = await listenWs(
      { port: 0, address: '127.0.0.1', path: '/sip', limits: DEFAULT_TRANSPORT_LIMITS, logger: silentLogger },
      {
        onOpen: () => true,
        onFrame: (conn, bytes) => {
          const message = parseMessage(bytes) as SipRequest | SipResponse;
          received.push({ conn, message });
          if ('method' in message && message.method === 'OPTIONS') {
            const answer = async (): Promise<void> => {
              await conn.write(serializeMessage(makeResponse(message, 200, 'OK')));
              const text =
                'MESSAGE sip:browser@example.invalid SIP/2.0\r\n' +
                'Via: SIP/2.0/WS 127.0.0.1;branch=z9hG4bKnode1\r\nMax-Forwards: 70\r\n' +
                'To: <sip:browser@example.invalid>\r\nFrom: <sip:node@example.invalid>;tag=n1\r\n' +
                'Call-ID: node-to-browser@test\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
              await conn.write(new TextEncoder().encode(text));
            };
            void answer();
          }
        },
        onClose: () => undefined,
      },
    );

    const args = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(webUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    if (web) {
      web.closeAllConnections();
      await new Promise((resolve) => web!.close(resolve));
    }
  });

  it('sends an OPTIONS and gets the 200, and answers a MESSAGE from the server', async () => {
    const wsUrl = `ws://127.0.0.1:${String(listener!.port)}/sip`;
    const report = await page!.evaluate(async (url: string): Promise<PageReport> => {
      const { createWsTransport, makeResponse: respond, parseMessage: parse } = (globalThis as any).sipts;
      const options = parse(
        'OPTIONS sip:node@127.0.0.1 SIP/2.0\r\n' +
          'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKbrowser1\r\nMax-Forwards: 70\r\n' +
          'To: <sip:node@127.0.0.1>\r\nFrom: <sip:browser@example.invalid>;tag=b1\r\n' +
          'Call-ID: browser-options@test\r\nCSeq: 7 OPTIONS\r\nUser-Agent: chromium-page\r\nContent-Length: 0\r\n\r\n',
      );
      return await new Promise<PageReport>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('the page saw no 200 and MESSAGE in 5 s'));
        }, 5000);
        const partial: Partial<PageReport> = {};
        const finish = (): void => {
          if (partial.response && partial.request && partial.answeredRequest) {
            clearTimeout(timer);
            resolve({ ...partial, stateAfter: transport.state } as PageReport);
          }
        };
        const transport = createWsTransport(
          { url, reconnect: false },
          {
            onResponse: (rs: any, remote: any) => {
              partial.response = { status: rs.status, reason: rs.reason, callId: rs.headers['call-id'], cseq: rs.headers.cseq, remote };
              finish();
            },
            onRequest: (rq: any, remote: any) => {
              partial.request = { method: rq.method, callId: rq.headers['call-id'], flowId: remote.flowId };
              transport.send(respond(rq, 200, 'OK')).then(
                () => {
                  partial.answeredRequest = true;
                  finish();
                },
                (e: Error) => {
                  reject(e);
                },
              );
            },
          },
        );
        partial.stateBefore = transport.state;
        transport.send(options).catch((e: Error) => {
          reject(e);
        });
      });
    }, wsUrl);

    expect(pageErrors).toEqual([]);
    expect(report.stateBefore).toBe('connecting');
    expect(report.stateAfter).toBe('open');
    expect(report.response.status).toBe(200);
    expect(report.response.reason).toBe('OK');
    expect(report.response.callId).toBe('browser-options@test');
    expect(report.response.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
    expect(report.response.remote).toMatchObject({ protocol: 'WS', address: '127.0.0.1', port: listener!.port });
    expect(report.request).toEqual({ method: 'MESSAGE', callId: 'node-to-browser@test', flowId: report.response.remote.flowId });

    // What the Node side received: the browser's OPTIONS, then its 200 for the MESSAGE, on one flow.
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
    const [first, second] = received;
    expect(first!.message).toMatchObject({ method: 'OPTIONS', headers: { 'call-id': 'browser-options@test', 'user-agent': 'chromium-page' } });
    expect(second!.message).toMatchObject({ status: 200, headers: { 'call-id': 'node-to-browser@test' } });
    expect(second!.conn).toBe(first!.conn);
    expect(first!.conn.protocol).toBe('WS');
    expect(first!.conn.remote.address).toBe('127.0.0.1');
  });
});
