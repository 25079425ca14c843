// The CPRO-XL050-06 bundle mirrors the manual's tables (SPEC §5.1), loads from the source tree
// and from dist/, and refuses what is not a bundle.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { bundleSchema, loadBundle, neverApplyMatches, platformOfSummary, type Bundle } from '../../coordinator/procedures/clusterpro/bundle.js';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { isLockstepError } from '../../shared/errors.js';
import { DIST } from '../support/processes.js';

const ALL_2X = ['2.0.0-1', '2.0.1-1', '2.0.2-1', '2.0.3-1', '2.1.0-1', '2.1.1-1', '2.1.2-1'];
const NO_2_1_1 = ALL_2X.filter((version) => version !== '2.1.1-1');

describe('CPRO-XL050-06', () => {
  const bundle = loadBundle('CPRO-XL050-06');

  it('section 2.1: per platform, the Summary it is recognised by, the versions it applies to and its rpm', () => {
    expect(bundle.target).toBe('2.1.3-1');
    expect(bundle.product.package).toBe('clusterpro');
    expect(bundle.platforms.map(({ name, summaryArch, appliesTo, rpm }) => ({ name, summaryArch, appliesTo, rpm }))).toEqual([
      { name: 'IA32', summaryArch: 'i686', appliesTo: ALL_2X, rpm: 'clusterpro-2.1.3-1.i686.rpm' },
      { name: 'x86_64 (VMware ESX 4.0 を含む / including VMware ESX 4.0)', summaryArch: 'x86_64', appliesTo: ALL_2X, rpm: 'clusterpro-2.1.3-1.x86_64.rpm' },
      { name: 'IA64', summaryArch: 'ia64', appliesTo: NO_2_1_1, rpm: 'clusterpro-2.1.3-1.ia64.rpm' },
      { name: 'PPC64', summaryArch: 'ppc64', appliesTo: NO_2_1_1, rpm: 'clusterpro-2.1.3-1.ppc64.rpm' },
      { name: 'VMware ESX 3.5', summaryArch: 'i386/vmware', appliesTo: ['2.0.2-1', '2.1.0-1', '2.1.1-1'], rpm: 'clusterpro-2.1.3-1.vmware.i386.rpm' },
    ]);
    expect(bundle.platforms.map((platform) => platform.sections.running)).toEqual(['2.1.1', '2.1.2', '2.1.3', '2.1.4', '2.1.5']);
  });

  it('recognises each platform by the bracketed part of the Summary the manual shows (2.1.1–2.1.5)', () => {
    const recognised = (summary: string): string | undefined => platformOfSummary(bundle, summary)?.id;
    expect(recognised('CLUSTERPRO X 2.0 for Linux(i686)')).toBe('ia32');
    expect(recognised('CLUSTERPRO X 2.0 for Linux(x86_64)')).toBe('x86_64');
    expect(recognised('CLUSTERPRO X 2.0 for Linux(ia64)')).toBe('ia64');
    expect(recognised('CLUSTERPRO X 2.0 for Linux(ppc64)')).toBe('ppc64');
    expect(recognised('CLUSTERPRO X 2.0 for Linux(i386/vmware)')).toBe('vmware-esx-3.5');
    expect(recognised('CLUSTERPRO X 2.1 for Linux(s390x)')).toBeUndefined();
    expect(recognised('CLUSTERPRO X SingleServerSafe 2.1 for Linux(x86_64)')).toBeUndefined();
  });

  it('section 1: never 1.x, SingleServerSafe, nor the UL4006/UL4254 products — in the manual’s words', () => {
    const ids = (summary: string, version: string): string[] => neverApplyMatches(bundle, summary, version).map((entry) => entry.id);
    expect(ids('CLUSTERPRO X 1.0 for Linux(x86_64)', '1.0.2-1')).toEqual(['clusterpro-x-1.0']);
    expect(ids('CLUSTERPRO X SingleServerSafe 2.1 for Linux(x86_64)', '2.1.0-1')).toEqual(['singleserversafe']);
    expect(ids('CLUSTERPRO for Linux UL4254-102', '3.3.0-1')).toEqual(['ul4006-ul4254']);
    expect(ids('CLUSTERPRO X 2.0 for Linux(x86_64)', '2.0.0-1')).toEqual([]);
    expect(bundle.neverApply.find((entry) => entry.id === 'ul4006-ul4254')?.ja).toBe('UL型番が UL4006-XXX, UL4254-XXX (XXXは数字) の CLUSTERPRO製品');
    expect(bundle.neverApply.every((entry) => entry.section === '1' && entry.en.length > 0)).toBe(true);
  });

  it('3.1.2 (1) and 3.1.4 (3): the service lists in the manual’s stop order, the same the agents allow', () => {
    expect(bundle.services.autoStart.stopOrder).toEqual([...CLUSTERPRO_2X_SERVICES]);
    expect(bundle.services.nonstop.stopOrder).toEqual(['clusterpro_alertsync', 'clusterpro_webmgr', 'clusterpro_trn', 'clusterpro_evt']);
  });

  it('keeps the manual’s sentences for the procedures’ warnings', () => {
    expect(bundle.wording.replicatorRolling).toMatchObject({ section: '3.1.3', ja: expect.stringContaining('ミラー復帰を延べ2回行うため') });
    expect(bundle.wording.replicatorNonstop.ja).toContain('Replicatorオプションを使用している場合には本手順は行うことができません');
  });
});

describe('loading bundles', () => {
  it('refuses a bundle that does not exist, naming the field and the known ones', () => {
    for (const id of ['CPRO-XL050-99', '../../../package', '']) {
      const error = (() => {
        try {
          loadBundle(id);
        } catch (caught) {
          return caught;
        }
      })();
      expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
      expect(error).toMatchObject({ field: 'bundle', message: expect.stringContaining('CPRO-XL050-06') });
    }
  });

  it('a second bundle is data only: the same schema takes another update', () => {
    const text = readFileSync(new URL('../../coordinator/procedures/clusterpro/bundles/CPRO-XL050-06.yaml', import.meta.url), 'utf8');
    const next = { ...(parseYaml(text) as Bundle), id: 'CPRO-XL050-07', target: '2.1.4-1' };
    expect(bundleSchema.parse(next).target).toBe('2.1.4-1');
    expect(bundleSchema.safeParse({ ...next, platforms: [] }).success).toBe(false);
    expect(bundleSchema.safeParse({ ...next, target: '2.1.4' }).success).toBe(false);
  });

  it('works from dist/, where tsc copies no data files', async () => {
    const built = `${DIST}coordinator/procedures/clusterpro/bundle.js`;
    expect(existsSync(built), 'run npm run build first').toBe(true);
    const fromDist = (await import(built)) as { loadBundle: typeof loadBundle };
    expect(fromDist.loadBundle('CPRO-XL050-06')).toEqual(loadBundle('CPRO-XL050-06'));
  });
});
