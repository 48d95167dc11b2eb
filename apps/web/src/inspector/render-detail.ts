/**
 * The selected message in full: start line, every header with its structured value, the body,
 * the serializer's output, and for a message that failed to parse, the error with the offending
 * byte marked in the raw text.
 */
import { serializeMessage, type Content, type SipMessage, type SipParseError } from '@sipts/message';
import { h } from './dom.js';
import { headerViews, startLineFields, type Field, type HeaderView } from './header-view.js';
import { formatTime, type InspectedMessage } from './inspect.js';
import { describeChar, highlightAt } from './raw-text.js';

const decoder = new TextDecoder();
const MAX_HEX_BYTES = 1024;

function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h('section', { class: 'part', 'aria-labelledby': `${id}-h`, id }, h('h3', { id: `${id}-h` }, title), ...children);
}

function fieldList(fields: Field[], cls = 'fields'): HTMLDListElement {
  return h('dl', { class: cls }, fields.map((f) => [h('dt', null, f.label), h('dd', null, f.value)]).flat());
}

function headerBlock(view: HeaderView): HTMLElement {
  const key = view.name.toLowerCase();
  switch (view.kind) {
    case 'text':
      return h('div', { class: 'header header-text', 'data-header': key }, h('span', { class: 'name' }, view.name + ':'), ' ', h('code', { class: 'value' }, view.value));
    case 'fields':
      return h('div', { class: 'header header-fields', 'data-header': key }, h('h4', null, view.name), view.groups.map((g) => fieldList(g)));
    case 'table':
      return h(
        'div',
        { class: 'header header-table', 'data-header': key },
        h(
          'table',
          null,
          h('caption', null, `${view.name} (${view.rows.length})`),
          h('thead', null, h('tr', null, view.columns.map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, view.rows.map((row) => h('tr', null, row.map((cell) => h('td', null, cell))))),
        ),
      );
  }
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, MAX_HEX_BYTES);
  for (let i = 0; i < n; i += 16) {
    const row = Array.from(bytes.subarray(i, Math.min(n, i + 16)), (b) => b.toString(16).padStart(2, '0'));
    lines.push(i.toString(16).padStart(6, '0') + '  ' + row.join(' '));
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

function bodyPart(m: SipMessage): HTMLElement {
  const content: Content = m.content ?? '';
  const type = m.headers['content-type'];
  if (content.length === 0) return section('body', 'Body', h('p', { class: 'muted' }, 'No body.'));
  if (typeof content === 'string') {
    const bytes = new TextEncoder().encode(content).length;
    return section('body', 'Body', h('p', { class: 'muted' }, `${type ?? 'No Content-Type'} · ${bytes} bytes`), h('pre', { class: 'body', tabindex: '0', 'aria-label': 'Body text' }, content));
  }
  return section(
    'body',
    'Body',
    h('p', { class: 'muted' }, `${type ?? 'No Content-Type'} · ${content.length} bytes, not UTF-8 (hex)`),
    h('pre', { class: 'body hex', tabindex: '0', 'aria-label': 'Body bytes in hex' }, hexDump(content)),
  );
}

function rawText(bytes: Uint8Array, error: SipParseError | undefined): HTMLPreElement {
  const pre = h('pre', { class: 'raw', id: 'raw', tabindex: '0', 'aria-label': 'Raw message' });
  if (error === undefined) {
    pre.textContent = decoder.decode(bytes);
    return pre;
  }
  const hl = highlightAt(bytes, error.offset);
  const name = describeChar(hl.at);
  const mark = h('mark', { id: 'error-mark', 'data-offset': String(hl.offset), title: `${error.code} at byte ${hl.offset}` }, hl.at);
  if (name !== undefined) {
    mark.classList.add('invisible');
    mark.setAttribute('data-char', name);
  }
  pre.append(hl.before, mark, hl.after);
  return pre;
}

function errorPart(m: InspectedMessage, error: SipParseError): HTMLElement {
  const hl = highlightAt(m.bytes, error.offset);
  const at = describeChar(hl.at) ?? `'${hl.at}'`;
  return section(
    'error',
    'Parse error',
    fieldList(
      [
        { label: 'Code', value: error.code },
        { label: 'Message', value: error.message },
        { label: 'Position', value: `byte ${hl.offset} (line ${hl.line}, column ${hl.column}), at ${at}` },
        { label: 'A server answers', value: error.status === undefined ? '—' : String(error.status) },
      ],
      'fields error-fields',
    ),
    h('p', { class: 'muted' }, 'The offending byte is marked in the raw message below.'),
    rawText(m.bytes, error),
  );
}

function normalized(m: SipMessage, open: boolean): HTMLDetailsElement {
  const text = decoder.decode(serializeMessage(m));
  const details = h(
    'details',
    { class: 'part', id: 'normalize' },
    h('summary', null, 'Normalized (serializer output)'),
    h('pre', { class: 'raw', id: 'normalized', tabindex: '0', 'aria-label': 'Normalized message' }, text),
  );
  details.open = open;
  return details;
}

/** Which collapsible parts the user has opened, kept from one selection to the next. */
export interface DetailState {
  normalizedOpen: boolean;
  rawOpen: boolean;
}

/**
 * Renders message `m` (of `count`) into `el`.
 * @example renderDetail(detail, inspection.messages[0], inspection.messages.length, state)
 */
export function renderDetail(el: HTMLElement, m: InspectedMessage | undefined, count: number, state: DetailState): void {
  if (m === undefined) {
    el.replaceChildren(h('p', { class: 'muted' }, 'Paste a SIP message above, open a file, or load the example.'));
    return;
  }
  const framing = m.framing === 'content-length' ? 'cut by Content-Length' : 'cut at a blank line';
  const o = m.origin;
  const where =
    o === undefined
      ? h('p', { class: 'muted', id: 'where' }, `Message ${m.index + 1} of ${count} · capture bytes ${m.start}–${m.end} (${m.end - m.start} bytes, ${framing})`)
      : h(
          'p',
          { class: 'muted', id: 'where' },
          `Message ${m.index + 1} of ${count} · frame ${o.frame} · ${formatTime(o.time)} · ${o.src} → ${o.dst} over ${o.transport} · ${m.bytes.length} bytes${o.retransmission ? ' · retransmission' : ''}`,
        );
  if (!m.result.ok) {
    el.replaceChildren(where, errorPart(m, m.result.error));
    // Scroll the raw text (not the page) so that the mark is in view in a long message.
    const mark = el.querySelector<HTMLElement>('#error-mark');
    const pre = mark?.closest('pre');
    if (mark && pre) pre.scrollTop = Math.max(0, mark.offsetTop - pre.offsetTop - pre.clientHeight / 2);
    return;
  }
  const msg = m.result.message;
  const raw = h('details', { class: 'part', id: 'raw-part' }, h('summary', null, 'Raw message'), rawText(m.bytes, undefined));
  raw.open = state.rawOpen;
  raw.addEventListener('toggle', () => {
    state.rawOpen = raw.open;
  });
  const norm = normalized(msg, state.normalizedOpen);
  norm.addEventListener('toggle', () => {
    state.normalizedOpen = norm.open;
  });
  el.replaceChildren(
    where,
    section('start-line', 'Start line', fieldList(startLineFields(msg))),
    section('headers', 'Headers', ...headerViews(msg).map(headerBlock)),
    bodyPart(msg),
    norm,
    raw,
  );
}
