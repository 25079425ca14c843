// A CLUSTERPRO X update bundle (SPEC §5.1): the manual's tables — platforms and how each is
// recognised, the versions the update applies to, its rpm, the products it must never touch,
// the service order — as a data file, bundles/<id>.yaml. A new update is a new file.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadYamlFile } from '../../../shared/config-file.js';
import { LockstepError } from '../../../shared/errors.js';

const text = z.string().min(1);
const versionRelease = z.string().regex(/^[0-9][A-Za-z0-9._+~^]*-[A-Za-z0-9._+~^]+$/, { error: 'expected VERSION-RELEASE as rpm prints it, e.g. 2.1.3-1' });
const pattern = text.refine(compiles, { error: 'expected a regular expression' });
const serviceName = z.string().regex(/^[A-Za-z0-9_.@:-]{1,128}$/);

/** The manual's own words for a rule: section, Japanese as printed, an English rendering. */
const wordingSchema = z.strictObject({ section: text, ja: text, en: text });

const platformSchema = z.strictObject({
  id: text,
  name: text,
  /** What the installed package's Summary says in brackets: `CLUSTERPRO X 2.0 for Linux(x86_64)`. */
  summaryArch: text,
  /** What `uname -m` may say on this platform (for a new install, where nothing is installed yet). */
  machines: z.array(text).min(1),
  rpmArch: text,
  rpm: text.regex(/\.rpm$/),
  appliesTo: z.array(versionRelease).min(1),
  sections: z.strictObject({ running: text, newInstall: text }),
});

const neverApplySchema = wordingSchema.extend({
  id: text,
  match: z.strictObject({ summary: pattern.optional(), version: pattern.optional() }),
});

const serviceOrderSchema = z.strictObject({ section: text, stopOrder: z.array(serviceName).min(1) });

export const bundleSchema = z.strictObject({
  id: text,
  title: text,
  product: z.strictObject({
    package: text,
    /** Must capture the platform as the named group `arch`. */
    summary: pattern.refine((source) => source.includes('(?<arch>'), { error: 'expected a named group (?<arch>…) for the platform' }),
  }),
  target: versionRelease,
  services: z.strictObject({ autoStart: serviceOrderSchema, nonstop: serviceOrderSchema }),
  platforms: z.array(platformSchema).min(1),
  neverApply: z.array(neverApplySchema),
  wording: z.strictObject({
    versionNotApplicable: wordingSchema,
    rpmNotThisUpdate: wordingSchema,
    notInstalled: wordingSchema,
    alreadyInstalled: wordingSchema,
    replicatorNonstop: wordingSchema,
    replicatorRolling: wordingSchema,
    allServersNormal: wordingSchema,
    groupMovesHealthy: wordingSchema,
    kernelBeforeInstall: wordingSchema,
    kernelDuringUpdate: wordingSchema,
    kernelAfterNonstop: wordingSchema,
    downgradeKernel: wordingSchema,
    kernelDuringDowngrade: wordingSchema,
    licence: wordingSchema,
    javaCache: wordingSchema,
    applications: wordingSchema,
    allServersDone: wordingSchema,
  }),
  builder: z.strictObject({ section: text, appliesTo: z.array(versionRelease).min(1), target: versionRelease, rpm: text, exe: text }),
});

export type Bundle = z.infer<typeof bundleSchema>;
export type BundlePlatform = Bundle['platforms'][number];
export type WordingKey = keyof Bundle['wording'];

// tsc does not copy data files into dist/: from dist/coordinator/procedures/clusterpro/ the
// repository root is four levels up, and the bundles are read from the source tree there.
const BUNDLE_DIRS = [new URL('./bundles/', import.meta.url), new URL('../../../../coordinator/procedures/clusterpro/bundles/', import.meta.url)].map((url) => fileURLToPath(url));
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Reads and validates bundles/<id>.yaml; LOCKSTEP_E_CONFIG naming `bundle` when there is none. */
export function loadBundle(id: string): Bundle {
  const dir = BUNDLE_DIRS.find((candidate) => existsSync(candidate));
  const file = dir !== undefined && BUNDLE_ID.test(id) ? `${dir}${id}.yaml` : undefined;
  if (file === undefined || !existsSync(file)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `bundle: "${id}" is not an update bundle of this build; expected one of ${knownBundles(dir).join(', ') || '(none found)'}`, { field: 'bundle' });
  }
  const bundle = loadYamlFile(file, bundleSchema);
  if (bundle.id !== id) throw new LockstepError('LOCKSTEP_E_CONFIG', `${file}: id: is "${bundle.id}", expected the file's name "${id}"`, { field: 'bundle' });
  return bundle;
}

function knownBundles(dir: string | undefined): string[] {
  if (dir === undefined) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort();
}

/** The platform an installed package's Summary names, by its bracketed architecture. */
export function platformOfSummary(bundle: Bundle, summary: string): BundlePlatform | undefined {
  const arch = new RegExp(bundle.product.summary).exec(summary.trim())?.groups?.arch;
  return arch === undefined ? undefined : bundle.platforms.find((platform) => platform.summaryArch === arch);
}

/** The "never apply" entries (section 1) a package matches. */
export function neverApplyMatches(bundle: Bundle, summary: string, versionRelease: string): Bundle['neverApply'] {
  return bundle.neverApply.filter(({ match }) => {
    const summaryHit = match.summary === undefined || new RegExp(match.summary).test(summary);
    const versionHit = match.version === undefined || new RegExp(match.version).test(versionRelease);
    return (match.summary !== undefined || match.version !== undefined) && summaryHit && versionHit;
  });
}

/** `CPRO-XL050-06 3.1.3: 「…」 (…)` — how every refusal and warning quotes the manual. */
export function quote(bundle: Bundle, wording: { section: string; ja: string; en: string }): string {
  return `${bundle.id} ${wording.section}: 「${wording.ja}」 (${wording.en})`;
}

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
