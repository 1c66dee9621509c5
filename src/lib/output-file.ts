/**
 * `--out FILE` for every command that writes one (scan reports, audit export). The target must
 * be a regular file or not exist yet: onto a device (/dev/full), a FIFO or a symlink nhi would
 * replace the node or write through the link, so those are refused (exit 2). The content goes
 * to a temp file created exclusively (O_EXCL, O_NOFOLLOW: never an existing file or a planted
 * link) in the same directory, is synced, then renamed into place — readers never see half a file.
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.js';

export type OutputSink = (chunk: string) => Promise<void> | void;

const FLUSH_AT = 64 * 1024;

function kindOf(stats: Awaited<ReturnType<typeof lstat>>): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device file';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Refuse an existing target that is not a regular file (checked before the work and again before the rename). */
export async function checkOutputTarget(path: string, option = '--out'): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isFile())
    throw new UsageError(
      `${option} ${path} is ${kindOf(stats)}; nhi writes only to a regular file or a new path — choose another path`,
    );
}

/**
 * Before a long job (a scan) whose result goes to `path`: the target kind (as above), and that
 * a file can really be created where it goes — by creating and removing an empty temp file,
 * since permission bits do not tell (root, read-only mounts, ACLs). With `makeDir` a missing
 * directory is fine if the nearest existing one above it takes new entries; nothing is made yet.
 */
export async function checkOutputWritable(
  path: string,
  opts: { option?: string; makeDir?: boolean } = {},
): Promise<void> {
  const option = opts.option ?? '--out';
  let dir = dirname(path);
  for (;;) {
    // stat, not lstat: a directory reached through a symlink (/tmp on macOS) is a directory.
    const stats = await stat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new UsageError(`${option} ${path}: cannot use directory ${dir} (${error.code ?? 'error'})`);
    });
    if (stats?.isDirectory()) break;
    if (stats) throw new UsageError(`${option} ${path}: ${dir} is not a directory`);
    if (!opts.makeDir) throw new UsageError(`${option} ${path}: directory ${dir} does not exist`);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // After the directories: under a regular file, lstat of the target fails with ENOTDIR.
  await checkOutputTarget(path, option);
  const probe = join(dir, `.nhi-write-test.${randomBytes(6).toString('hex')}.nhi-tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  try {
    await (await open(probe, flags, 0o600)).close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `${option} ${path}: cannot create a file in ${dir} (${code}); choose a writable path`,
    );
  }
  await rm(probe, { force: true });
}

/** Write what `produce` emits to `path` via an exclusively created temp file and a rename. */
export async function writeOutputFile(
  path: string,
  produce: (write: OutputSink) => Promise<unknown>,
  opts: { mode?: number; option?: string; makeDir?: boolean } = {},
): Promise<void> {
  await checkOutputTarget(path, opts.option);
  const dir = dirname(path);
  if (opts.makeDir) await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.nhi-tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const fh = await open(tmp, flags, opts.mode ?? 0o640);
  let renamed = false;
  try {
    let buffer = '';
    await produce(async (chunk) => {
      buffer += chunk;
      if (buffer.length >= FLUSH_AT) {
        await fh.write(buffer);
        buffer = '';
      }
    });
    await fh.write(buffer);
    await fh.sync();
    await fh.close();
    await checkOutputTarget(path, opts.option);
    await rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}
