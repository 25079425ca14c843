// The two journals the engine can run on, for benchmarks that run it in-process: SQLite on disk
// (the default), or the HA leader's (docs/ha.md): an in-memory copy whose every commit is
// copied to etcd in fenced transactions (FencedJournalWriter) before its dispatches go out.
// The fence is a key this benchmark puts itself and always holds (no election): what is
// measured is the journal, not the campaign. Each etcd store counts what it sends: the
// transactions and their bytes, as the writer cuts them (txnBatches of journalOps).
import { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import { distModule } from './dist-modules.mjs';

const { RunStore } = await distModule('coordinator/store/run-store.js');
const { MIGRATIONS } = await distModule('coordinator/store/migrations.js');
const { openMemoryDatabase } = await distModule('shared/sqlite.js');
const { FencedJournalWriter, journalOps, txnBatches, claimPrefix } = await distModule('coordinator/ha/etcd-journal.js');
const { silentLogger } = await distModule('shared/logger.js');

let stores = 0;

/** A SQLite journal in `dir`, as a coordinator without --etcd keeps it. */
export function sqliteStore(dir) {
  stores += 1;
  const store = new RunStore(join(dir, `journal-${stores}.sqlite`));
  return { backend: 'sqlite', store, stats: () => undefined, close: async () => undefined };
}

/** A leader's journal on etcd under a fresh prefix; `stats()` counts the transactions sent so far. */
export async function etcdStore(endpoints) {
  stores += 1;
  const client = new Etcd3({ hosts: endpoints, dialTimeout: 5_000 });
  const prefix = `/bench-${process.pid}-${stores}/`;
  await claimPrefix(client, prefix);
  const fenceKey = `${prefix}election/bench`;
  const put = await client.put(fenceKey).value('{}').exec();
  const fence = { key: fenceKey, createRevision: Number(put.header.revision), holds: () => true };
  const writer = new FencedJournalWriter(client, prefix, fence, silentLogger(), (error) => {
    throw error;
  });
  const counts = { commits: 0, rows: 0, txns: 0, ops: 0, bytes: 0 };
  const counting = {
    replicate(changes) {
      if (changes.length > 0) {
        counts.commits += 1;
        counts.rows += changes.length;
        for (const batch of txnBatches(journalOps(prefix, changes))) {
          counts.txns += 1;
          counts.ops += batch.length;
          for (const op of batch) counts.bytes += Buffer.byteLength(op.key) + (op.type === 'put' ? Buffer.byteLength(op.value) : 0);
        }
      }
      return writer.replicate(changes);
    },
    stillLeading: () => writer.stillLeading(),
  };
  const store = new RunStore(openMemoryDatabase(MIGRATIONS));
  store.adoptEpoch(fence.createRevision);
  store.replicateTo(counting);
  return {
    backend: 'etcd',
    store,
    stats: () => ({ ...counts }),
    close: async () => {
      await client.delete().prefix(prefix).catch(() => undefined);
      client.close();
    },
  };
}
