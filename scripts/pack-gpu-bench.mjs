#!/usr/bin/env node
/**
 * `npm run bench:gpu:pack [-- --out DIR]`: writes ONE self-contained folder (default dist-gpu-bench/, git-ignored)
 * that runs the GPU benchmark (bench/gpu.bench.ts) on a Linux x86-64 machine with no package registry and no
 * Node.js installed:
 *
 *   run.sh               ./run.sh [--json] [--model lite|standard] [--frames N] … (arguments go to the benchmark)
 *   bench.mjs            the benchmark bundled with esbuild (TensorFlow.js, tfjs-backend-webgpu, ConvLens core)
 *   node_modules/webgpu  the `webgpu` package's loader (index.js, package.json, licence)
 *   runtime.tar.xz       this machine's Node binary (symbols stripped) and Dawn's native module (dawn.node),
 *                        xz-compressed; run.sh unpacks them on first use (next to itself, or under $TMPDIR)
 *   lib/libstdc++.so.6   used only where the system's libstdc++ is older than dawn.node needs (GLIBCXX_3.4.30)
 *   models/              the two MobileNet v1 models (lite 0.25, standard 0.75)
 *   coffee.png           the benchmark picture
 *
 * Needs on the target: glibc ≥ 2.34 (dawn.node), xz or python3 (to unpack), and a WebGPU driver for Dawn: the GPU's
 * Vulkan driver, or Mesa's EGL + llvmpipe for software rendering (see README, "GPU benchmark").
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg >= 0 ? process.argv[outArg + 1] : join(root, 'dist-gpu-bench'));

function fail(message) {
  console.error(`bench:gpu:pack: ${message}`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`packs for Linux x86-64 from Linux x86-64 (this is ${process.platform}-${process.arch})`);
const webgpuDir = join(root, 'node_modules', 'webgpu');
const dawnNode = join(webgpuDir, 'dist', 'linux-x64', 'dawn.node');
if (!existsSync(dawnNode)) fail(`no ${relative(root, dawnNode)}: run npm install first`);
const modelsDir = join(root, 'public', 'models');
const modelDirs = ['mobilenet_v1_0.25_224', 'mobilenet_v1_0.75_224'];
for (const m of modelDirs) if (!existsSync(join(modelsDir, m, 'model.json'))) fail(`no model in ${relative(root, join(modelsDir, m))}: run npm run setup first`);
if (out === root || (out.startsWith(`${root}/`) && !relative(root, out).startsWith('dist-'))) fail(`refusing to write into ${out}: use a dist-* folder or one outside the repository`);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const t0 = performance.now();

// 1. The benchmark and everything it imports, except Dawn's loader (it finds dawn.node next to itself).
await build({
  entryPoints: [join(root, 'bench', 'gpu.bench.ts')],
  outfile: join(out, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  // CommonJS dependencies bundled into an ES module still call require() (e.g. tfjs-core's Node platform).
  banner: { js: "import { createRequire as __convlensRequire } from 'node:module';\nconst require = __convlensRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});

// 2. Dawn's loader, plain; its native module goes into the runtime archive.
const loader = join(out, 'node_modules', 'webgpu');
mkdirSync(loader, { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(webgpuDir, f), join(loader, f));

// 3. Node and dawn.node, xz-compressed (about 27 MB instead of 108 MB).
const stage = join(out, '.stage');
mkdirSync(join(stage, 'node_modules', 'webgpu', 'dist', 'linux-x64'), { recursive: true });
const nodeCopy = join(stage, 'node');
try {
  execFileSync('strip', ['-o', nodeCopy, process.execPath]);
} catch {
  console.error('bench:gpu:pack: no strip here: the Node binary goes in unstripped');
  copyFileSync(process.execPath, nodeCopy);
}
chmodSync(nodeCopy, 0o755);
copyFileSync(dawnNode, join(stage, 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'));
execFileSync('tar', ['-C', stage, '-cf', join(out, 'runtime.tar'), 'node', 'node_modules/webgpu/dist/linux-x64/dawn.node']);
execFileSync('xz', ['-9', '-T0', '-f', join(out, 'runtime.tar')]);
rmSync(stage, { recursive: true, force: true });
const stamp = createHash('sha256').update(readFileSync(join(out, 'runtime.tar.xz'))).digest('hex').slice(0, 16);

// 4. A libstdc++ new enough for dawn.node, for systems whose own is older (used only there).
const libstdcxx = execFileSync('sh', ['-c', `{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | awk '$1 == "libstdc++.so.6" && /x86-64/ {print $NF; exit}'`], { encoding: 'utf8' }).trim();
if (libstdcxx && existsSync(libstdcxx)) {
  mkdirSync(join(out, 'lib'), { recursive: true });
  copyFileSync(libstdcxx, join(out, 'lib', 'libstdc++.so.6'));
}

// 5. Models and the picture.
for (const m of modelDirs) cpSync(join(modelsDir, m), join(out, 'models', m), { recursive: true });
copyFileSync(join(root, 'public', 'gallery', 'coffee.png'), join(out, 'coffee.png'));

// 6. The launcher.
const runSh = `#!/bin/sh
# ConvLens GPU benchmark (self-contained; made by npm run bench:gpu:pack on ${new Date().toISOString().slice(0, 10)}).
#   ./run.sh [--json] [--model lite|standard] [--frames N] [--warmup N] [--only REGEX] [--backend auto|vulkan|opengles]
#   ./run.sh --json > out.json        (the JSON on stdout, progress and Dawn's warnings on stderr)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
stamp=${stamp}

# Unpack Node and dawn.node once: next to this script when the folder is writable, else under $TMPDIR.
rt="$here"
if ! [ -w "$here" ]; then
  rt="\${TMPDIR:-/tmp}/convlens-gpu-bench-$stamp"
fi
if ! [ -f "$rt/.unpacked-$stamp" ]; then
  mkdir -p "$rt"
  if [ "$rt" != "$here" ]; then cp -R "$here/bench.mjs" "$here/node_modules" "$rt/"; fi
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$here/runtime.tar.xz" | tar -xf - -C "$rt"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/runtime.tar.xz" "$rt"
  else
    echo "run.sh: cannot unpack runtime.tar.xz: needs xz (package xz-utils) or python3" >&2
    exit 2
  fi
  touch "$rt/.unpacked-$stamp"
fi

# Libraries: Dawn's OpenGL ES fallback opens libEGL.so (unversioned, which only libegl-dev provides on Debian):
# point that name at the system's libEGL.so.1 when it is missing. And a libstdc++ new enough for dawn.node.
libdir="$rt/.lib"
mkdir -p "$libdir"
extra=""
ldconf() { { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | awk -v n="$1" '$1 == n && /x86-64/ {print $NF; exit}'; }
if [ -z "$(ldconf libEGL.so)" ]; then
  egl1=$(ldconf libEGL.so.1)
  if [ -n "$egl1" ]; then ln -sf "$egl1" "$libdir/libEGL.so"; extra="$libdir"; fi
fi
syscxx=$(ldconf libstdc++.so.6)
if [ -f "$here/lib/libstdc++.so.6" ] && ! { [ -n "$syscxx" ] && grep -q GLIBCXX_3.4.30 "$syscxx"; }; then
  extra="\${extra:+$extra:}$here/lib"
fi
if [ -n "$extra" ]; then
  LD_LIBRARY_PATH="$extra\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
fi

CONVLENS_MODELS_DIR="$here/models"
CONVLENS_BENCH_IMAGE="$here/coffee.png"
export CONVLENS_MODELS_DIR CONVLENS_BENCH_IMAGE
exec "$rt/node" "$rt/bench.mjs" "$@"
`;
writeFileSync(join(out, 'run.sh'), runSh);
chmodSync(join(out, 'run.sh'), 0o755);

writeFileSync(
  join(out, 'README.txt'),
  `ConvLens GPU benchmark, self-contained (Linux x86-64).

  ./run.sh                 text table: every live view, the batched occlusion step and one step of each
                           optimisation mode, for the lite and standard models, on TensorFlow.js's WebGPU backend
                           through Dawn (median ms per frame, kernels, GPU dispatches, submits, readbacks)
  ./run.sh --json > out.json
  ./run.sh --model lite --frames 20 --only 'live'

Dawn's default backend (Vulkan) is tried first; without a Vulkan GPU it falls back to OpenGL ES over EGL (Mesa
llvmpipe = software: then only ratios mean anything). The first line of the output names the adapter.
Needs glibc >= 2.34, xz or python3 (first run unpacks runtime.tar.xz), and for a GPU its Vulkan driver (in a
container with NVIDIA's toolkit: NVIDIA_DRIVER_CAPABILITIES must include graphics). Made from ConvLens' repository
by npm run bench:gpu:pack; see its README, "GPU benchmark".
`,
);

// Size check: the folder must stay well under 64 MiB.
let total = 0;
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    const s = statSync(p);
    if (s.isDirectory()) walk(p);
    else total += s.size;
  }
};
walk(out);
const mib = (n) => (n / 2 ** 20).toFixed(1);
console.log(`wrote ${relative(process.cwd(), out) || out}/ (${mib(total)} MiB: runtime.tar.xz ${mib(statSync(join(out, 'runtime.tar.xz')).size)} MiB, bench.mjs ${mib(statSync(join(out, 'bench.mjs')).size)} MiB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (total > 60 * 2 ** 20) fail(`the folder is ${mib(total)} MiB, over the 60 MiB budget`);
