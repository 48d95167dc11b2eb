/**
 * The ladder (sequence) diagram of a call, as geometry: one column per `host:port` in order of
 * first appearance, one arrow per message in time order with its method or status, its time and
 * whether it is a retransmission. Pure: ladder-svg.ts draws it.
 */
import type { MessageRecord } from './capture-record.js';

/** A column of the ladder. */
export interface LadderColumn {
  x: number;
  label: string;
}

/** An arrow of the ladder. */
export interface LadderArrow {
  /** The message's index in the capture. */
  index: number;
  /** Position among the ladder's arrows, from 0. */
  position: number;
  y: number;
  x1: number;
  x2: number;
  /** `INVITE`, `180 Ringing`, or the parse error's code. */
  label: string;
  /** `+0.012 s` from the call's first message. */
  time: string;
  /** The arrow's accessible name: label, from, to and time. */
  description: string;
  kind: 'request' | 'response' | 'invalid';
  retransmission: boolean;
}

/** A laid-out ladder. */
export interface Ladder {
  width: number;
  height: number;
  columns: LadderColumn[];
  arrows: LadderArrow[];
}

/** Sizes of the drawing (px). */
export const LADDER = { columnGap: 250, margin: 110, header: 48, row: 34, timeWidth: 84 } as const;

/** Seconds from `t0` to `t`, as `+1.234 s`. */
export function relativeTime(t: number, t0: number): string {
  return `+${((t - t0) / 1000).toFixed(3)} s`;
}

function labelOf(r: MessageRecord): string {
  if (!r.ok) return r.error ?? 'invalid';
  if (r.method !== undefined) return r.method;
  return `${r.status ?? ''} ${r.reason ?? ''}`.trim();
}

/**
 * Lays out `records` (in any order; drawn by time, then capture order) with `retransmitted` marks.
 * @example layoutLadder(call.messages.map((i) => records[i]), marks)
 */
export function layoutLadder(records: readonly MessageRecord[], retransmitted: (r: MessageRecord) => boolean): Ladder {
  const sorted = [...records].sort((a, b) => a.time - b.time || a.index - b.index);
  const hosts: string[] = [];
  for (const r of sorted) for (const a of [r.src, r.dst]) if (!hosts.includes(a)) hosts.push(a);
  const left = LADDER.timeWidth + LADDER.margin;
  const columns = hosts.map((label, i) => ({ x: left + i * LADDER.columnGap, label }));
  const xOf = (a: string): number => columns[hosts.indexOf(a)]?.x ?? left;
  const t0 = sorted[0]?.time ?? 0;
  const arrows = sorted.map((r, position): LadderArrow => {
    const label = labelOf(r);
    const time = relativeTime(r.time, t0);
    const retransmission = retransmitted(r);
    return {
      index: r.index,
      position,
      y: LADDER.header + 30 + position * LADDER.row,
      x1: xOf(r.src),
      x2: xOf(r.dst),
      label,
      time,
      description: `${label}${retransmission ? ' (retransmission)' : ''} from ${r.src} to ${r.dst} at ${time}`,
      kind: !r.ok ? 'invalid' : r.method !== undefined ? 'request' : 'response',
      retransmission,
    };
  });
  const width = left + Math.max(0, hosts.length - 1) * LADDER.columnGap + LADDER.margin;
  const height = LADDER.header + 30 + arrows.length * LADDER.row + 10;
  return { width, height, columns, arrows };
}
