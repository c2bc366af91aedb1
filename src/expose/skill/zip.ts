/**
 * A small streaming zip writer (PKWARE APPNOTE 6.3, no zip64): each entry is deflated as it is read,
 * and its CRC-32 and sizes follow it in a data descriptor, so nothing is buffered beyond one chunk.
 * Entries of already-compressed media use deflate level 0 (stored blocks): every entry has method 8,
 * which every reader accepts with a data descriptor (Java's ZipInputStream refuses stored + descriptor).
 */
import { once } from 'node:events';
import { crc32, createDeflateRaw, constants as zc } from 'node:zlib';

export interface ZipEntry {
  /** `/`-separated relative path, ASCII (the skill path rule guarantees it) */
  readonly name: string;
  readonly mtime: Date;
  /** Unix mode including the file-type bits (0o100644 for a regular file) */
  readonly mode: number;
  /** true: deflate level 0 (the data is already compressed) */
  readonly stored?: boolean;
  /** the bytes: a buffer, or an opener (undefined when the file vanished: the entry is skipped) */
  readonly data: Buffer | (() => Promise<AsyncIterable<Buffer> | undefined>);
}

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** bit 3: sizes and CRC in the data descriptor; bit 11: names are UTF-8 */
const FLAGS = 0x0808;
const DEFLATE = 8;
const VERSION_NEEDED = 20;
/** made by Unix (3), spec 2.0, so the external attributes carry the Unix mode */
const VERSION_MADE_BY = (3 << 8) | 20;
const MAX32 = 0xffffffff;

function dosDateTime(d: Date): { time: number; date: number } {
  const year = d.getFullYear();
  if (Number.isNaN(year) || year < 1980) return { time: 0, date: (1 << 5) | 1 };
  if (year > 2107) return { time: (23 << 11) | (59 << 5) | 29, date: (127 << 9) | (12 << 5) | 31 };
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

interface Written {
  readonly name: Buffer;
  readonly time: number;
  readonly date: number;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly mode: number;
  readonly offset: number;
}

export class ZipLimitError extends Error {}

/** The zip of `entries`, in order, as chunks; abandon it (return()) and open files are closed. */
export async function* zipStream(entries: Iterable<ZipEntry>): AsyncGenerator<Buffer, void, undefined> {
  const written: Written[] = [];
  let offset = 0;
  for (const entry of entries) {
    const input = Buffer.isBuffer(entry.data) ? [entry.data] : await entry.data();
    if (input === undefined) continue;
    if (written.length === 0xffff) throw new ZipLimitError('more than 65535 entries (zip64 is not supported)');
    const name = Buffer.from(entry.name, 'utf8');
    const { time, date } = dosDateTime(entry.mtime);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL, 0);
    header.writeUInt16LE(VERSION_NEEDED, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    // CRC and sizes (14..25) stay 0: they are in the data descriptor
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    const start = offset;
    yield Buffer.concat([header, name]);
    offset += header.length + name.length;

    let crc = 0;
    let size = 0;
    let compressed = 0;
    const deflater = createDeflateRaw({ level: entry.stored ? zc.Z_NO_COMPRESSION : zc.Z_DEFAULT_COMPRESSION });
    const out: Buffer[] = [];
    let failure: Error | undefined;
    deflater.on('data', (c: Buffer) => out.push(c));
    deflater.on('error', (e: Error) => (failure = e));
    const ended = once(deflater, 'end');
    ended.catch(() => {}); // an error is reported through `failure`
    try {
      for await (const chunk of input) {
        crc = crc32(chunk, crc);
        size += chunk.length;
        if (size > MAX32) throw new ZipLimitError(`${entry.name} is larger than 4 GiB (zip64 is not supported)`);
        if (!deflater.write(chunk)) await once(deflater, 'drain');
        if (failure) throw failure;
        while (out.length > 0) {
          const c = out.shift()!;
          compressed += c.length;
          yield c;
        }
      }
      deflater.end();
      await ended;
      if (failure) throw failure;
      for (const c of out.splice(0)) {
        compressed += c.length;
        yield c;
      }
    } finally {
      deflater.destroy();
      const closable = input as { destroy?: () => void };
      if (typeof closable.destroy === 'function') closable.destroy();
    }
    offset += compressed;
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(DESCRIPTOR, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(size, 12);
    yield descriptor;
    offset += descriptor.length;
    if (offset > MAX32) throw new ZipLimitError('the archive is larger than 4 GiB (zip64 is not supported)');
    written.push({ name, time, date, crc: crc >>> 0, compressed, size, mode: entry.mode, offset: start });
  }

  const central: Buffer[] = [];
  let centralSize = 0;
  for (const w of written) {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(CENTRAL, 0);
    h.writeUInt16LE(VERSION_MADE_BY, 4);
    h.writeUInt16LE(VERSION_NEEDED, 6);
    h.writeUInt16LE(FLAGS, 8);
    h.writeUInt16LE(DEFLATE, 10);
    h.writeUInt16LE(w.time, 12);
    h.writeUInt16LE(w.date, 14);
    h.writeUInt32LE(w.crc, 16);
    h.writeUInt32LE(w.compressed, 20);
    h.writeUInt32LE(w.size, 24);
    h.writeUInt16LE(w.name.length, 28);
    // extra (30), comment (32), disk (34), internal attributes (36): 0
    h.writeUInt32LE(((w.mode & 0xffff) << 16) >>> 0, 38);
    h.writeUInt32LE(w.offset, 42);
    central.push(h, w.name);
    centralSize += h.length + w.name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([...central, end]);
}
