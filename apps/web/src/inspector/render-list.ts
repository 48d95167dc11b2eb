/**
 * A listbox (one option per entry) that the keyboard drives with j/k, the arrow keys, Home and
 * End, and the mouse with a click: the message list and the call list.
 * @see https://www.w3.org/WAI/ARIA/apg/patterns/listbox/
 */
import { h } from './dom.js';
import type { InspectedMessage } from './inspect.js';

/** One option of a listbox. */
export interface ListEntry {
  /** Unique within the list: the option's id is `${prefix}-${key}`. */
  key: number;
  /** Drawn as an error. */
  invalid: boolean;
  title: string;
  detail: string;
  /** A third, muted line (time and addresses of a captured message). */
  extra?: string;
  /** Extra classes (`retransmission`, a call's state). */
  tags?: string[];
}

/** The entries of a listbox and which one is selected. */
export interface Listbox {
  /** Replaces the options; keeps the selected position when it is still in range. */
  show(entries: readonly ListEntry[], options?: { select?: number }): void;
  /** Selects the entry at `position` (clamped) and reports it through `onSelect`. */
  select(position: number): void;
  readonly selected: number;
  readonly count: number;
}

/** The list of messages (kept under its old name). */
export type MessageList = Listbox;

/** Moves the selection for a key, or returns undefined when the key is not one of the list's. */
export function nextIndex(key: string, current: number, count: number): number | undefined {
  if (count === 0) return undefined;
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return Math.min(count - 1, current + 1);
    case 'k':
    case 'ArrowUp':
      return Math.max(0, current - 1);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}

/** The list entry of a message of a text capture. */
export function messageEntry(m: InspectedMessage): ListEntry {
  return { key: m.index, invalid: !m.result.ok, title: m.summary.title, detail: m.summary.detail };
}

function option(prefix: string, e: ListEntry, position: number): HTMLLIElement {
  const cls = [e.invalid ? 'invalid' : 'ok', ...(e.tags ?? [])].join(' ');
  return h(
    'li',
    { role: 'option', id: `${prefix}-${e.key}`, class: cls, 'aria-selected': 'false', 'data-index': String(position) },
    h('span', { class: 'n', 'aria-hidden': 'true' }, String(e.key + 1)),
    h('span', { class: 'title' }, e.invalid ? h('span', { class: 'visually-hidden' }, 'error: ') : '', e.title),
    h('span', { class: 'meta' }, e.detail),
    e.extra === undefined ? null : h('span', { class: 'meta extra' }, e.extra),
  );
}

/**
 * Wires the listbox `el` (an `<ol role="listbox" tabindex="0">`); options get ids `${prefix}-${key}`.
 * @example const list = createListbox(ol, 'msg', (position) => showDetail(position)); list.show(entries)
 */
export function createListbox(el: HTMLElement, prefix: string, onSelect: (position: number) => void): Listbox {
  let count = 0;
  let selected = -1;

  function mark(position: number, on: boolean): void {
    const li = el.children[position];
    if (li === undefined) return;
    li.setAttribute('aria-selected', on ? 'true' : 'false');
    if (on) {
      el.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  function select(position: number): void {
    if (count === 0) {
      selected = -1;
      el.removeAttribute('aria-activedescendant');
      onSelect(-1);
      return;
    }
    const next = Math.max(0, Math.min(count - 1, position));
    if (selected !== -1) mark(selected, false);
    selected = next;
    mark(selected, true);
    onSelect(selected);
  }

  el.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const next = nextIndex(e.key, selected, count);
    if (next === undefined) return;
    e.preventDefault();
    select(next);
  });
  el.addEventListener('click', (e) => {
    const li = (e.target as Element).closest('li[data-index]');
    if (li === null) return;
    el.focus();
    select(Number(li.getAttribute('data-index')));
  });

  return {
    show(entries, options = {}) {
      count = entries.length;
      const fragment = document.createDocumentFragment();
      entries.forEach((e, i) => { fragment.append(option(prefix, e, i)); });
      el.replaceChildren(fragment);
      el.setAttribute('aria-busy', 'false');
      const keep = options.select ?? selected;
      selected = -1;
      select(keep === -1 ? 0 : keep);
    },
    select,
    get selected() {
      return selected;
    },
    get count() {
      return count;
    },
  };
}
