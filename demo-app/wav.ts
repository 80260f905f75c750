/** Generates small valid WAV files (PCM, mono) so the demo needs no audio tools or downloads. */

/**
 * A WAV of a sine tone that fades in and out, `seconds` long at `sampleRate` Hz, 16-bit mono.
 *
 * @example
 * writeFileSync('tone.wav', wavTone({ seconds: 5, frequency: 440 }));
 */
export function wavTone(opts: { seconds: number; frequency: number; sampleRate?: number }): Buffer {
  const rate = opts.sampleRate ?? 8000;
  const samples = Math.round(opts.seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const envelope = Math.min(1, i / rate, (samples - i) / rate);
    const value = Math.sin((2 * Math.PI * opts.frequency * i) / rate) * 0.3 * envelope;
    data.writeInt16LE(Math.round(value * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
