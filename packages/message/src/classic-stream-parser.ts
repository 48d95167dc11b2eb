/**
 * The classic `sip.makeStreamParser`, on top of {@link createStreamFramer}.
 */
import { SipParseError } from './errors.js';
import { parseMessage } from './parse-message.js';
import { createStreamFramer } from './stream-framer.js';
import { bytesOfInput } from './text.js';
import type { Parsed, SipMessage } from './types.js';

/**
 * Returns a function to feed stream chunks to; `onMessage` gets each valid message. A message
 * whose header fails to parse is skipped (framing continues after it); a framing error or a
 * limit exceeded calls `onFlood` with the error, after which the stream must be closed.
 * @example socket.on('data', makeStreamParser((m) => handle(m), () => socket.destroy()))
 */
export function makeStreamParser(
  onMessage: (m: Parsed<SipMessage>) => void,
  onFlood?: (error: SipParseError) => void,
  maxBytesHeaders = 60480,
  maxContentLength = 604800,
): (chunk: Uint8Array | string) => void {
  const framer = createStreamFramer({ maxHeaderBytes: maxBytesHeaders, maxBodyBytes: maxContentLength });
  let failed = false;
  return (chunk) => {
    if (failed) return;
    let frames: Uint8Array[];
    try {
      frames = framer.push(typeof chunk === 'string' ? bytesOfInput(chunk) : chunk);
    } catch (e) {
      failed = true;
      if (e instanceof SipParseError) onFlood?.(e);
      return;
    }
    for (const frame of frames) {
      let m: Parsed<SipMessage> | undefined;
      try {
        m = parseMessage(frame, { framing: 'stream', maxHeaderBytes: maxBytesHeaders, maxBodyBytes: maxContentLength });
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
      if (m !== undefined) onMessage(m);
    }
  };
}
