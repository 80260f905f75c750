// The package as `npm pack` makes it from a clean checkout: a fresh build (tsconfig.build.json) into a
// staging folder with the project's package.json and README, packed there. Packing the working tree
// itself would ship whatever an earlier build left in dist/ (tsc never deletes outputs of removed
// sources), and race anyone rebuilding dist/ meanwhile.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/** Environment for npm run from a test or an `npm run` script: keeps npm config, not the outer project. */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const outerNpm = /^npm_/i.test(k) && !/^npm_config_/i.test(k); // npm_package_*, npm_lifecycle_*, …
    if (!outerNpm && !/^npm_config_(local_prefix|call)$/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Builds the project in `projectDir` (default: this checkout) and packs it into `dest`; returns the
 * tarball's path. `projectDir` needs its dependencies installed (for the types tsc reads).
 */
export function packProject(dest: string, projectDir = REPO): string {
  const stage = mkdtempSync(path.join(dest, 'stage-'));
  try {
    for (const f of readdirSync(projectDir)) {
      if (f === 'package.json' || /^(readme|license|licence|changelog)(\..*)?$/i.test(f)) copyFileSync(path.join(projectDir, f), path.join(stage, f));
    }
    const tsc = [projectDir, REPO].map((d) => path.join(d, 'node_modules', '.bin', 'tsc')).find((p) => existsSync(p));
    if (!tsc) throw new Error(`no tsc in ${projectDir}/node_modules or ${REPO}/node_modules`);
    try {
      execFileSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', path.join(stage, 'dist')], {
        cwd: projectDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`building ${projectDir} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], {
      cwd: stage,
      env: npmEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const packed = JSON.parse(out) as { filename: string }[];
    return path.join(dest, packed[0]!.filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
