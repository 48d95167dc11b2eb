/** The facade bench's summary (medians per workload and package) and RESULTS.md, from main.mjs's runs. */
import { WORKLOADS } from './workloads.mjs';

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const x2 = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const us = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const mib = (b) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : '–');
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(3)}%` : '–');
const NAMES = { sipts: '@sipts/sip', classic: 'classic sip@0.0.6' };

export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The rate ratio (ours / classic) of each round in which both packages passed the closed loop.
 * The machine changes speed for minutes at a time and slows both packages alike, so a round's
 * own ratio holds where the ratio of two medians (which may come from different rounds) does not.
 */
export function sameRoundRatios(runs, workload) {
  const loops = runs.filter((r) => r.workload === workload && r.kind === 'loop' && r.pass);
  const out = [];
  for (const s of loops.filter((r) => r.impl === 'sipts')) {
    const c = loops.find((r) => r.impl === 'classic' && r.round === s.round);
    if (c !== undefined && c.completedPerSec > 0) out.push(s.completedPerSec / c.completedPerSec);
  }
  return out;
}

/**
 * Per workload: the median closed-loop rate of each package over its passing rounds (a round
 * with 0.1% or more failed counts in `failedRounds`, not in the median), the median CPU µs per
 * unit at the fixed rate, and the ratios (rate: ours / classic, target ≥ 2; CPU: classic / ours).
 * The rate target counts as met only when the median of the same-round ratios
 * ({@link sameRoundRatios}) is at 2 as well: a slow round of one package alone must not make it.
 */
export function summarizeRuns(runs, settings) {
  const pick = (w, impl, kind) => runs.filter((r) => r.workload === w && r.impl === impl && r.kind === kind);
  const workloads = settings.workloads.map((w) => {
    const per = (impl) => {
      const loop = pick(w, impl, 'loop');
      const fixed = pick(w, impl, 'fixed');
      return {
        rate: median(loop.filter((r) => r.pass).map((r) => r.completedPerSec)),
        failedRounds: loop.filter((r) => !r.pass).length,
        rounds: loop.length,
        cpu: median(fixed.filter((r) => r.pass).map((r) => r.app.cpuUsPerUnit)),
        // The same fixed runs' warm-up: a fresh process's first seconds (see main.mjs fixedWarmSeconds).
        cpuCold: median(fixed.filter((r) => r.pass && r.warm !== undefined).map((r) => r.warm.cpuUsPerUnit)),
        fixedRates: fixed.map((r) => r.targetRate),
        cpuAtSaturation: median(loop.filter((r) => r.pass).map((r) => r.app.cpuUsPerUnit)),
        fixedFailed: fixed.filter((r) => !r.pass).length,
      };
    };
    const s = per('sipts');
    const c = per('classic');
    const rounds = sameRoundRatios(runs, w);
    const sameRound = median(rounds);
    return {
      workload: w,
      title: WORKLOADS[w].title,
      unit: WORKLOADS[w].unit,
      fixedRate: settings.fixedRates[w],
      rate: { sipts: s.rate, classic: c.rate, ratio: s.rate / c.rate, sameRound, sameRoundRatios: rounds, target: 2, met: s.rate / c.rate >= 2 && sameRound >= 2 },
      cpu: { sipts: s.cpu, classic: c.cpu, ratio: c.cpu / s.cpu, sipts_saturated: s.cpuAtSaturation, classic_saturated: c.cpuAtSaturation, sipts_cold: s.cpuCold, classic_cold: c.cpuCold },
      detail: { sipts: s, classic: c },
    };
  });
  const rss = (impl) => runs.find((r) => r.kind === 'rss' && r.impl === impl);
  const rs = rss('sipts');
  const rc = rss('classic');
  const memory =
    rs === undefined || rc === undefined
      ? undefined
      : {
          sipts: rs.app?.rss,
          classic: rc.app?.rss,
          ratio: rs.app?.rss / rc.app?.rss,
          target: 0.4,
          met: rs.app?.rss / rc.app?.rss <= 0.4,
          completed: { sipts: rs.successful, classic: rc.successful },
          seconds: { sipts: rs.runSeconds, classic: rc.runSeconds },
          failed: { sipts: rs.failureRate, classic: rc.failureRate },
        };
  return { workloads, memory };
}

function runRow(r) {
  const warm =
    r.warm === undefined
      ? ''
      : r.kind === 'fixed'
        ? ` after ${fmt(r.warm.seconds)} s at that rate (${us(r.warm.cpuUsPerUnit)} µs per unit then)`
        : ` after ${fmt(r.warm.calls)} calls of warm-up (${fmt(r.warm.completedPerSec)}/s, ${us(r.warm.cpuUsPerUnit)} µs per unit then)`;
  const load = r.kind === 'fixed' ? `fixed ${fmt(r.targetRate)}/s × ${fmt(r.calls / r.targetRate)} s${warm}` : `${r.kind === 'rss' ? 'RSS, ' : ''}closed loop, -l ${fmt(r.window)}, ${fmt(r.calls)} calls${warm}`;
  const idle = Number.isFinite(r.idleBefore) ? `${Math.round(100 * r.idleBefore)}%` : '–';
  if (!r.ok) return `| ${r.round + 1} | ${r.workload} | ${NAMES[r.impl]} | ${load} | ${idle} | failed to run: ${r.error ?? `exit ${String(r.exit)}`} | | | | |`;
  return `| ${r.round + 1} | ${r.workload} | ${NAMES[r.impl]} | ${load} | ${idle} | ${fmt(r.completedPerSec)} | ${r.pass ? '' : '✗ '}${pct(r.failureRate)} (${fmt(r.failed + r.unfinished)} of ${fmt(r.created)}) | ${fmt(r.retransmissions)} | ${us(r.app.cpuUsPerUnit)} | ${mib(r.app.rss)} |`;
}

export function renderMarkdown(r) {
  const s = r.settings;
  const m = r.machine;
  const lines = [];
  const p = (x = '') => lines.push(x);
  p('# Facade benchmark: classic-API apps on @sipts/sip and on the classic package');
  p();
  p('Generated by `pnpm bench:facade` (bench/facade/main.mjs, also run by `pnpm bench`); raw figures in results.json.');
  p('Figures are reported, never asserted.');
  p();
  p(`- Date: ${r.date} (run took ${r.durationSeconds.toFixed(0)} s)`);
  p(`- Code: commit ${r.source.commit}${r.source.packagesCommit ? ', packages/ as of ' + r.source.packagesCommit : ''} (packages/ and lockfile ${r.source.clean ? 'clean' : '**with uncommitted changes**'}; @sipts/sip dist built ${r.source.distBuiltAt}${r.source.distCommit ? ' at ' + r.source.distCommit.slice(0, 12) : ''}${r.source.distStale ? ', **not built from these sources**' : ''}) against ${r.source.classic}`);
  p(`- Machine: ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}; Node ${m.node}; ${m.sipp}; load average ${m.loadavgAtStart.map((x) => x.toFixed(2)).join(' / ')} at the start, ${m.loadavgAtEnd.map((x) => x.toFixed(2)).join(' / ')} at the end`);
  p(`- Pinned: ${s.pinned ? 'yes: each app on CPU 0, the sipps on CPU 1 (taskset)' : '**no** (taskset missing or one CPU)'}; ${s.rounds} round(s), alternating which package goes first`);
  p();
  p('## The table');
  p();
  p(`| workload | @sipts/sip | classic | ratio | same-round ratios (median) | target | CPU µs per unit at a fixed rate: @sipts/sip | classic | classic / ours | CPU µs per unit in the closed loop: @sipts/sip | classic | CPU µs per unit in a fresh process's first ${fmt(s.fixedWarmSeconds ?? 0)} s: @sipts/sip | classic |`);
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of r.summary.workloads) {
    const fails = w.detail.sipts.failedRounds + w.detail.classic.failedRounds;
    const rates = [...new Set(w.detail.sipts.fixedRates)].map(fmt).join(', ');
    const rounds = (w.rate.sameRoundRatios ?? []).map(x2).join(', ');
    p(`| ${w.title} | ${fmt(w.rate.sipts)}/s | ${fmt(w.rate.classic)}/s | ${x2(w.rate.ratio)} | ${rounds === '' ? '–' : `${rounds} (${x2(w.rate.sameRound)})`} | ≥ 2× ${w.rate.met ? '(met)' : '(not met)'}${fails ? ` (${fails} round(s) ✗)` : ''} | ${us(w.cpu.sipts)} per ${w.unit} at ${rates}/s | ${us(w.cpu.classic)} | ${x2(w.cpu.ratio)} | ${us(w.cpu.sipts_saturated)} | ${us(w.cpu.classic_saturated)} | ${us(w.cpu.sipts_cold)} | ${us(w.cpu.classic_cold)} |`);
  }
  const mem = r.summary.memory;
  if (mem !== undefined) {
    p(`| UAS RSS after ${fmt(s.rss.calls)} OPTIONS | ${mib(mem.sipts)} | ${mib(mem.classic)} | ${x2(mem.ratio)} | | ≤ 0.4× ${mem.met ? '(met)' : '(not met)'} | | | | | | | |`);
  }
  p();
  p('Rates are the median over the rounds of the sustained completed rate of a closed-loop run with under');
  p(`${pct(s.maxFailureRate)} failed (a round over that is marked ✗ and left out of the median). CPU is the app process's`);
  p('user+sys time over the run divided by the completed transactions (UAS OPTIONS, proxied OPTIONS) or calls (UAS and');
  p('proxied INVITE/180/200/ACK/BYE calls), median over the rounds at the fixed rate, counted after the same rate has');
  p('warmed the fresh app up (the first seconds of a process are mostly the JIT compiling it; their figure is the last');
  p('two columns, from the same runs). Two cores are shared by the app and');
  p('sipp, so a closed-loop rate also measures how much CPU sipp leaves; the fixed-rate CPU figure does not. The');
  p('closed-loop CPU figure (median of the passing rounds) is each package at its own top rate: a busy process reads');
  p('several datagrams per wake-up, so it is lower than at a fixed rate; it is the one left when a fixed run fails.');
  p('The same-round ratios are each round\'s own rate ratio (both packages passing): the machine changes speed for');
  p('minutes at a time and slows both alike, so they hold where a ratio of medians taken from different rounds may not;');
  p('the rate target counts as met only when both the ratio of the medians and the median of the same-round ratios reach it.');
  if (mem !== undefined) p(`The RSS runs completed ${fmt(mem.completed.sipts)} (@sipts/sip, in ${fmt(mem.seconds.sipts)} s) and ${fmt(mem.completed.classic)} (classic, in ${fmt(mem.seconds.classic)} s) OPTIONS, failed ${pct(mem.failed.sipts)} and ${pct(mem.failed.classic)}.`);
  p();
  p('## Method');
  p();
  p('- The apps (bench/facade/uas.mjs, proxy.mjs) are written once against the classic API and `require()` either');
  p('  `sip` (npm sip@0.0.6) or `@sipts/sip` (the built CJS dist of packages/sip). UAS: OPTIONS → 200; INVITE → 180');
  p('  and 200 with a To tag and Contact, ACK absorbed, BYE → 200. Proxy: `require(\'sip/proxy\').start(…, (rq) => {…})`,');
  p('  a Record-Route of its own on each INVITE, the Request-URI pointed at a sipp UAS on 127.0.0.2, `proxy.send(rq)`.');
  p('  UDP only, on loopback; 4 MiB socket buffers for both packages (../transaction/udp-buffers.mjs).');
  p('- Load: sipp over UDP, OPTIONS (../transaction/options-uac.xml) or its built-in `uac` call (INVITE, 180, 200,');
  p('  ACK, BYE, 200). Proxied OPTIONS are answered by a sipp UAS scenario (options-uas.xml), proxied calls by sipp\'s');
  p('  built-in `uas`. A transaction or call without its final answer in 2 s fails.');
  p(`- Closed loop: sipp keeps a window of calls in flight (\`-l\`) with its rate set far above any server here, for a`);
  p(`  fixed number of calls (${Object.entries(s.loop).map(([w, l]) => `${w} ${fmt(l.calls)} calls, -l ${fmt(l.window)}`).join('; ')}),`);
  p(`  after a closed loop of a quarter as many calls on the same fresh app (${Object.values(s.loop).map((l) => fmt(l.warm ?? 0)).join(', ')}), not counted: the first`);
  p('  second of a process is mostly the JIT compiling it (its rate and CPU are in "Every run").');
  p('  The rate is read from sipp\'s per-second statistics over the periods in which it was still starting calls,');
  p('  without the first and the last (../transaction/sipp.mjs).');
  p(`- Fixed rate: ${Object.entries(s.fixedRates).map(([w, v]) => `${w} ${fmt(v)}/s`).join(', ')}, ${s.fixedSeconds} s each, counted after ${fmt(s.fixedWarmSeconds ?? 0)} s at the same rate; on a machine too`);
  p(`  busy for that, ${Math.round(100 * s.fixedShareOfLoop)}% of the slower package's closed-loop rate in the same round (rounded down to 100/s),`);
  p('  the same rate for both packages (the table names the rates used).');
  p(`- RSS: the UAS after ${fmt(s.rss.calls)} OPTIONS in closed loop (-l ${fmt(s.rss.window)}; the same count for both), read at the end of`);
  p('  the run while the server transactions of the last 32 s (Timer J) are still held.');
  p('- The machine is shared: each run first waits (at most BENCH_QUIET_WAIT_MS, 5 s) for a second in which the CPUs');
  p('  were 60% idle; "CPUs idle before" in the table below is what that second showed.');
  p();
  p('## Every run');
  p();
  p('| round | workload | package | load | CPUs idle before | completed/s | failed | sipp retransmissions | app CPU µs per unit | app RSS at end |');
  p('|---:|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const run of r.runs) p(runRow(run));
  p();
  return lines.join('\n');
}
