// Harness: installs what the peer targets need (Debian packages, npm packages) before a run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS } from './targets.mjs';

/** Where npm peers (pm2, autocannon) are installed, outside the project's own dependencies. */
export const NPM_PEERS_PREFIX = 'bench/tmp/peers';

/**
 * Installs the Debian and npm packages the chosen targets declare (`install: { apt, npm }`) and
 * do not have yet. apt-get needs root (CI and this machine run as root); without it, the
 * targets stay unavailable and are skipped with their reason.
 */
export function ensurePeers(names, root) {
  const apt = new Set();
  const npm = new Set();
  for (const name of names) {
    const t = TARGETS[name];
    if (!t?.install) continue;
    for (const p of t.install.apt ?? []) if (!debInstalled(p)) apt.add(p);
    for (const p of t.install.npm ?? []) if (!existsSync(join(root, NPM_PEERS_PREFIX, 'node_modules', p.replace(/@[^@/]+$/, '')))) npm.add(p);
  }
  ensureApt([...apt]);
  if (npm.size > 0) {
    const list = [...npm];
    console.log(`installing npm packages into ${NPM_PEERS_PREFIX}: ${list.join(' ')}`);
    try {
      execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', NPM_PEERS_PREFIX, ...list],
        { cwd: root, stdio: 'inherit' });
    } catch (err) {
      console.log(`could not install ${list.join(' ')}: ${err.message.split('\n')[0]}`);
    }
  }
}

/** Installs the Debian packages of `pkgs` not installed yet (needs root; says so and goes on if it fails). */
export function ensureApt(pkgs) {
  const missing = pkgs.filter((p) => !debInstalled(p));
  if (missing.length === 0) return;
  const list = missing.join(' ');
  console.log(`installing Debian packages: ${list}`);
  try {
    execFileSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${list} ` +
      `|| (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${list})`],
    { stdio: 'inherit' });
  } catch (err) {
    console.log(`could not install ${list}: ${err.message.split('\n')[0]}`);
  }
}

function debInstalled(pkg) {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.includes('install ok installed');
  } catch {
    return false;
  }
}
