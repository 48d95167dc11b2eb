/**
 * The WebSocket client page (client.html): signs in with a SIP address, password and server
 * URL, shows the registration state, and chats with MESSAGE. All SIP work is in the user agent.
 */
import { bindCallView } from './call-view.js';
import { createChatView, shortAddress } from './chat-view.js';
import { isClientError } from './errors.js';
import { newInstanceId } from './identity.js';
import { createPhone } from './phone.js';
import { createUserAgent, type RegistrationState, type UserAgent } from './user-agent.js';
import { createWebRtcMedia } from './webrtc-media.js';

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`client.html has no #${id} of the expected kind`);
  return el;
}

const STATE_TEXT: Record<RegistrationState, string> = {
  unregistered: 'signed out',
  registering: 'signing in…',
  registered: 'registered',
  reconnecting: 'reconnecting…',
  unregistering: 'signing out…',
  failed: 'not signed in',
};

const loginForm = byId('login', HTMLFormElement);
const addressInput = byId('address', HTMLInputElement);
const passwordInput = byId('password', HTMLInputElement);
const serverInput = byId('server', HTMLInputElement);
const signIn = byId('sign-in', HTMLButtonElement);
const logoutButton = byId('logout', HTMLButtonElement);
const stateOut = byId('state', HTMLOutputElement);
const errorOut = byId('error', HTMLParagraphElement);
const chat = byId('chat', HTMLElement);
const callPanel = byId('call', HTMLElement);
const remoteAudio = byId('remote-audio', HTMLAudioElement);
const compose = byId('compose', HTMLFormElement);
const peerInput = byId('peer', HTMLInputElement);
const textInput = byId('text', HTMLTextAreaElement);
const view = createChatView(byId('messages', HTMLOListElement));

let ua: UserAgent | undefined;
let unbindCalls: (() => void) | undefined;

function remembered(key: string): string | null {
  try {
    return localStorage.getItem(`sipts-client:${key}`);
  } catch (_e) {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    localStorage.setItem(`sipts-client:${key}`, value);
  } catch (_e) {
    // private mode: nothing to keep
  }
}

/** RFC 5626 §4.1: the instance id stays the same for this browser and address. */
function instanceIdFor(address: string): string {
  const key = `instance:${address}`;
  const known = remembered(key);
  if (known !== null && /^urn:uuid:[0-9a-f-]{36}$/.test(known)) return known;
  const id = newInstanceId();
  remember(key, id);
  return id;
}

function showError(message: string): void {
  errorOut.textContent = message;
}

function showState(state: RegistrationState, who?: string): void {
  stateOut.dataset.state = state;
  stateOut.textContent = state === 'registered' && who !== undefined ? `registered as ${who}` : STATE_TEXT[state];
  const signedIn = state === 'registered' || state === 'reconnecting' || state === 'unregistering';
  loginForm.hidden = signedIn;
  chat.hidden = !signedIn;
  callPanel.hidden = !signedIn;
  logoutButton.hidden = !signedIn;
  signIn.disabled = state === 'registering';
}

async function login(): Promise<void> {
  showError('');
  const address = addressInput.value.trim();
  const server = serverInput.value.trim();
  let agent: UserAgent;
  try {
    agent = createUserAgent({ address, password: passwordInput.value, server, instanceId: instanceIdFor(address) });
  } catch (e) {
    showError(isClientError(e) ? e.message : String(e));
    return;
  }
  ua = agent;
  const who = shortAddress(agent.aor.uri);
  agent.onState((e) => {
    if (ua !== agent) return;
    showState(e.state, who);
    if (e.state === 'registered') showError('');
    else if (e.error !== undefined) showError(e.error.message);
    // Signing out hangs up first, so the BYE leaves before the socket closes.
    if (e.state === 'unregistering' || e.state === 'failed' || e.state === 'unregistered') {
      unbindCalls?.();
      unbindCalls = undefined;
    }
    if (e.state === 'failed' || e.state === 'unregistered') ua = undefined;
  });
  unbindCalls?.();
  unbindCalls = bindCallView(createPhone({ agent, media: () => createWebRtcMedia({ output: remoteAudio }) }), showError);
  agent.onMessage((m) => {
    const peer = shortAddress(m.from);
    view.add({ direction: 'in', peer: m.fromName === undefined ? peer : `${m.fromName} <${peer}>`, text: m.text, at: m.at });
    if (peerInput.value.trim() === '') peerInput.value = peer;
  });
  remember('address', address);
  remember('server', server);
  try {
    await agent.login();
    passwordInput.value = '';
    (peerInput.value === '' ? peerInput : textInput).focus();
  } catch (_e) {
    // shown through the state event
    passwordInput.select();
  }
}

async function send(): Promise<void> {
  const agent = ua;
  const text = textInput.value;
  const to = peerInput.value.trim();
  if (agent === undefined || text.trim() === '' || to === '') return;
  textInput.value = '';
  const done = view.add({ direction: 'out', peer: shortAddress(to.includes('@') || to.startsWith('sip') ? to : `${to}@${agent.aor.domain}`), text, at: Date.now() });
  try {
    await agent.sendMessage(to, text);
    done({ ok: true });
  } catch (e) {
    const reason = isClientError(e) ? e.message : String(e);
    done({ ok: false, reason });
    showError(reason);
  }
}

loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void login();
});
compose.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void send();
});
textInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    void send();
  }
});
peerInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    ev.preventDefault();
    textInput.focus();
  }
});
document.addEventListener('keydown', (ev) => {
  if (chat.hidden) return;
  if (ev.altKey && ev.key.toLowerCase() === 't') {
    ev.preventDefault();
    peerInput.focus();
    peerInput.select();
  } else if (ev.key === 'Escape') {
    textInput.focus();
  }
});
logoutButton.addEventListener('click', () => {
  const agent = ua;
  if (agent !== undefined) void agent.logout();
});
window.addEventListener('pagehide', () => {
  if (ua !== undefined) void ua.logout();
});

const params = new URLSearchParams(location.search);
addressInput.value = params.get('address') ?? remembered('address') ?? '';
serverInput.value = params.get('server') ?? remembered('server') ?? serverInput.value;
showState('unregistered');
(addressInput.value === '' ? addressInput : passwordInput).focus();
