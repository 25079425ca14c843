// Table 3-1 of the Sun Cluster data services developer's guide (seed 004,
// ../shared/seeds/004_c8bab94b54dce080.txt): the eight kinds of change to a resource type,
// the Tunable each example uses, how the package is handled and the procedure's steps, with
// the seed's own wording for each, as the CLUSTERPRO procedures cite CPRO-XL050-06.
import type { RtChange, Tunable } from '../../../shared/domain/solaris.js';

export { RT_CHANGES, type RtChange } from '../../../shared/domain/solaris.js';

/** One step of a row's procedure, in the seed's order. */
export type RtStep =
  | 'unmonitor'
  | 'disable'
  | 'unmanage'
  | 'pkgadd-all'
  | 'rolling-pkgrm-pkgadd'
  | 'rolling-pkgadd'
  | 'register'
  | 'offline'
  | 'migrate'
  | 'online'
  | 'monitor'
  | 'enable'
  | 'manage';

export interface RtChangeRow {
  change: RtChange;
  /** The seed's words for the kind of change. */
  seedChange: string;
  /** The example's Tunable; null for `rtr-unchanged` (nothing is migrated). */
  tunable: Tunable | null;
  /** The seed's words for the package handling. */
  seedPackaging: string;
  steps: ReadonlyArray<{ step: RtStep; seed: string }>;
}

const ROLLING_NODE = 'クラスタからノードを削除 / 更新されたメソッドの pkgrm/pkgadd の実行 / クラスタにノードを戻す';

export const RT_CHANGE_ROWS: Readonly<Record<RtChange, RtChangeRow>> = {
  'rtr-only': {
    change: 'rtr-only',
    seedChange: 'プロパティの変更は、RTR ファイルのみに加えられました。',
    tunable: 'ANYTIME',
    seedPackaging: '新しい RTR ファイルを配布するだけです。',
    steps: [
      { step: 'pkgadd-all', seed: '新しい RTR ファイルの pkgadd をすべてのノード上で実行します。' },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
    ],
  },
  'methods-new-path': {
    change: 'methods-new-path',
    seedChange: 'メソッドが更新されました。',
    tunable: 'ANYTIME',
    seedPackaging: '更新されたメソッドを古いメソッドとは異なったパスに配置します。',
    steps: [
      { step: 'pkgadd-all', seed: '更新されたメソッドの pkgadd をすべてのノード上で実行します。' },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
    ],
  },
  'new-monitor': {
    change: 'new-monitor',
    seedChange: '新しいモニタープログラムです。',
    tunable: 'WHEN_UNMONITORED',
    seedPackaging: '以前のバージョンのモニターを上書きするだけです。',
    steps: [
      { step: 'unmonitor', seed: '監視を無効化します。' },
      { step: 'pkgadd-all', seed: '新しい監視プログラムの pkgadd をすべてのノード上で実行します。' },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
      { step: 'monitor', seed: '監視を有効化します。' },
    ],
  },
  'update-stop-incompatible': {
    change: 'update-stop-incompatible',
    seedChange: 'メソッドが更新されました。新しい Update/ Stop メソッドと古い Start メソッドには互換性がありません。',
    tunable: 'WHEN_OFFLINE',
    seedPackaging: '更新されたメソッドを古いメソッドとは異なったパスに配置します。',
    steps: [
      { step: 'pkgadd-all', seed: '更新されたメソッドの pkgadd をすべてのノード上で実行します。' },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'offline', seed: 'リソースをオフラインにします。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
      { step: 'online', seed: 'リソースをオンラインにします。' },
    ],
  },
  'new-property-needed': {
    change: 'new-property-needed',
    seedChange: 'メソッドが更新され、RTR ファイルに新しいプロパティが追加されました。新しいメソッドには新しいプロパティが必要です。',
    tunable: 'WHEN_DISABLED',
    seedPackaging: '以前のバージョンのメソッドを上書きします。',
    steps: [
      { step: 'disable', seed: 'リソースを無効にします。' },
      { step: 'rolling-pkgrm-pkgadd', seed: `各ノード上で次の処理を行います。${ROLLING_NODE}` },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
      { step: 'enable', seed: 'リソースを有効にします。' },
    ],
  },
  'new-property-not-needed': {
    change: 'new-property-not-needed',
    seedChange: 'メソッドが更新され、RTR ファイルに新しいプロパティが追加されました。新しいメソッドは新しいプロパティを必要としません。',
    tunable: 'ANYTIME',
    seedPackaging: '以前のバージョンのメソッドを上書きします。',
    steps: [
      { step: 'rolling-pkgrm-pkgadd', seed: `各ノード上で次の処理を行います。${ROLLING_NODE}` },
      { step: 'register', seed: '新しいリソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
    ],
  },
  'fini-incompatible': {
    change: 'fini-incompatible',
    seedChange: 'メソッドが更新されました。新しい Fini メソッドと古い Init メソッドには互換性がありません。',
    tunable: 'WHEN_UNMANAGED',
    seedPackaging: '更新されたメソッドを古いメソッドとは異なったパスに配置します。',
    steps: [
      { step: 'unmanage', seed: 'リソースの所属リソースグループを管理対象外にします。' },
      { step: 'pkgadd-all', seed: '更新されたメソッドの pkgadd をすべてのノード上で実行します。' },
      { step: 'register', seed: 'リソースタイプを登録します。' },
      { step: 'migrate', seed: 'リソースを移行します。' },
      { step: 'manage', seed: 'リソースの所属リソースグループを管理対象にします。' },
    ],
  },
  'rtr-unchanged': {
    change: 'rtr-unchanged',
    seedChange: 'メソッドが更新されました。RTR ファイルは変更されていません。',
    tunable: null,
    seedPackaging: '以前のバージョンのメソッドを上書きします。',
    steps: [{ step: 'rolling-pkgadd', seed: '各ノード上で次の処理を行います。クラスタからノードを削除 / 更新されたメソッドの pkgadd を実行 / クラスタにノードを戻す' }],
  },
};

/** What a Tunable requires of a resource before its Type_version is set, as steps the row must already contain. */
export const TUNABLE_REQUIRES: Readonly<Record<Tunable, RtStep | null>> = {
  ANYTIME: null,
  WHEN_UNMONITORED: 'unmonitor',
  WHEN_OFFLINE: 'offline',
  WHEN_DISABLED: 'disable',
  WHEN_UNMANAGED: 'unmanage',
  AT_CREATION: null,
};
