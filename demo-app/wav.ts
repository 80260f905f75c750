/**
 * Generates valid PCM WAV audio so the demo needs no audio tools or downloads: a tone whose
 * pitch drifts slowly (so seeking is audible), as a stream (an hour is 28.8 MB at 8 kHz, 8-bit).
 */
import { Readable } from 'node:stream';

export interface ToneOptions {
  seconds: number;
  /** Base frequency in Hz. */
  frequency: number;
  /** @default 8000 */
  sampleRate?: number;
  /** 8 (unsigned) or 16 (signed little-endian). @default 16 */
  bits?: 8 | 16;
}

function header(dataBytes: number, rate: number, bits: 8 | 16): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = bits / 8;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** The size in bytes of a tone's WAV file. */
export function wavSize(opts: ToneOptions): number {
  return 44 + Math.round(opts.seconds * (opts.sampleRate ?? 8000)) * ((opts.bits ?? 16) / 8);
}

/**
 * A WAV file as a stream: a sine tone, fading in and out, its pitch drifting ±20 % every minute.
 *
 * @example
 * await pipeline(wavStream({ seconds: 3900, frequency: 220, bits: 8 }), createWriteStream('show.wav'));
 */
export function wavStream(opts: ToneOptions): Readable {
  const rate = opts.sampleRate ?? 8000;
  const bits = opts.bits ?? 16;
  const total = Math.round(opts.seconds * rate);
  const bytesPerSample = bits / 8;
  let i = 0;
  let phase = 0;
  let headerSent = false;
  return new Readable({
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(header(total * bytesPerSample, rate, bits));
        return;
      }
      if (i >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(rate * 4, total - i);
      const chunk = Buffer.alloc(n * bytesPerSample);
      for (let k = 0; k < n; k++, i++) {
        const t = i / rate;
        const f = opts.frequency * (1 + 0.2 * Math.sin((2 * Math.PI * t) / 60));
        phase += (2 * Math.PI * f) / rate;
        const envelope = Math.min(1, t / 1, (total - i) / rate);
        const v = Math.sin(phase) * 0.3 * envelope;
        if (bits === 8) chunk.writeUInt8(Math.round(128 + v * 127), k);
        else chunk.writeInt16LE(Math.round(v * 32767), k * 2);
      }
      this.push(chunk);
    },
  });
}
