/**
 * A small UAC on `createStack` for the interop tests (sipp as UAS behind it): INVITE, wait for the
 * 200, ACK it (and every retransmission of it), BYE, wait for the BYE's 200. The ACK for a 2xx is
 * the UA core's (RFC 3261 §13.2.2.4): a new branch, the INVITE's CSeq number with method ACK, the
 * To tag of the 2xx, sent to the remote target (the 2xx's Contact) with no transaction.
 * @see RFC 3261 §13.2.2.4, §12.2.1.1, §15.1.1
 */
import { parseUri, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag, type Target } from '@sipts/transport';
import type { Stack } from '../src/node/index.js';

/** How one call went. */
export interface CallOutcome {
  /** Every status the INVITE got, in order (provisional, final, 2xx retransmissions). */
  inviteStatuses: number[];
  /** The INVITE's final status. */
  invite: number;
  /** ACKs sent (one per 2xx received). */
  acks: number;
  /** ACKs the transport could not send. */
  ackErrors: number;
  /** The BYE's final status, or undefined when there was no 2xx to end. */
  bye: number | undefined;
}

/** Where the UAC calls. */
export interface UacOptions {
  /** The peer (sipp) to send the INVITE to. */
  target: Target;
  /** The Request-URI of the INVITE. */
  uri: string;
  /** The stack's own address for From and Contact (default 127.0.0.1). */
  address?: string;
}

/** A UAC that runs calls one after another or side by side. */
export interface Uac {
  call(): Promise<CallOutcome>;
  /** `n` calls, at most `concurrency` at a time. */
  calls(n: number, concurrency: number): Promise<CallOutcome[]>;
}

const SDP =
  'v=0\r\n' +
  'o=sipts 2 2 IN IP4 127.0.0.1\r\n' +
  's=-\r\n' +
  'c=IN IP4 127.0.0.1\r\n' +
  't=0 0\r\n' +
  'm=audio 49172 RTP/AVP 0\r\n' +
  'a=rtpmap:0 PCMU/8000\r\n';

/** The target of a remote target URI (the 2xx's Contact), or `fallback` when it has no usable host and port. */
export function targetOfContact(uri: string | undefined, fallback: Target): Target {
  const parsed = uri === undefined ? undefined : parseUri(uri);
  if (parsed?.schema !== 'sip' || !('host' in parsed)) return fallback;
  const transport = typeof parsed.params.transport === 'string' ? parsed.params.transport.toUpperCase() : 'UDP';
  const protocol = transport === 'TCP' ? 'TCP' : transport === 'UDP' ? 'UDP' : undefined;
  if (protocol === undefined || parsed.port === undefined) return fallback;
  return { protocol, address: parsed.host.replace(/^\[|\]$/g, ''), port: parsed.port };
}

/** Creates the UAC on a started stack. */
export function createUac(stack: Stack, options: UacOptions): Uac {
  const address = options.address ?? '127.0.0.1';
  let n = 0;

  function contact(): { uri: string; params: Record<string, never> } {
    const protocol = options.target.protocol === 'TCP' ? 'TCP' : 'UDP';
    const port = stack.transport.listening.find((l) => l.protocol === protocol)?.port ?? 0;
    return { uri: `sip:uac@${address}:${String(port)}${protocol === 'TCP' ? ';transport=tcp' : ''}`, params: {} };
  }

  /** An in-dialog request after the 2xx (§12.2.1.1): to the remote target, with the To tag. */
  function inDialog(method: string, seq: number, invite: SipRequest, ok: SipResponse): SipRequest {
    const to = ok.headers.to;
    if (to === undefined) throw new Error('a 2xx without To');
    return {
      method,
      uri: ok.headers.contact?.[0]?.uri ?? invite.uri,
      headers: {
        to,
        from: invite.headers.from ?? { uri: `sip:uac@${address}`, params: {} },
        'call-id': invite.headers['call-id'] ?? '',
        cseq: { seq, method },
        'max-forwards': '70',
        ...(method === 'BYE' ? { contact: [contact()] } : {}),
      },
      content: '',
    };
  }

  async function call(): Promise<CallOutcome> {
    n++;
    const invite: SipRequest = {
      method: 'INVITE',
      uri: options.uri,
      headers: {
        to: { uri: options.uri, params: {} },
        from: { uri: `sip:uac@${address}`, params: { tag: generateTag() } },
        'call-id': `uac-${String(n)}-${generateTag()}@${address}`,
        cseq: { seq: 1, method: 'INVITE' },
        'max-forwards': '70',
        contact: [contact()],
        'content-type': 'application/sdp',
      },
      content: SDP,
    };
    const outcome: CallOutcome = { inviteStatuses: [], invite: 0, acks: 0, ackErrors: 0, bye: undefined };
    const acksSent: Promise<void>[] = [];
    let ackTarget = options.target;
    const final = await stack.send(invite, {
      target: options.target,
      onResponse(rs) {
        outcome.inviteStatuses.push(rs.status);
        if (rs.status < 200 || rs.status >= 300) return;
        // §13.2.2.4: an ACK for each 2xx the transaction layer passes up, retransmissions included.
        ackTarget = targetOfContact(rs.headers.contact?.[0]?.uri, options.target);
        outcome.acks++;
        acksSent.push(
          stack.sendAck(inDialog('ACK', 1, invite, rs), { target: ackTarget }).catch(() => {
            outcome.ackErrors++;
          }),
        );
      },
    }).final;
    outcome.invite = final.status;
    await Promise.all(acksSent);
    if (final.status < 200 || final.status >= 300) return outcome;
    const bye = await stack.send(inDialog('BYE', 2, invite, final), { target: ackTarget }).final;
    outcome.bye = bye.status;
    return outcome;
  }

  return {
    call,
    async calls(count, concurrency) {
      const out: CallOutcome[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          next++;
          out.push(await call());
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return out;
    },
  };
}
