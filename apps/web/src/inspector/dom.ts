/**
 * A tiny element builder. Text always goes in through text nodes, never as HTML: every byte shown
 * comes from untrusted input.
 */

/** What {@link h} accepts as a child. */
export type Child = Node | string | null | undefined | false;

/**
 * Creates an element with attributes and children.
 * @example h('p', { class: 'note' }, 'Hello ', h('code', null, 'sip:'))
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs !== null) for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}
