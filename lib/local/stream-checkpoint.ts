/**
 * Where the local poller stands in each shard, kept in a JSON file so a restart resumes exactly after
 * the last record handled, as the event source mapping's own checkpoint does.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export interface ShardCheckpoint {
  /** The last record handled, filtered out or discarded; the next read starts after it. */
  readonly sequenceNumber?: string;
  /** Read to its end (closed and drained, or gone from the stream): its children may be read. */
  readonly finished?: boolean;
}

export interface Checkpoint {
  readonly streamArn: string;
  readonly shards: Readonly<Record<string, ShardCheckpoint>>;
}

const checkpointFileSchema = z.object({
  version: z.literal(1),
  streamArn: z.string(),
  shards: z.record(
    z.string(),
    z.object({ sequenceNumber: z.string().regex(/^\d+$/).optional(), finished: z.boolean().optional() }),
  ),
});

export type CheckpointLoad =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly checkpoint: Checkpoint }
  /** Kept for another stream (the table was recreated): its positions mean nothing here. */
  | { readonly kind: 'other-stream'; readonly streamArn: string };

export function loadCheckpoint(file: string, streamArn: string): CheckpointLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw error;
  }
  const parsed = checkpointFileSchema.safeParse(safeJson(text));
  // Starting over would re-deliver a day of records and silently ignoring it would hide the cause.
  if (!parsed.success) throw new Error(`stream checkpoint ${file} is not a valid checkpoint file`);
  if (parsed.data.streamArn !== streamArn) return { kind: 'other-stream', streamArn: parsed.data.streamArn };
  return { kind: 'loaded', checkpoint: { streamArn, shards: stripUndefined(parsed.data.shards) } };
}

/** tmp + rename: a crash mid-write leaves the previous checkpoint, never half a file. */
export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, ...checkpoint }, null, 2)}\n`);
  renameSync(tmp, file);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stripUndefined(
  shards: Record<string, { sequenceNumber?: string | undefined; finished?: boolean | undefined }>,
): Record<string, ShardCheckpoint> {
  return Object.fromEntries(
    Object.entries(shards).map(([id, shard]) => [
      id,
      {
        ...(shard.sequenceNumber === undefined ? {} : { sequenceNumber: shard.sequenceNumber }),
        ...(shard.finished ? { finished: true } : {}),
      },
    ]),
  );
}
