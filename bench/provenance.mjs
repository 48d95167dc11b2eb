/**
 * What every benchmark records about the code it measured: the commit, and whether the working tree
 * was clean (every file, not only the measured package: a change anywhere may be in the build). The
 * run's own output files do not count. Paths are written relative to the repository, so results
 * name no machine's folders.
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in bench/). */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The commit and the state of the tree.
 * @param {{ outputs: string[] }} options the files the run writes, repo-relative (`bench/proxy/results.json`)
 * @returns {{ commit: string, clean: boolean, dirty: string[] }} `commit` is 'unknown' outside a git checkout
 */
export function gitProvenance({ outputs }) {
  const git = (...args) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return { commit: 'unknown', clean: false, dirty: ['not a git checkout'] };
  const exclude = outputs.map((f) => `:(top,exclude)${f}`);
  const dirty = git('status', '--porcelain', '--', ':/', ...exclude)
    .stdout.split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return { commit: head.stdout.trim(), clean: dirty.length === 0, dirty };
}

/** An absolute path as the results write it: relative to the repository. @param {string} path */
export function repoPath(path) {
  return relative(REPO_ROOT, path);
}

/**
 * One line for a RESULTS.md: `commit 1a2b3c4d5e6f, tree clean` or `…, tree NOT clean (2 files: …)`.
 * Results written before this helper carried a string or only a commit; those are shown as they are.
 * @param {{ commit: string, clean?: boolean, dirty?: string[] } | string | undefined} git
 */
export function describeGit(git) {
  if (git === undefined) return 'commit not recorded';
  if (typeof git === 'string') return git;
  const commit = `commit ${git.commit.slice(0, 12)}`;
  if (git.clean === undefined) return `${commit}, tree state not recorded`;
  if (git.clean) return `${commit}, tree clean`;
  const files = git.dirty ?? [];
  return `${commit}, tree NOT clean (${files.length} files: ${files.slice(0, 5).join('; ')}${files.length > 5 ? '; …' : ''})`;
}
