// Issue 19: the CLI starts from one CommonJS bundle of the command tree (dist/coordinator/cli/
// program.js and all it imports) instead of ~150 modules resolved and compiled one by one, and
// with a V8 code cache made here, since Node 20 has no compile cache of its own. main.js loads
// both (cli-bundle.ts). The coordinator the same way: dist/coordinator/coordinator-main.js and
// all it imports, loaded by dist/coordinator/main.js (coordinator-bundle.ts). Run after tsc: it
// bundles tsc's output, so every module's import.meta.url still names its own file under dist/
// (the data files, the dashboard, the programs `lab` and `demo` start lie beside those files,
// not beside the bundle).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = join(repo, 'dist');
const TRAINING_TIMEOUT_MS = 60_000;
const TRAINING_OUTPUT_CAP = 1024 * 1024;

// What the programs' start needs; pure JavaScript. The other packages (native addons, pino's
// worker, etcd3, …) stay where npm put them and are required from there when first needed.
const CLI_PACKAGES = new Set(['commander', '@grpc/grpc-js', '@js-sdsl/ordered-map', '@bufbuild/protobuf']);
const COORDINATOR_PACKAGES = new Set([...CLI_PACKAGES, 'zod', 'yaml']);

/** `import.meta.url` of a module of dist/, once it is inside the bundle in `dir`: its own file's URL. */
function importMetaUrl(dir) {
  return {
    name: 'dist-import-meta-url',
    setup(esbuild) {
      esbuild.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(`${dist}/`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const fromBundle = relative(dir, args.path);
        return { contents: source.replaceAll('import.meta.url', `__lockstepModuleUrl(${JSON.stringify(fromBundle)})`), loader: 'js' };
      });
    },
  };
}

/** Every package but `bundled` is required at run time from node_modules. */
function externalPackages(bundled) {
  return {
    name: 'external-packages',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        return bundled.has(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/**
 * Bundles `entry` into `bundle`, then makes its code cache: V8's compiled code of the functions
 * a training run (scripts/TRAINER with `args`) compiled, taken as it exits; the run must end
 * with `expectedExit` — anything else means the bundle itself is broken, and the build stops
 * here rather than at an operator's. The builder's own LOCKSTEP_* settings must not steer it.
 */
async function bundleWithCache({ entry, bundle, packages, trainer, args, expectedExit }) {
  const dir = dirname(bundle);
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [importMetaUrl(dir), externalPackages(packages)],
    banner: { js: "const __lockstepModuleUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, file)).href;" },
    // An import.meta left over would be empty in CommonJS: fail the build rather than the program.
    logOverride: { 'empty-import-meta': 'error' },
    logLevel: 'warning',
    // Less source to read and to parse lazily (~10 ms of CPU a call here); names are kept, so
    // what a class or an error is called does not change.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
  });
  const codeCache = `${bundle}.cache`;
  rmSync(codeCache, { force: true });
  const trainingEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOCKSTEP_')));
  const training = spawnSync(process.execPath, [join(repo, 'scripts', trainer), ...args], {
    cwd: repo,
    env: trainingEnv,
    encoding: 'utf8',
    timeout: TRAINING_TIMEOUT_MS,
    maxBuffer: TRAINING_OUTPUT_CAP,
  });
  if (training.error !== undefined || training.status !== expectedExit || statSync(codeCache, { throwIfNoEntry: false }) === undefined) {
    console.error(`bundle-cli: the training run of ${relative(repo, bundle)} failed (${training.error?.message ?? `exit ${training.status ?? training.signal}`}, expected ${expectedExit}):\n${training.stderr}`);
    process.exit(1);
  }
  console.log(`bundle-cli: ${relative(repo, bundle)} (${statSync(bundle).size} bytes), ${relative(repo, codeCache)} (${statSync(codeCache).size} bytes)`);
}

// The CLI's cache is trained by a `status` call to a socket that is not there: it fails as fast
// as that (exit 3, as `lockstep status` does when no coordinator answers), having compiled
// commander, the command tree, grpc-js and the generated client on its way (trained against a
// real coordinator, the cache saved only ~3 ms more a call).
const cliDir = join(dist, 'coordinator/cli');
await bundleWithCache({
  entry: join(cliDir, 'program.js'),
  bundle: join(cliDir, 'lockstep-cli.cjs'),
  packages: CLI_PACKAGES,
  trainer: 'train-cli-code-cache.mjs',
  args: ['--coordinator', `unix:${join(dist, 'no-coordinator.sock')}`, 'status', 'training-run', '--json'],
  expectedExit: 3,
});
// The coordinator's by `--version`: every module's top level has run by then (loading the
// bundle runs them all), and the flags' parser; what a running coordinator compiles later
// (the engine's, the API's functions) compiles from the bundle's source.
await bundleWithCache({
  entry: join(dist, 'coordinator/coordinator-main.js'),
  bundle: join(dist, 'coordinator/lockstep-coordinator.cjs'),
  packages: COORDINATOR_PACKAGES,
  trainer: 'train-coordinator-code-cache.mjs',
  args: ['--version'],
  expectedExit: 0,
});
