// Issue 19: the CLI starts from one CommonJS bundle of the command tree (dist/coordinator/cli/
// program.js and all it imports) instead of ~150 modules resolved and compiled one by one, and
// with a V8 code cache made here, since Node 20 has no compile cache of its own. main.js loads
// both (cli-bundle.ts). Run after tsc: it bundles tsc's output, so every module's
// import.meta.url still names its own file under dist/ (the data files, the dashboard, the
// programs `lab` and `demo` start lie beside those files, not beside the bundle).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = join(repo, 'dist');
const cliDir = join(dist, 'coordinator/cli');
const bundle = join(cliDir, 'lockstep-cli.cjs');
const codeCache = `${bundle}.cache`;
const TRAINING_TIMEOUT_MS = 60_000;
const TRAINING_OUTPUT_CAP = 1024 * 1024;

// What `status`, `runs`, `apply` and every other command's start need; pure JavaScript. The
// other packages (native addons, pino's worker, zod, yaml, …) stay where npm put them and are
// required from there when a command first needs them.
const BUNDLED_PACKAGES = new Set(['commander', '@grpc/grpc-js', '@js-sdsl/ordered-map', '@bufbuild/protobuf']);

/** `import.meta.url` of a module of dist/, once it is inside the bundle: its own file's URL. */
const importMetaUrl = {
  name: 'dist-import-meta-url',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(`${dist}/`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const fromBundle = relative(cliDir, args.path);
      return { contents: source.replaceAll('import.meta.url', `__lockstepModuleUrl(${JSON.stringify(fromBundle)})`), loader: 'js' };
    });
  },
};

/** Every package but BUNDLED_PACKAGES is required at run time from node_modules. */
const externalPackages = {
  name: 'external-packages',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: [join(cliDir, 'program.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [importMetaUrl, externalPackages],
  banner: { js: "const __lockstepModuleUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, file)).href;" },
  // An import.meta left over would be empty in CommonJS: fail the build rather than the CLI.
  logOverride: { 'empty-import-meta': 'error' },
  logLevel: 'warning',
  // Less source to read and to parse lazily (~10 ms of CPU a call here); names are kept, so
  // what a class or an error is called does not change.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
});

// The code cache: V8's compiled code of the functions a `status` call runs, taken when a
// training run exits (train-cli-code-cache.mjs). It has no coordinator to reach, so it fails
// as fast as a socket that is not there, having compiled commander, the command tree, grpc-js
// and the generated client on its way (trained against a real coordinator, the cache saved
// only ~3 ms more a call). V8 checks the cache against the source, its version and its flags.
// The builder's own LOCKSTEP_* settings (TLS files) must not steer the training run.
rmSync(codeCache, { force: true });
const trainingEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LOCKSTEP_')));
const training = spawnSync(process.execPath, [join(repo, 'scripts/train-cli-code-cache.mjs'), '--coordinator', `unix:${join(dist, 'no-coordinator.sock')}`, 'status', 'training-run', '--json'], {
  cwd: repo,
  env: trainingEnv,
  encoding: 'utf8',
  timeout: TRAINING_TIMEOUT_MS,
  maxBuffer: TRAINING_OUTPUT_CAP,
});
// It must end as `lockstep status` does when no coordinator answers (exit 3): anything else
// means the bundle itself is broken, and the build stops here rather than at an operator's.
const UNAVAILABLE_EXIT = 3;
if (training.error !== undefined || training.status !== UNAVAILABLE_EXIT || statSync(codeCache, { throwIfNoEntry: false }) === undefined) {
  console.error(`bundle-cli: the training run failed (${training.error?.message ?? `exit ${training.status ?? training.signal}`}, expected ${UNAVAILABLE_EXIT}):\n${training.stderr}`);
  process.exit(1);
}
console.log(`bundle-cli: ${relative(repo, bundle)} (${statSync(bundle).size} bytes), ${relative(repo, codeCache)} (${statSync(codeCache).size} bytes)`);
