import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type JobDeps, runJob } from '#lib/jobs/router';
import { pipelineDeps } from './deps';

/**
 * The worker: one Lambda on the table's stream. Each record is routed to its job; records of a batch
 * run side by side (jobs are idempotent and re-read what they change). A job that fails records it on
 * its item and returns, so only a failure to record that reaches Lambda, reported as a partial batch
 * failure: the stream retries from that record and never blocks on it for long (the stack bounds it).
 */
export function streamWorker(deps: () => JobDeps = pipelineDeps) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
    processPartialResponse(event, (record: DynamoDBRecord) => handleRecord(record, deps()), processor, {
      context,
    });
}

async function handleRecord(record: DynamoDBRecord, deps: JobDeps): Promise<void> {
  const image = record.dynamodb?.NewImage;
  if (image === undefined) return;
  await runJob(unmarshall(image as Record<string, AttributeValue>), deps, 'stream');
}
