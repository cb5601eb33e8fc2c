import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type JobDeps, runJob } from '#lib/jobs/router';
import { bookingOrderKey, oneBookingAtATime } from './booking-order';
import { pipelineDeps } from './deps';

/**
 * The worker: one Lambda on the table's stream. Each record is routed to its job; records of a batch
 * run side by side (jobs are idempotent and re-read what they change), except that events of one
 * booking are applied in the order they were received. A job that fails records it on its item and
 * returns, so only a failure to record that reaches Lambda, reported as a partial batch failure: the
 * stream retries from that record and never blocks on it for long (the stack bounds it).
 */
export function streamWorker(deps: () => JobDeps = pipelineDeps) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    // The processor hands records over in the batch's order, which is the stream's.
    const inTurn = oneBookingAtATime();
    return processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        const image = record.dynamodb?.NewImage;
        if (image === undefined) return;
        const item = unmarshall(image as Record<string, AttributeValue>);
        await inTurn(bookingOrderKey(item), () => runJob(item, deps(), 'stream'));
      },
      processor,
      { context },
    );
  };
}
