/**
 * {@link CallMedia} on the browser's WebRTC: one RTCPeerConnection with the microphone's audio
 * track, no STUN or TURN server (host candidates only), and the SDP sent once ICE gathering is
 * complete, because a SIP offer or answer is one message (no trickle ICE).
 * @see RFC 3264, RFC 8829 (JSEP) §5.2–§5.3, RFC 8839 §5.1 (candidates in SDP)
 */
import { MediaError, type CallMedia } from './call-media.js';

/** Options of {@link createWebRtcMedia}. */
export interface WebRtcMediaOptions {
  /** Where the peer's audio plays (an `<audio>` element); none: not played. */
  output?: HTMLAudioElement;
  /** ICE servers; default none (host candidates: a LAN, or one machine). */
  iceServers?: RTCIceServer[];
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') {
      resolve();
      return;
    }
    const check = (): void => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * Creates the media of one call. The microphone is asked for on the first offer or answer.
 * @throws MediaError (from its methods) when the microphone is refused or the SDP is not usable
 * @example const media = createWebRtcMedia({ output: audioElement }); const sdp = await media.offer();
 */
export function createWebRtcMedia(options: WebRtcMediaOptions = {}): CallMedia {
  const pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
  let stream: MediaStream | undefined;
  let closed = false;
  pc.addEventListener('track', (ev) => {
    const out = options.output;
    if (out === undefined) return;
    out.srcObject = ev.streams[0] ?? new MediaStream([ev.track]);
    void out.play().catch(() => undefined); // autoplay may be refused before a click: the call still runs
  });

  async function microphone(): Promise<void> {
    if (stream !== undefined) return;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    } catch (e) {
      throw new MediaError('The page may not use the microphone (allow it in the browser, or plug one in).', { cause: e });
    }
    if (closed) {
      for (const t of stream.getTracks()) t.stop();
      throw new MediaError('The call ended.');
    }
    for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
  }

  async function local(description: Promise<RTCSessionDescriptionInit>): Promise<string> {
    await pc.setLocalDescription(await description);
    await gathered(pc);
    const sdp = pc.localDescription?.sdp;
    if (sdp === undefined || sdp === '') throw new MediaError('The browser made no session description.');
    return sdp;
  }

  return {
    async offer() {
      await microphone();
      return local(pc.createOffer());
    },
    async answer(offer) {
      await microphone();
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      } catch (e) {
        throw new MediaError('The caller offered media this browser cannot use.', { cause: e });
      }
      return local(pc.createAnswer());
    },
    async accept(answer) {
      try {
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      } catch (e) {
        throw new MediaError('The other side answered with media this browser cannot use.', { cause: e });
      }
    },
    async bytesReceived() {
      if (closed) return undefined;
      const report = await pc.getStats();
      let bytes: number | undefined;
      report.forEach((s: { type?: string; kind?: string; bytesReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.bytesReceived === 'number') bytes = (bytes ?? 0) + s.bytesReceived;
      });
      return bytes;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const t of stream?.getTracks() ?? []) t.stop();
      pc.close();
      if (options.output !== undefined) options.output.srcObject = null;
    },
  };
}
