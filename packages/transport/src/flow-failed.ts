/**
 * The typed error of a request that was to go over a flow (`Target.flowId`) whose connection is
 * closing or closed: RFC 5626 §5.3 says a proxy answers such a request 430 (Flow Failed), and
 * must not open a new connection in its place.
 * @see RFC 5626 §5.3
 */
import { SipError } from '@sipts/message';

/** The `SipError` code of {@link flowFailed}. */
export const FLOW_FAILED = 'flow-failed';

/**
 * A `SipError` with code `flow-failed` and status 430 for flow `flowId`.
 * @example throw flowFailed(target.flowId, e)
 * @see RFC 5626 §5.3
 */
export function flowFailed(flowId: string, cause?: unknown): SipError {
  return new SipError(FLOW_FAILED, `the flow ${flowId} is closing or closed`, cause === undefined ? { status: 430 } : { status: 430, cause });
}

/**
 * True when `e` says a request could not be sent because its flow is gone (the `SipError` code
 * `flow-failed`): a proxy answers it 430 Flow Failed, other send failures 503 (RFC 3261 §8.1.3.1).
 * @example if (isFlowFailed(e)) answer(430)
 * @see RFC 5626 §5.3
 */
export function isFlowFailed(e: unknown): e is SipError {
  return e instanceof SipError && e.code === FLOW_FAILED;
}
