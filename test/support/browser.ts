// Headless Chromium for browser tests: the Debian package's binary driven by playwright-core
// (never a downloaded browser). No network chatter of its own, so the tests see only their requests.
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_BIN = '/usr/bin/chromium';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface LaunchOptions {
  /** Extra Chromium switches, e.g. `--autoplay-policy=no-user-gesture-required`. */
  args?: string[];
}

/** Launches headless Chromium; throws (never skips) when the system browser is missing. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  try {
    accessSync(CHROMIUM_BIN, constants.X_OK);
  } catch {
    throw new Error(`chromium not found at ${CHROMIUM_BIN}: install the Debian package 'chromium' (bash test/install-system-deps.sh)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [...BASE_ARGS, ...(options.args ?? [])],
  });
}
