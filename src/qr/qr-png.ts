import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** What a QR symbol is to a picture: `size` modules a side, row by row, non-zero where dark. */
export type QrModules = { size: number; data: ArrayLike<number> };

const deflate = promisify(zlib.deflate);
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A black-and-white PNG of a QR symbol, `width` pixels a side with a quiet zone of `margin`
 * modules. One bit per pixel, so a 512-pixel image is 32 KiB before compression and built in a
 * fraction of a millisecond; the compression runs on libuv's thread pool. qrcode's own PNG writer
 * fills a full-colour image and filters it row by row on the event loop, 15–20 ms per image,
 * which is time every redirect waits for.
 */
export async function renderQrPng(
  modules: QrModules,
  options: { width: number; margin: number },
): Promise<Buffer> {
  const { width, margin } = options;
  const cells = modules.size + 2 * margin;
  if (width < cells) throw new RangeError(`a ${cells}-module QR code needs ${cells} pixels`);
  // Which module each pixel column (and, the image being square, each pixel row) falls in;
  // -1 in the quiet zone.
  const moduleAt = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    const cell = Math.floor((x * cells) / width) - margin;
    moduleAt[x] = cell >= 0 && cell < modules.size ? cell : -1;
  }
  const rowBytes = 1 + Math.ceil(width / 8);
  // 1 bits are white: everything starts white, and dark modules clear their bits.
  const raw = Buffer.alloc(rowBytes * width, 0xff);
  for (let y = 0; y < width; y++) {
    const offset = y * rowBytes;
    raw[offset] = 0; // filter type 0: none
    const row = moduleAt[y]!;
    // Rows inside one module are alike: copy the one above rather than draw it again.
    if (y > 0 && row === moduleAt[y - 1]) {
      raw.copy(raw, offset, offset - rowBytes, offset);
      continue;
    }
    for (let x = 0; x < width; x++) {
      const column = moduleAt[x]!;
      if (row >= 0 && column >= 0 && modules.data[row * modules.size + column] !== 0) {
        const byte = offset + 1 + (x >> 3);
        raw[byte] = raw[byte]! & ~(0x80 >> (x & 7));
      }
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG chunk: length, type, data, and the CRC-32 of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
