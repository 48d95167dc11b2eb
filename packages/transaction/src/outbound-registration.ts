/**
 * The client side of an RFC 5626 outbound registration as the stack sees it: a 2xx to a REGISTER
 * that the registrar marked as outbound (`Require: outbound`, §6) or that carries `Flow-Timer`
 * (§4.4.1) starts keep-alives on the flow it came over, with the Flow-Timer as their interval.
 * @see RFC 5626 §4.4.1, §6
 */
import type { HeaderValue, SipResponse } from '@sipts/message';
import type { Remote, Target } from '@sipts/transport';

function texts(value: HeaderValue | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return [typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value)];
}

/** What a REGISTER 2xx says about keep-alives: undefined when it is not an outbound registration. */
export interface OutboundRegistration {
  /** The flow to keep alive (the connection, or the server's UDP address). */
  target: Target;
  /** Flow-Timer in seconds, when the registrar sent one. */
  flowTimerSeconds: number | undefined;
}

/**
 * Reads an outbound registration out of a response and the flow it arrived on.
 * @example const reg = outboundRegistration(rs, remote); if (reg) transport.keepAlive(reg.target, reg)
 * @see RFC 5626 §4.4.1, §6
 */
export function outboundRegistration(response: SipResponse, remote: Remote): OutboundRegistration | undefined {
  if (response.status < 200 || response.status >= 300 || response.headers.cseq?.method !== 'REGISTER') return undefined;
  const requires = texts(response.headers.require).flatMap((t) => t.split(',')).map((t) => t.trim().toLowerCase());
  const timer = texts(response.headers['flow-timer'])[0]?.trim();
  const seconds = timer !== undefined && /^\d{1,9}$/.test(timer) ? Number(timer) : undefined;
  if (!requires.includes('outbound') && seconds === undefined) return undefined;
  const target: Target = { protocol: remote.protocol, address: remote.address, port: remote.port };
  if (remote.flowId !== undefined) target.flowId = remote.flowId;
  return { target, flowTimerSeconds: seconds !== undefined && seconds > 0 ? seconds : undefined };
}
