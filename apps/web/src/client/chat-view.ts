/**
 * The message list of the chat page: one item per message with its direction, peer, time and
 * text; outgoing items show whether they were delivered.
 */

/** One line of the chat. */
export interface ChatEntry {
  direction: 'in' | 'out';
  /** The other user's address as shown (`bob@localhost`). */
  peer: string;
  text: string;
  /** ms since the epoch. */
  at: number;
}

/** `sip:bob@localhost` → `bob@localhost`. */
export function shortAddress(uri: string): string {
  return uri.replace(/^sips?:/i, '').replace(/;.*$/, '');
}

function clock(at: number): string {
  const d = new Date(at);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The list element and what the page does with it. */
export interface ChatView {
  /** Adds an entry; returns a function that marks an outgoing one delivered or failed. */
  add(entry: ChatEntry): (outcome: { ok: true } | { ok: false; reason: string }) => void;
}

/** Renders entries into `list` (an `<ol>`), keeping the newest in view. */
export function createChatView(list: HTMLOListElement): ChatView {
  return {
    add(entry) {
      const li = document.createElement('li');
      li.className = entry.direction;
      li.dataset.direction = entry.direction;
      li.dataset.peer = entry.peer;
      const meta = document.createElement('span');
      meta.className = 'meta';
      const time = document.createElement('time');
      time.dateTime = new Date(entry.at).toISOString();
      time.textContent = clock(entry.at);
      const who = entry.direction === 'in' ? `from ${entry.peer}` : `to ${entry.peer}`;
      const status = document.createElement('span');
      status.className = 'status';
      status.textContent = entry.direction === 'out' ? ' · sending…' : '';
      meta.append(time, ` · ${who}`, status);
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = entry.text;
      li.append(meta, text);
      list.append(li);
      li.scrollIntoView({ block: 'nearest' });
      return (outcome) => {
        if (outcome.ok) {
          status.textContent = ' · delivered';
          li.dataset.status = 'delivered';
        } else {
          status.textContent = ` · not delivered: ${outcome.reason}`;
          li.dataset.status = 'failed';
          li.classList.add('failed');
        }
      };
    },
  };
}
