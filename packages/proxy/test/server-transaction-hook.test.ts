/**
 * createProxyStack's onServerTransaction: the hook sees each new server transaction, with its
 * request, before the proxy core hands the request to the route callback.
 */
import { makeResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { afterEach, describe, expect, it } from 'vitest';
import { drainAndStop, newRequest, startProxy, startStack } from './helpers.js';

afterEach(async () => {
  await drainAndStop();
});

describe('createProxyStack onServerTransaction', () => {
  it('reports each server transaction before the route callback gets its request', async () => {
    const order: string[] = [];
    const seen: ServerTransactionHandle[] = [];
    const proxy = await startProxy(
      {
        onServerTransaction: (st, rq) => {
          seen.push(st);
          order.push(`hook ${rq.method}`);
        },
      },
      (p, rq) => {
        order.push(`route ${rq.method}`);
        p.send(makeResponse(rq, 404));
      },
    );
    const caller = await startStack();
    const rs = await caller.send(newRequest('OPTIONS', 'sip:nobody@example.invalid', proxy.stack)).final;
    expect(rs.status).toBe(404);
    expect(order).toEqual(['hook OPTIONS', 'route OPTIONS']);
    expect(seen).toHaveLength(1);
  });
});
