import { streamWorker } from '#lib/pipeline/worker';

/** Applies what the webhooks stored, from the table's stream (the pipeline's fast path). */
export const handler = streamWorker();
