/**
 * The page's side of an opened pcap/pcapng capture: the file goes to a Web Worker, its batches
 * fill a {@link CaptureStore}, and the call list, the filters, the ladder of the selected call and
 * the message list (shared with text captures) show them.
 */
import { safeParseMessage } from '@sipts/message';
import type { LoadSummary } from './capture-load.js';
import { CaptureStore } from './capture-store.js';
import type { WorkerReply, WorkerRequest } from './capture-worker.js';
import { stateText, transactionKey, type Call } from './calls.js';
import type { MessageFilter } from './filter.js';
import { formatTime, summarize, type InspectedMessage } from './inspect.js';
import { layoutLadder } from './ladder.js';
import { download, pngBlob, renderLadder, svgText } from './ladder-svg.js';
import { createListbox, nextIndex, type ListEntry, type Listbox } from './render-list.js';

/** The most rows a list draws; a filter narrows the rest. */
export const MAX_ROWS = 2000;

/** What the capture view needs from the page. */
export interface CaptureViewHost {
  /** The shared message list. */
  list: Listbox;
  /** Shows a message (or none) in the detail view. */
  showMessage(m: InspectedMessage | undefined, count: number): void;
  status(text: string): void;
}

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el;
}

function duration(c: Call): string {
  return `${((c.end - c.start) / 1000).toFixed(3)} s`;
}

function callEntry(c: Call, position: number): ListEntry {
  const state = stateText(c);
  return {
    key: position,
    invalid: c.state === 'invalid',
    title: `${c.method} ${c.from} → ${c.to}`,
    detail: `${state} · ${c.messages.length} message${c.messages.length === 1 ? '' : 's'} in ${c.transactions.length} transaction${c.transactions.length === 1 ? '' : 's'} · ${duration(c)}`,
    extra: `${formatTime(c.start)} · Call-ID ${c.callId}`,
    tags: [c.state],
  };
}

function describeSummary(name: string, s: LoadSummary, ms: number): string {
  const st = s.stats;
  const parts = [`${st.messages} SIP message${st.messages === 1 ? '' : 's'} in ${st.packets} packets of ${name} (${s.format})`, `${st.notSip} packets without SIP`];
  if (st.retransmittedSegments > 0) parts.push(`${st.retransmittedSegments} retransmitted TCP segments`);
  if (st.dropped > 0) parts.push(`${st.dropped} fragments or streams given up`);
  if (st.unknownLinkTypes.length > 0) parts.push(`unknown link types ${st.unknownLinkTypes.join(', ')}`);
  if (s.truncated) parts.push('too many messages: the rest were not read');
  let text = `${parts.join(', ')}; read in ${ms.toFixed(0)} ms.`;
  if (s.error !== undefined) text += ` The file is damaged: ${s.error.message} at byte ${s.error.offset}; everything before it is shown.`;
  return text;
}

/** The capture view: open a file, and route the shared list's selection while it is active. */
export interface CaptureView {
  readonly active: boolean;
  open(bytes: Uint8Array, name: string): void;
  close(): void;
  /** The shared message list selected `position` (capture mode only). */
  selectMessage(position: number): void;
}

/**
 * Wires the capture section of the page.
 * @example const capture = createCaptureView({ list, showMessage, status }); capture.open(bytes, file.name)
 */
export function createCaptureView(host: CaptureViewHost): CaptureView {
  const section = byId('capture-section');
  const ladderBox = byId('ladder');
  const note = byId('calls-note');
  const method = byId('filter-method') as HTMLSelectElement;
  const statusClass = byId('filter-status') as HTMLSelectElement;
  const callId = byId('filter-callid') as HTMLInputElement;
  const address = byId('filter-address') as HTMLInputElement;
  const text = byId('filter-text') as HTMLInputElement;
  const allMessages = byId('all-messages') as HTMLInputElement;
  let store = new CaptureStore();
  let active = false;
  let loadId = 0;
  let worker: Worker | undefined;
  let calls: Call[] = [];
  let shown: number[] = [];
  let svg: SVGSVGElement | undefined;

  const callList = createListbox(byId('calls'), 'call', () => {
    showCall();
  });

  function filter(): MessageFilter {
    const f: MessageFilter = {};
    if (method.value !== '') f.method = method.value;
    if (statusClass.value !== '') f.statusClass = Number(statusClass.value);
    if (callId.value.trim() !== '') f.callId = callId.value.trim();
    if (address.value.trim() !== '') f.address = address.value.trim();
    if (text.value !== '') f.text = text.value;
    return f;
  }

  function messageEntry(i: number, call: Call | undefined): ListEntry {
    const r = store.records[i];
    if (r === undefined) return { key: i, invalid: true, title: '?', detail: '' };
    const retransmission = store.isRetransmission(i);
    const tx = call === undefined || !r.ok ? -1 : call.transactions.indexOf(transactionKey(r));
    return {
      key: i,
      invalid: !r.ok,
      title: r.ok ? r.title : `Invalid: ${r.error ?? '?'}`,
      detail: r.detail,
      extra: `${formatTime(r.time).slice(11, 26)} · ${r.src} → ${r.dst} ${r.transport}${tx === -1 ? '' : ` · transaction ${tx + 1}`}${retransmission ? ' · retransmission' : ''}`,
      tags: retransmission ? ['retransmission'] : [],
    };
  }

  /** Shows the selected call's (or every call's) messages and the call's ladder. */
  function showCall(): void {
    if (!active) return;
    const all = allMessages.checked;
    const v = store.view(filter(), all ? 'all' : Math.max(0, callList.selected));
    shown = v.messages.slice(0, MAX_ROWS);
    const call = calls[callList.selected];
    ladderBox.replaceChildren();
    svg = undefined;
    if (call !== undefined && !all) {
      const records = shown.map((i) => store.records[i]).filter((r) => r !== undefined);
      svg = renderLadder(
        layoutLadder(records, (r) => store.isRetransmission(r.index)),
        `Call ${call.callId}: ${call.from} → ${call.to}`,
      );
      ladderBox.append(svg);
    }
    host.list.show(
      shown.map((i) => messageEntry(i, all ? undefined : call)),
      { select: 0 },
    );
    document.body.dataset['arrows'] = String(svg?.querySelectorAll('.arrow').length ?? 0);
  }

  /** Re-applies the filter to the call list. */
  function showCalls(keep = 0): void {
    calls = store.view(filter(), 0).calls;
    const rows = calls.slice(0, MAX_ROWS);
    note.textContent =
      `${calls.length} call${calls.length === 1 ? '' : 's'}, ${store.records.length} messages` +
      (calls.length > rows.length ? ` · the first ${MAX_ROWS} calls are listed: filter to narrow` : '') +
      (calls.length < store.calls.length ? ` (filtered from ${store.calls.length})` : '');
    document.body.dataset['calls'] = String(calls.length);
    callList.show(rows.map(callEntry), { select: keep });
    if (rows.length === 0) showCall();
  }

  function fillMethods(): void {
    const keep = method.value;
    const options = ['', ...store.methods()].map((m) => {
      const o = document.createElement('option');
      o.value = m;
      o.textContent = m === '' ? 'any' : m;
      return o;
    });
    method.replaceChildren(...options);
    method.value = keep;
  }

  function onReply(e: MessageEvent<WorkerReply>, name: string, t0: number): void {
    const reply = e.data;
    if (reply.id !== loadId) return;
    if (reply.kind === 'batch') {
      const first = store.records.length === 0;
      store.add(reply.batch);
      if (first) {
        store.update();
        fillMethods();
        showCalls();
        document.body.dataset['firstListMs'] = (performance.now() - t0).toFixed(1);
      }
      host.status(`Reading ${name}… ${store.records.length} SIP messages so far.`);
      return;
    }
    worker?.terminate();
    worker = undefined;
    if (reply.kind === 'failed') {
      host.status(`Could not read ${name}: ${reply.message}`);
      return;
    }
    store.analysed(reply.calls, reply.retransmissions);
    fillMethods();
    showCalls(Math.max(0, callList.selected));
    host.status(describeSummary(name, reply.summary, reply.ms));
    document.body.dataset['loadMs'] = (performance.now() - t0).toFixed(1);
    document.body.dataset['captureMessages'] = String(store.records.length);
    document.body.dataset['capture'] = 'ready';
  }

  function selectArrow(index: number): void {
    for (const g of Array.from(ladderBox.querySelectorAll('.arrow.selected'))) g.classList.remove('selected');
    const g = ladderBox.querySelector(`#arrow-${index}`);
    if (g === null) return;
    g.classList.add('selected');
    const box = (g as SVGGraphicsElement).getBBox();
    if (box.y < ladderBox.scrollTop || box.y + box.height > ladderBox.scrollTop + ladderBox.clientHeight) ladderBox.scrollTop = box.y - ladderBox.clientHeight / 2;
  }

  ladderBox.addEventListener('click', (e) => {
    const g = (e.target as Element).closest('.arrow');
    if (g === null) return;
    ladderBox.focus();
    host.list.select(Number(g.getAttribute('data-position')));
  });
  ladderBox.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const next = nextIndex(e.key, host.list.selected, host.list.count);
    if (next === undefined) return;
    e.preventDefault();
    host.list.select(next);
  });
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  const refilter = (): void => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      showCalls();
    }, 150);
  };
  for (const input of [callId, address, text]) input.addEventListener('input', refilter);
  for (const select of [method, statusClass]) select.addEventListener('change', () => {
    showCalls();
  });
  allMessages.addEventListener('change', showCall);
  const callName = (): string => `call-${callList.selected + 1}`;
  byId('export-svg').addEventListener('click', () => {
    if (svg !== undefined) download(new Blob([svgText(svg)], { type: 'image/svg+xml' }), `${callName()}.svg`);
  });
  byId('export-png').addEventListener('click', () => {
    if (svg === undefined) return;
    pngBlob(svg)
      .then((b) => {
        download(b, `${callName()}.png`);
      })
      .catch((err: unknown) => {
        host.status(`Could not make the PNG: ${err instanceof Error ? err.message : String(err)}`);
      });
  });

  return {
    get active() {
      return active;
    },
    open(bytes, name) {
      worker?.terminate();
      store = new CaptureStore();
      active = true;
      section.hidden = false;
      delete document.body.dataset['capture'];
      const id = ++loadId;
      const t0 = performance.now();
      host.status(`Reading ${name}…`);
      worker = new Worker(new URL('./capture-worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        onReply(e, name, t0);
      };
      worker.onerror = (e) => {
        host.status(`Could not read ${name}: ${e.message}`);
      };
      const copy = bytes.slice();
      const request: WorkerRequest = { id, buffer: copy.buffer };
      worker.postMessage(request, [copy.buffer]);
    },
    close() {
      worker?.terminate();
      worker = undefined;
      active = false;
      section.hidden = true;
      ladderBox.replaceChildren();
      svg = undefined;
    },
    selectMessage(position) {
      const index = shown[position];
      if (index === undefined) {
        host.showMessage(undefined, 0);
        return;
      }
      const r = store.records[index];
      const bytes = store.bytesOf(index);
      const result = safeParseMessage(bytes);
      const m: InspectedMessage = { index, start: 0, end: bytes.length, bytes, framing: 'content-length', result, summary: summarize(result, bytes) };
      if (r !== undefined) m.origin = { frame: r.frame, time: r.time, src: r.src, dst: r.dst, transport: r.transport, retransmission: store.isRetransmission(index) };
      host.showMessage(m, store.records.length);
      selectArrow(index);
      document.body.dataset['selected'] = String(index);
    },
  };
}
