// Shared by the JavaScript tests: deterministic numbers, float comparison,
// and a `spindle serve` on a free loopback port over a temporary data
// directory (SPINDLE_BIN names the binary, default build/tools/spindle).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.resolve(ROOT, process.env.SPINDLE_BIN ?? 'build/tools/spindle');

// Deterministic numbers in [0, 1) (mulberry32).
export function rng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export function close(a, b) { return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)); }

// Starts `spindle serve --api-key KEY` on a free port; resolves to
// {server, port, dataDir} once it prints the address it listens on.
// `prepare(dataDir)`, if given, runs first (e.g. to build collections with the CLI).
export async function startServer(key, prefix, prepare) {
    const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
    if (prepare) prepare(dataDir);
    const server = spawn(BIN, ['serve', '--data', dataDir, '--port', '0', '--api-key', key, '--quiet'],
                         { stdio: ['ignore', 'ignore', 'pipe'] });
    const port = await new Promise((resolve, reject) => {
        let text = '';
        server.stderr.on('data', (d) => {
            text += d;
            const m = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
            if (m) resolve(Number(m[1]));
        });
        server.on('exit', (code) => reject(new Error(`spindle serve exited (${code}): ${text}`)));
        setTimeout(() => reject(new Error(`spindle serve did not start: ${text}`)), 30_000).unref();
    });
    return { server, port, dataDir };
}

// SIGTERM, which must end the server with exit code 0; then removes its data directory.
export async function stopServer(s) {
    if (!s) return;
    if (s.server.exitCode === null) {
        const exited = new Promise((resolve) => s.server.on('exit', (code) => resolve(code)));
        s.server.kill('SIGTERM');
        assert.equal(await exited, 0, 'spindle serve exits 0 on SIGTERM');
    }
    rmSync(s.dataDir, { recursive: true, force: true });
}
