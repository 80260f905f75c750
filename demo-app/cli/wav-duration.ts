/**
 * A WAV file's duration from its header, reading only the chunk headers (positional reads, so
 * a 2 GB recording costs a few small reads): data chunk bytes / byte rate from the fmt chunk.
 */
import { open } from 'node:fs/promises';

/** Seconds, or null when the file is not a RIFF/WAVE file we can read (never throws for that). */
export async function wavDuration(file: string): Promise<number | null> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const read = async (position: number, length: number): Promise<Buffer | null> => {
      if (position + length > size) return null;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return bytesRead === length ? buf : null;
    };
    const riff = await read(0, 12);
    if (riff?.toString('ascii', 0, 4) !== 'RIFF' || riff.toString('ascii', 8, 12) !== 'WAVE') return null;
    let byteRate: number | null = null;
    let pos = 12;
    for (let chunks = 0; chunks < 1000; chunks++) {
      const head = await read(pos, 8);
      if (!head) return null;
      const id = head.toString('ascii', 0, 4);
      const length = head.readUInt32LE(4);
      const body = pos + 8;
      if (id === 'fmt ') {
        const fmt = await read(body, 16);
        if (!fmt) return null;
        byteRate = fmt.readUInt32LE(8);
      } else if (id === 'data') {
        if (!byteRate) return null;
        // Streamed WAVs may leave the length 0 or 0xFFFFFFFF: the data then runs to the end.
        const available = size - body;
        const bytes = length === 0 || length === 0xffffffff || length > available ? available : length;
        return Math.round((bytes / byteRate) * 1000) / 1000;
      }
      pos = body + length + (length % 2); // chunks are word-aligned
    }
    return null;
  } finally {
    await fh.close();
  }
}
