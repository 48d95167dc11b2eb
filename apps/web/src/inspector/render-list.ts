/**
 * The message list: an ARIA listbox (one option per message) that the keyboard drives with
 * j/k, the arrow keys, Home and End, and the mouse with a click.
 * @see https://www.w3.org/WAI/ARIA/apg/patterns/listbox/
 */
import { h } from './dom.js';
import type { InspectedMessage } from './inspect.js';

/** The list of messages and which one is selected. */
export interface MessageList {
  /** Replaces the list's options; keeps the selection when it is still in range. */
  show(messages: readonly InspectedMessage[]): void;
  /** Selects the message at `index` (clamped) and reports it through `onSelect`. */
  select(index: number): void;
  readonly selected: number;
}

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

function option(m: InspectedMessage): HTMLLIElement {
  const ok = m.result.ok;
  return h(
    'li',
    { role: 'option', id: `msg-${m.index}`, class: ok ? 'ok' : 'invalid', 'aria-selected': 'false', 'data-index': String(m.index) },
    h('span', { class: 'n', 'aria-hidden': 'true' }, String(m.index + 1)),
    h('span', { class: 'title' }, ok ? '' : h('span', { class: 'visually-hidden' }, 'error: '), m.summary.title),
    h('span', { class: 'meta' }, m.summary.detail),
  );
}

/**
 * Wires the listbox `el` (an `<ol role="listbox" tabindex="0">`).
 * @example const list = createMessageList(ol, (m) => showDetail(m)); list.show(inspection.messages)
 */
export function createMessageList(el: HTMLElement, onSelect: (m: InspectedMessage | undefined, index: number) => void): MessageList {
  let messages: readonly InspectedMessage[] = [];
  let selected = -1;

  function mark(index: number, on: boolean): void {
    const li = el.children[index];
    if (li === undefined) return;
    li.setAttribute('aria-selected', on ? 'true' : 'false');
    if (on) {
      el.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  function select(index: number): void {
    if (messages.length === 0) {
      selected = -1;
      el.removeAttribute('aria-activedescendant');
      onSelect(undefined, -1);
      return;
    }
    const next = Math.max(0, Math.min(messages.length - 1, index));
    if (selected !== -1) mark(selected, false);
    selected = next;
    mark(selected, true);
    onSelect(messages[selected], selected);
  }

  el.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const next = nextIndex(e.key, selected, messages.length);
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
    show(next) {
      messages = next;
      const fragment = document.createDocumentFragment();
      for (const m of next) fragment.append(option(m));
      el.replaceChildren(fragment);
      el.setAttribute('aria-busy', 'false');
      const keep = selected;
      selected = -1;
      select(keep === -1 ? 0 : keep);
    },
    select,
    get selected() {
      return selected;
    },
  };
}
