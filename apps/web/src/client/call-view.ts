/**
 * The call panel of client.html: a callee field and a Call button, the incoming-call prompt
 * (Accept, Decline), Hang up, the call state, and while connected the audio received so far. It
 * drives a {@link Phone} and shows its events; the SIP work is in the phone and the agent.
 */
import type { CallEvent, CallState, Phone } from './phone.js';

function el<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`client.html has no #${id} of the expected kind`);
  return found;
}

/** The panel's elements. */
interface Parts {
  dial: HTMLFormElement;
  callee: HTMLInputElement;
  callButton: HTMLButtonElement;
  incoming: HTMLElement;
  incomingText: HTMLElement;
  accept: HTMLButtonElement;
  decline: HTMLButtonElement;
  hangUp: HTMLButtonElement;
  state: HTMLOutputElement;
  audio: HTMLOutputElement;
}

function parts(): Parts {
  return {
    dial: el('dial', HTMLFormElement),
    callee: el('callee', HTMLInputElement),
    callButton: el('call-button', HTMLButtonElement),
    incoming: el('incoming', HTMLElement),
    incomingText: el('incoming-text', HTMLElement),
    accept: el('accept', HTMLButtonElement),
    decline: el('decline', HTMLButtonElement),
    hangUp: el('hang-up', HTMLButtonElement),
    state: el('call-state', HTMLOutputElement),
    audio: el('call-audio', HTMLOutputElement),
  };
}

function stateText(e: CallEvent): string {
  const who = e.peer ?? '';
  const text: Record<CallState, string> = {
    idle: e.note ?? 'no call',
    calling: `calling ${who}…`,
    ringing: `${who} is ringing…`,
    incoming: `${who} is calling`,
    answering: `answering ${who}…`,
    connected: `in a call with ${who}`,
  };
  return text[e.state];
}

/** `12345` → `12.3 kB`. */
export function formatBytes(n: number): string {
  return n < 1000 ? `${String(n)} B` : `${(n / 1000).toFixed(1)} kB`;
}

/**
 * Binds the panel to `phone`; returns a function that unbinds it (on sign-out).
 * @example const unbind = bindCallView(createPhone({ agent, media }), (msg) => showError(msg));
 */
export function bindCallView(phone: Phone, showError: (message: string) => void): () => void {
  const p = parts();
  let poll: ReturnType<typeof setInterval> | undefined;
  const report = (e: unknown): void => {
    showError(e instanceof Error ? e.message : String(e));
  };

  const stopPoll = (): void => {
    if (poll !== undefined) clearInterval(poll);
    poll = undefined;
  };
  const showAudio = (): void => {
    void phone.bytesReceived().then((n) => {
      if (n === undefined) return;
      p.audio.dataset.bytes = String(n);
      p.audio.textContent = `audio received: ${formatBytes(n)}`;
    });
  };

  const show = (e: CallEvent): void => {
    p.state.dataset.state = e.state;
    p.state.textContent = stateText(e);
    p.incoming.hidden = e.state !== 'incoming';
    p.incomingText.textContent = e.state === 'incoming' ? `Incoming call from ${e.peer ?? 'unknown'}` : '';
    p.hangUp.hidden = e.state === 'idle' || e.state === 'incoming';
    p.callButton.disabled = e.state !== 'idle';
    p.callee.disabled = e.state !== 'idle';
    if (e.state === 'connected') {
      showAudio();
      poll ??= setInterval(showAudio, 1000);
    } else {
      stopPoll();
    }
    if (e.state === 'idle') {
      delete p.audio.dataset.bytes;
      p.audio.textContent = '';
    }
    if (e.state === 'incoming') p.accept.focus();
  };

  const onDial = (ev: SubmitEvent): void => {
    ev.preventDefault();
    const to = p.callee.value.trim();
    if (to === '') return;
    showError('');
    phone.call(to).catch(report);
  };
  const onAccept = (): void => void phone.accept().catch(report);
  const onDecline = (): void => void phone.decline().catch(report);
  const onHangUp = (): void => void phone.hangUp().catch(report);

  p.dial.addEventListener('submit', onDial);
  p.accept.addEventListener('click', onAccept);
  p.decline.addEventListener('click', onDecline);
  p.hangUp.addEventListener('click', onHangUp);
  const off = phone.onChange(show);
  show({ state: phone.state, peer: undefined, direction: undefined, note: undefined });

  return () => {
    off();
    stopPoll();
    p.dial.removeEventListener('submit', onDial);
    p.accept.removeEventListener('click', onAccept);
    p.decline.removeEventListener('click', onDecline);
    p.hangUp.removeEventListener('click', onHangUp);
    phone.dispose();
    show({ state: 'idle', peer: undefined, direction: undefined, note: undefined });
  };
}
