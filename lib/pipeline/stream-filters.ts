/**
 * Which stream records reach the worker: Lambda event-filtering patterns, passed as they are to the
 * event source mapping by the stack and matched the same way by the local poller. Anything else the
 * table writes (applied events, bookings, customers, quarantine) never costs an invocation.
 *
 * An event carrying `attempts` has failed at least once: its retry is the sweeper's, when it is due,
 * so that a failing record never spins on the stream. `ops retry` clears `attempts`, which hands the
 * event back to the stream at once.
 */
export const WORKER_FILTERS = [
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: {
      NewImage: {
        kind: { S: ['event'] },
        state: { S: ['RECEIVED'] },
        attempts: { N: [{ exists: false }] },
      },
    },
  },
  // A class or slot the gym changed, or that must be told to Wellhub again: `publish_requested_at` is
  // set by those writes and cleared by the job's claim, so the job's own writes wake no one.
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: {
      NewImage: {
        kind: { S: ['class', 'slot'] },
        publish_requested_at: { S: [{ exists: true }] },
      },
    },
  },
  // A booking that owes Wellhub a call (its answer, a check-in's validation, a cancellation by the
  // gym), or a walk-in to validate: `job_requested_at` is set by the write that owes it and cleared by
  // the job's claim, in the same way.
  {
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: {
      NewImage: {
        kind: { S: ['booking', 'event'] },
        job_requested_at: { S: [{ exists: true }] },
      },
    },
  },
] as const;
