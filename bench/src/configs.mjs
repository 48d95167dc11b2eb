/** What gets measured: (mode, parser, serializer, input) combinations. */
export const INPUT_NAMES = ['invite', 'ok200', 'register', 'wsinv'];
export const PARSERS = ['ours', 'classic', 'drachtio', 'jssip'];

export const MODES = {
  keys: 'a. parse from a Buffer + read the transaction keys',
  all: 'b. parse + read every header',
  serialize: 'c. serialize an unmodified parsed message',
  build: 'd. build the INVITE as a plain object, then serialize',
};

/** Serializers per parser for modes c and d (JsSIP has none; drachtio cannot serialize a plain classic object). */
const SERIALIZE = [
  ['ours', 'stringify'],
  ['ours', 'serializeMessage'],
  ['classic', 'stringify'],
  ['drachtio', 'toString'],
];
const BUILD = [
  ['ours', 'stringify'],
  ['ours', 'serializeMessage'],
  ['classic', 'stringify'],
];

export function columnOf(c) {
  return c.serializer === undefined ? c.parser : `${c.parser}:${c.serializer}`;
}

export function allConfigs() {
  const out = [];
  for (const mode of ['keys', 'all']) {
    for (const input of INPUT_NAMES) for (const parser of PARSERS) out.push({ mode, parser, input });
  }
  for (const input of INPUT_NAMES) for (const [parser, serializer] of SERIALIZE) out.push({ mode: 'serialize', parser, serializer, input });
  for (const [parser, serializer] of BUILD) out.push({ mode: 'build', parser, serializer, input: 'invite' });
  return out;
}

export const idOf = (c) => `${c.mode}/${columnOf(c)}/${c.input}`;
