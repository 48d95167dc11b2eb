/**
 * `Stack.send` with targets the caller gives: the request reaches the transport before `send`
 * returns (no Promise, no microtask: a proxy's branches, the facade's sends), yet the caller's
 * `onResponse` never runs before `send` has returned; `final` is made only when read, and read
 * late it still holds the first final response. Neutral stack, a recording port, a fake clock.
 * @see RFC 3261 §8.1.3, §17.1
 */
import { makeResponse, SipError, type SipRequest } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { stackOn, TARGET } from './recording-stack.js';


function options(): SipRequest {
  const uri = 'sip:bob@127.0.0.1:5099';
  return {
    method: 'OPTIONS',
    uri,
    headers: {
      to: { uri, params: {} },
      from: { uri: 'sip:alice@127.0.0.1', params: { tag: generateTag() } },
      'call-id': `send-now-${generateTag()}`,
      cseq: { seq: 1, method: 'OPTIONS' },
      'max-forwards': '70',
      'content-length': 0,
    },
  };
}

describe('Stack.send with the targets given', () => {
  it('hands the request to the transport before send returns', () => {
    const { stack, sent } = stackOn(() => 'sent');
    stack.send(options(), { target: TARGET });
    expect(sent).toHaveLength(1);
    stack.send(options(), { targets: [TARGET] });
    expect(sent).toHaveLength(2);
  });

  it('still resolves a next hop asynchronously when no target is given', async () => {
    const { stack, sent } = stackOn(() => 'sent');
    stack.send(options());
    expect(sent).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve)); // the resolver's promise and its then
    expect(sent).toHaveLength(1);
  });

  it('sends at once when resolveNow knows the next hop, and asks it with the Route of a loose router', () => {
    const asked: unknown[] = [];
    const { stack, sent } = stackOn(
      () => 'sent',
      (uri) => {
        asked.push(uri);
        return [TARGET];
      },
    );
    stack.send(options());
    expect(sent).toHaveLength(1);
    const routed = options();
    routed.headers.route = [{ uri: 'sip:127.0.0.2:5070;lr', params: {} }];
    stack.send(routed);
    expect(sent).toHaveLength(2);
    expect(asked[0]).toBe('sip:bob@127.0.0.1:5099');
    expect(asked[1]).toMatchObject({ host: '127.0.0.2', port: 5070 });
  });

  it('falls back to resolve when resolveNow does not know the next hop', async () => {
    const { stack, sent } = stackOn(
      () => 'sent',
      () => undefined,
    );
    stack.send(options());
    expect(sent).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(1);
  });

  it('sends an ACK for a 2xx at once to a known next hop, and rejects one with no target', async () => {
    const { stack, sent } = stackOn(
      () => 'sent',
      () => [TARGET],
    );
    const ack = { ...options(), method: 'ACK' };
    ack.headers = { ...ack.headers, cseq: { seq: 1, method: 'ACK' } };
    const done = stack.sendAck(ack);
    expect(sent.map((rq) => rq.method)).toEqual(['ACK']);
    await done;
    await expect(stack.sendAck(ack, { targets: [] })).rejects.toMatchObject({ code: 'send-failed', status: 503 });
  });

  it('reports a send that failed at once after send returned, as a 503', async () => {
    const { stack } = stackOn(() => new SipError('send-failed', 'refused', { status: 503 }));
    const seen: number[] = [];
    let returned = false;
    const handle = stack.send(options(), {
      target: TARGET,
      onResponse: (rs) => {
        expect(returned).toBe(true);
        seen.push(rs.status);
      },
    });
    returned = true;
    expect(seen).toEqual([]);
    expect((await handle.final).status).toBe(503);
    expect(seen).toEqual([503]);
  });

  it.each([
    ['a transport error', 503, new SipError('send-failed', 'refused', { status: 503 })],
    ['a flow that failed (RFC 5626 §5.3)', 430, new SipError('flow-failed', 'the flow closed', { status: 430 })],
  ] as const)('reports a send that threw %s at once after send returned, as a %i', async (_what, status, error) => {
    const { stack } = stackOn(() => {
      throw error;
    });
    const seen: number[] = [];
    let returned = false;
    const handle = stack.send(options(), {
      target: TARGET,
      onResponse: (rs) => {
        seen.push(returned ? rs.status : -rs.status);
      },
    });
    returned = true;
    expect(seen).toEqual([]);
    expect((await handle.final).status).toBe(status);
    expect(seen).toEqual([status]);
  });

  it('gives `final` the first final response even when read after it came', async () => {
    const { stack, sent, receive } = stackOn(() => 'sent');
    const seen: number[] = [];
    const handle = stack.send(options(), { target: TARGET, onResponse: (rs) => seen.push(rs.status) });
    const request = sent[0] as SipRequest;
    receive(makeResponse(request, 200, undefined, { toTag: generateTag() }));
    expect(seen).toEqual([200]);
    const first = handle.final;
    expect(handle.final).toBe(first); // one Promise, however often read
    expect((await first).status).toBe(200);
  });

  it('settles a `final` read before the response came', async () => {
    const { stack, sent, receive } = stackOn(() => 'sent');
    const handle = stack.send(options(), { target: TARGET });
    const final = handle.final;
    receive(makeResponse(sent[0] as SipRequest, 404, undefined, { toTag: generateTag() }));
    expect((await final).status).toBe(404);
  });
});
