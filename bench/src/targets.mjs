/** The targets of issue 13, evaluated on the medians (met / not met, with the figure). */
const KB = 1024;

const fmt = (n) => Math.round(n).toLocaleString('en-US');

function rate(results, mode, column, input) {
  const r = results.runs.find((x) => x.mode === mode && x.input === input && (x.serializer === undefined ? x.parser : `${x.parser}:${x.serializer}`) === column);
  return r?.median;
}

export function evaluateTargets(results) {
  const t = [];
  const add = (name, met, figure) => t.push({ name, met, figure });

  const oursA = rate(results, 'keys', 'ours', 'invite');
  const classicA = rate(results, 'keys', 'classic', 'invite');
  if (oursA === undefined || classicA === undefined) add('(a) parse + txn keys, INVITE: ≥ 1,000,000 msg/s and ≥ 3× classic', false, 'no measurement (a run failed)');
  else {
    const ratio = oursA / classicA;
    add(
      '(a) parse + txn keys, INVITE: ≥ 1,000,000 msg/s and ≥ 3× classic',
      oursA >= 1_000_000 && ratio >= 3,
      `${fmt(oursA)} msg/s (${oursA >= 1_000_000 ? 'met' : 'not met'}), ${ratio.toFixed(2)}× classic (${ratio >= 3 ? 'met' : 'not met'})`,
    );
  }

  const oursB = rate(results, 'all', 'ours', 'invite');
  const classicB = rate(results, 'all', 'classic', 'invite');
  const inputs = [...new Set(results.runs.map((r) => r.input))];
  const wins = inputs.filter((i) => (rate(results, 'all', 'ours', i) ?? 0) >= (rate(results, 'all', 'classic', i) ?? Infinity));
  const twice = inputs.filter((i) => (rate(results, 'all', 'ours', i) ?? 0) >= 2 * (rate(results, 'all', 'classic', i) ?? Infinity));
  if (oursB === undefined || classicB === undefined) add('(b) parse + every header, INVITE: ≥ 2× classic', false, 'no measurement (a run failed)');
  else add('(b) parse + every header, INVITE: ≥ 2× classic', oursB >= 2 * classicB, `${fmt(oursB)} vs ${fmt(classicB)} msg/s = ${(oursB / classicB).toFixed(2)}× (≥ classic on ${wins.length}, ≥ 2× on ${twice.length} of ${inputs.length} inputs)`);

  const oursC = rate(results, 'serialize', 'ours:stringify', 'invite');
  const oursC2 = rate(results, 'serialize', 'ours:serializeMessage', 'invite');
  const classicC = rate(results, 'serialize', 'classic:stringify', 'invite');
  if (oursC === undefined || classicC === undefined) add('(c) stringify of a parsed INVITE: ≥ 3× classic sip.stringify', false, 'no measurement (a run failed)');
  else {
    const extra = oursC2 === undefined ? '' : `; serializeMessage ${fmt(oursC2)} msg/s = ${(oursC2 / classicC).toFixed(2)}×`;
    add('(c) stringify of a parsed INVITE: ≥ 3× classic sip.stringify', oursC / classicC >= 3, `${fmt(oursC)} vs ${fmt(classicC)} msg/s = ${(oursC / classicC).toFixed(2)}×${extra}`);
  }

  const al = results.alloc.find((a) => a.parser === 'ours' && a.input === 'invite');
  const alC = results.alloc.find((a) => a.parser === 'classic' && a.input === 'invite');
  if (!al?.ok) add('allocation: < 1,000 B per INVITE parse', false, `no measurement: ${al?.error}`);
  else add('allocation: < 1,000 B per INVITE parse', al.bytesPerParse < 1000, `${fmt(al.bytesPerParse)} B per parse${alC?.ok ? ` (classic ${fmt(alC.bytesPerParse)} B)` : ''}`);

  const b = results.bundle;
  if (!b.ok) add('bundle: < 15 KB (15,360 B) min+gzip', false, `no measurement: ${b.error}`);
  else add('bundle: < 15 KB (15,360 B) min+gzip', b.gzipBytes < 15 * KB, `${fmt(b.gzipBytes)} B min+gzip (${fmt(b.minBytes)} B minified)`);
  return t;
}
