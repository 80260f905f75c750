// Reading what a child's jsonLinesLog sink wrote: it writes in the background, so count the lines
// once the count has stopped changing.
import { readFileSync } from 'node:fs';
import { sleep } from './client';

/** Lines in `file` once two reads 100 ms apart agree (at most 4 s); 0 when the file is missing. */
export async function settledLineCount(file: string): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    let n = 0;
    try {
      n = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      n = 0;
    }
    if (n === last) return n;
    last = n;
    await sleep(100);
  }
  return last;
}
