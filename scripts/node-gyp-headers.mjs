// Runs before `pnpm install` (the root "pnpm:devPreinstall" script). Native addons (better-sqlite3,
// used by apps/server) build with node-gyp, which downloads Node's headers from nodejs.org unless
// they are in its cache. This machine's only registries are npm's and Debian's, but Node's own
// headers ship with it under <prefix>/include/node; npm builds against them through its `nodedir`
// setting, which pnpm does not pass on. So: when the installed headers are those of the running
// Node and node-gyp's cache has none, point the cache at them. Does nothing otherwise.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const version = process.versions.node;
const prefix = dirname(dirname(process.execPath));
const headers = join(prefix, 'include', 'node');
const versionH = join(headers, 'node_version.h');
if (existsSync(versionH)) {
  const text = readFileSync(versionH, 'utf8');
  const part = (name) => new RegExp(`define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  const found = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  const cacheRoot = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const dir = join(cacheRoot, 'node-gyp', version);
  if (found === version && !existsSync(join(dir, 'installVersion'))) {
    mkdirSync(join(dir, 'include'), { recursive: true });
    if (!existsSync(join(dir, 'include', 'node'))) symlinkSync(headers, join(dir, 'include', 'node'));
    // node-gyp 10–12 treat a cache entry with installVersion >= 11 as complete.
    writeFileSync(join(dir, 'installVersion'), '11\n');
    console.log(`node-gyp-headers: node-gyp will build against ${headers} (Node ${version})`);
  }
}
