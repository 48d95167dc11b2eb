/**
 * The inspector page: paste, open or drop SIP messages, or open a pcap/pcapng capture, and see
 * each message parsed by @sipts/message (captures also as calls and ladders).
 * Everything runs in the page: no request leaves it after it has loaded.
 */
import './inspector.css';
import { createCaptureView } from './capture-view.js';
import { inspectCapture, type Inspection } from './inspect.js';
import { captureFormat } from './pcap/capture-file.js';
import { createListbox, messageEntry, nextIndex } from './render-list.js';
import { renderDetail, type DetailState } from './render-detail.js';
import { EXAMPLE_CAPTURE } from './samples.js';

/** Text files larger than this are refused: the page must stay responsive. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** pcap/pcapng files larger than this are refused (they are read in a worker, a batch at a time). */
const MAX_CAPTURE_FILE_BYTES = 512 * 1024 * 1024;
/** Files larger than this are inspected but not copied into the textarea (a browser textarea crawls). */
const MAX_SHOWN_BYTES = 2 * 1024 * 1024;

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el;
}

const source = byId('source') as HTMLTextAreaElement;
const fileInput = byId('file') as HTMLInputElement;
const normalizeBox = byId('normalize-le') as HTMLInputElement;
const status = byId('status');
const detail = byId('detail');
const dropZone = byId('input-section');

const detailState: DetailState = { normalizedOpen: false, rawOpen: false };
let inspection: Inspection = { messages: [], bareLf: 0, truncated: false, invalid: 0 };
const list = createListbox(byId('messages'), 'msg', (index) => {
  if (capture.active) {
    capture.selectMessage(index);
    return;
  }
  renderDetail(detail, inspection.messages[index], inspection.messages.length, detailState);
  if (index >= 0) document.body.dataset['selected'] = String(index);
});
const capture = createCaptureView({
  list,
  showMessage(m, count) {
    renderDetail(detail, m, count, detailState);
  },
  status(text) {
    status.textContent = text;
  },
});

/** The bytes being inspected: the textarea's text, or a file's (or the example's) exact bytes until edited. */
let current: { kind: 'text' } | { kind: 'file'; name: string; bytes: Uint8Array } = { kind: 'text' };

function describe(i: Inspection, ms: number): string {
  const n = i.messages.length;
  if (n === 0) return 'No message.';
  const parts = [`${n} message${n === 1 ? '' : 's'}`];
  if (i.invalid > 0) parts.push(`${i.invalid} invalid`);
  // A textarea always hands its text over with LF line ends, so only a file's bare LFs are news.
  if (i.bareLf > 0 && current.kind === 'file') parts.push(`${i.bareLf} bare LF read as CRLF`);
  if (i.truncated) parts.push('capture truncated');
  const from = current.kind === 'file' ? ` from ${current.name}` : '';
  return `${parts.join(', ')}${from}; parsed in ${ms.toFixed(1)} ms.`;
}

/** When the pending paste happened, to report paste → rendered (`data-paste-ms`, read by the tests). */
let pasteAt: number | undefined;

/** How long the last parse took: big captures are re-parsed less eagerly while typing. */
let lastMs = 0;

function run(): void {
  capture.close();
  const t0 = performance.now();
  const bytes = current.kind === 'file' ? current.bytes : new TextEncoder().encode(source.value);
  inspection = inspectCapture(bytes, { normalizeLineEnds: normalizeBox.checked });
  list.show(inspection.messages.map(messageEntry));
  const ms = performance.now() - t0;
  lastMs = ms;
  status.textContent = describe(inspection, ms);
  document.body.dataset['count'] = String(inspection.messages.length);
  document.body.dataset['parseMs'] = ms.toFixed(2);
  if (pasteAt !== undefined) {
    const since = pasteAt;
    pasteAt = undefined;
    // The frame after this one has painted the list.
    requestAnimationFrame(() => {
      setTimeout(() => {
        document.body.dataset['pasteMs'] = (performance.now() - since).toFixed(1);
      }, 0);
    });
  }
}

// A paste or drop is parsed on the next frame. Typing re-parses at most once per frame, or, when
// the last parse took longer than a frame's share, once typing pauses.
const SLOW_PARSE_MS = 30;
const TYPING_PAUSE_MS = 250;
let frame = 0;
let typingTimer: ReturnType<typeof setTimeout> | undefined;
function schedule(immediate: boolean): void {
  clearTimeout(typingTimer);
  if (!immediate && lastMs > SLOW_PARSE_MS) {
    typingTimer = setTimeout(() => {
      schedule(true);
    }, TYPING_PAUSE_MS);
    return;
  }
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    run();
  });
}

async function loadFile(file: File): Promise<void> {
  if (captureFormat(new Uint8Array(await file.slice(0, 4).arrayBuffer())) !== undefined) {
    if (file.size > MAX_CAPTURE_FILE_BYTES) {
      status.textContent = `${file.name} is ${file.size} bytes; the inspector opens captures up to ${MAX_CAPTURE_FILE_BYTES} bytes.`;
      return;
    }
    current = { kind: 'text' };
    source.value = '';
    source.placeholder = `${file.name} is a packet capture: its SIP messages are read below.`;
    capture.open(new Uint8Array(await file.arrayBuffer()), file.name);
    return;
  }
  if (file.size > MAX_FILE_BYTES) {
    status.textContent = `${file.name} is ${file.size} bytes; the inspector opens files up to ${MAX_FILE_BYTES} bytes.`;
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  current = { kind: 'file', name: file.name, bytes };
  if (bytes.length > MAX_SHOWN_BYTES) {
    source.value = '';
    source.placeholder = `${file.name} (${bytes.length} bytes) is inspected below but too large to show here.`;
  } else {
    source.value = new TextDecoder().decode(bytes);
    source.placeholder = '';
  }
  run();
}

function failed(e: unknown): void {
  status.textContent = `Could not read the file: ${e instanceof Error ? e.message : String(e)}`;
}

source.addEventListener('paste', () => {
  pasteAt = performance.now();
  delete document.body.dataset['pasteMs'];
});
source.addEventListener('input', (e) => {
  current = { kind: 'text' };
  const type = e instanceof InputEvent ? e.inputType : '';
  schedule(type === 'insertFromPaste' || type === 'insertFromDrop' || type === 'deleteByCut' || type === '');
});
normalizeBox.addEventListener('change', run);
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file !== undefined) loadFile(file).catch(failed);
  fileInput.value = '';
});
byId('example').addEventListener('click', () => {
  const bytes = new TextEncoder().encode(EXAMPLE_CAPTURE);
  current = { kind: 'file', name: 'the example', bytes };
  source.value = EXAMPLE_CAPTURE;
  run();
});
byId('clear').addEventListener('click', () => {
  current = { kind: 'text' };
  source.value = '';
  run();
  source.focus();
});

// Files dropped anywhere on the page are opened; the browser must not navigate to them.
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  if (e.dataTransfer !== null) e.dataTransfer.dropEffect = 'copy';
  dropZone.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) dropZone.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  dropZone.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file !== undefined) {
    e.preventDefault();
    loadFile(file).catch(failed);
  }
  // Dropped text lands in the textarea by default and fires `input`.
});

// j and k move between messages from anywhere but a text field.
document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || (e.key !== 'j' && e.key !== 'k')) return;
  const t = e.target as HTMLElement;
  if (t.closest('textarea, input, select, [role="listbox"]') !== null || t.isContentEditable) return;
  const next = nextIndex(e.key, list.selected, list.count);
  if (next !== undefined) list.select(next);
});

run();
document.body.dataset['ready'] = 'true';
