#!/usr/bin/env node
/**
 * Before `npm test`: makes sure the browser tests have a Chromium. Order of preference:
 *   1. CHROMIUM_PATH, or Debian's /usr/bin/chromium (or chromium-browser) when present;
 *   2. the system package manager, where this process may use it (root + apt-get): chromium + fonts;
 *   3. Playwright's own browser download (`npx playwright install chromium`), where the network allows;
 *   4. otherwise one line naming the exact command to run, and exit 1.
 * The fake camera needs nothing else: its .y4m video is written by e2e/chromium.ts itself (no ffmpeg).
 * Set CONVLENS_SKIP_BROWSER_SETUP=1 to skip this step (e.g. unit tests only).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const log = (line) => console.error(`browser set-up: ${line}`);

function systemChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

function playwrightChromium() {
  try {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(require('playwright-core').chromium.executablePath())"], { encoding: 'utf8' });
    return out && existsSync(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

function run(command, args) {
  log(`running: ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
}

if (process.env.CONVLENS_SKIP_BROWSER_SETUP === '1') process.exit(0);
if (systemChromium() || playwrightChromium()) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (isRoot && hasApt) {
  if (run('apt-get', ['update', '-qq']) && run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']) && systemChromium()) process.exit(0);
}
if (run(process.execPath, ['node_modules/playwright-core/cli.js', 'install', 'chromium']) && playwrightChromium()) process.exit(0);

const how = hasApt ? 'sudo apt-get install chromium (Debian/Ubuntu)' : 'npx playwright install chromium';
console.error(`The browser tests need Chromium and none could be installed here: run \`${how}\`, or set CHROMIUM_PATH to a Chromium/Chrome binary, then npm test again.`);
process.exit(1);
