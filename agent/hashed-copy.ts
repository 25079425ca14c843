// Copies what an open descriptor holds into a new file of the agent's own, hashing the bytes
// as they are copied: the digest names exactly the bytes the copy holds (package-staging.ts,
// package-tree.ts). Bounded as it reads, since a file may grow after its fstat.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface HashedCopyOptions {
  /** More than this many bytes throws `tooLarge()`. */
  maxBytes: number;
  tooLarge: () => Error;
  /** fsync the copy before it is closed. */
  sync: boolean;
}

/** `target` must not exist; it is created 0600. */
export async function copyHashed(source: FileHandle, target: string, options: HashedCopyOptions): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const output = await open(target, CREATE_FLAGS, 0o600);
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, CHUNK_BYTES, size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > options.maxBytes) throw options.tooLarge();
      hash.update(buffer.subarray(0, bytesRead));
      for (let written = 0; written < bytesRead; ) written += (await output.write(buffer, written, bytesRead - written)).bytesWritten;
    }
    if (options.sync) await output.sync();
  } finally {
    await output.close();
  }
  return { size, sha256: hash.digest('hex') };
}
