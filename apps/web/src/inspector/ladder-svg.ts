/**
 * Draws a {@link Ladder} as an SVG element whose look is in its own attributes and `<style>`, so
 * that the exported file looks as the page does; exports it as SVG text or a PNG. Text goes in
 * through text nodes only: labels come from the capture.
 */
import type { Ladder, LadderArrow } from './ladder.js';

const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Colours and fonts that travel with the exported file. */
const STYLE = `
text { font-family: 'DejaVu Sans Mono', ui-monospace, monospace; font-size: 12px; fill: #1c1c1e; }
.host { font-weight: bold; }
.life { stroke: #9a9aa4; stroke-dasharray: 4 4; }
.arrow line { stroke: #0b57d0; stroke-width: 1.6; }
.arrow polygon { fill: #0b57d0; }
.arrow.response line { stroke: #1b6e34; }
.arrow.response polygon { fill: #1b6e34; }
.arrow.invalid line { stroke: #b3261e; }
.arrow.invalid polygon { fill: #b3261e; }
.arrow.retransmission line { stroke-dasharray: 6 3; }
.arrow .time { fill: #5d5d66; font-size: 11px; }
.arrow .hit { fill: transparent; }
`;

function arrow(a: LadderArrow, width: number): SVGGElement {
  const cls = ['arrow', a.kind, ...(a.retransmission ? ['retransmission'] : [])].join(' ');
  const g = el('g', { class: cls, id: `arrow-${a.index}`, 'data-index': a.index, 'data-position': a.position, role: 'listitem', 'aria-label': a.description });
  g.append(el('rect', { class: 'hit', x: 0, y: a.y - 22, width, height: 30 }));
  g.append(el('text', { class: 'time', x: 6, y: a.y + 4 }, a.time));
  const dir = a.x2 >= a.x1 ? 1 : -1;
  if (a.x1 === a.x2) {
    // A message from a host to itself: a small loop.
    g.append(el('path', { d: `M${a.x1} ${a.y - 8} h40 v16 h-40`, fill: 'none', stroke: '#0b57d0' }));
  } else {
    g.append(el('line', { x1: a.x1, y1: a.y, x2: a.x2 - dir * 8, y2: a.y }));
    g.append(el('polygon', { points: `${a.x2},${a.y} ${a.x2 - dir * 10},${a.y - 5} ${a.x2 - dir * 10},${a.y + 5}` }));
  }
  const label = a.retransmission ? `${a.label} (retransmission)` : a.label;
  g.append(el('text', { class: 'label', x: (a.x1 + a.x2) / 2, y: a.y - 6, 'text-anchor': 'middle' }, label));
  return g;
}

/**
 * The ladder as an `<svg>` element (arrows are `g.arrow` with `data-index`, the message's index).
 * @example container.replaceChildren(renderLadder(layoutLadder(records, marks), 'Call a84b4c76e66710'))
 */
export function renderLadder(ladder: Ladder, title: string): SVGSVGElement {
  const svg = el('svg', { xmlns: NS, width: ladder.width, height: ladder.height, viewBox: `0 0 ${ladder.width} ${ladder.height}`, role: 'group', 'aria-label': title });
  svg.append(el('title', {}, title), el('style', {}, STYLE));
  svg.append(el('rect', { x: 0, y: 0, width: ladder.width, height: ladder.height, fill: '#ffffff' }));
  for (const c of ladder.columns) {
    svg.append(el('text', { class: 'host', x: c.x, y: 24, 'text-anchor': 'middle' }, c.label));
    svg.append(el('line', { class: 'life', x1: c.x, y1: 34, x2: c.x, y2: ladder.height - 6 }));
  }
  const list = el('g', { role: 'list', 'aria-label': 'Messages of the call' });
  for (const a of ladder.arrows) list.append(arrow(a, ladder.width));
  svg.append(list);
  return svg;
}

/** The SVG's text as a file (the page's selection highlight left out). */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  for (const s of Array.from(copy.querySelectorAll('.selected'))) s.classList.remove('selected');
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
}

/**
 * Renders the SVG into a PNG (at `scale`) through an image and a canvas; the image is a `data:` URL,
 * which the page's Content-Security-Policy allows.
 * @throws Error when the browser cannot draw the image
 */
export async function pngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const text = svgText(svg);
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await img.decode();
  const w = Number(svg.getAttribute('width'));
  const hgt = Number(svg.getAttribute('height'));
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(w * scale);
  canvas.height = Math.ceil(hgt * scale);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('no 2D canvas');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, w, hgt);
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => {
      if (b === null) reject(new Error('the canvas gave no PNG'));
      else resolve(b);
    }, 'image/png');
  });
}

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}
