/** Runs profile/pieces.ts in a process of its own, with the deployed function's environment. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Piece, ProfileMessage } from './pieces';

const PROFILE_TIMEOUT_MS = 120_000;

export function measurePieces(env: NodeJS.ProcessEnv, cwd: string): Promise<Piece[]> {
  return new Promise((resolve, reject) => {
    // stdout discarded: the logger and the metrics write there, as they do in Lambda.
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'pieces.ts')], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let pieces: Piece[] | undefined;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message: ProfileMessage) => {
      if (message.type === 'profile') pieces = message.pieces;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROFILE_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && pieces) resolve(pieces);
      else reject(new Error(`the in-process profile failed (exit ${code}):\n${stderr}`));
    });
  });
}
