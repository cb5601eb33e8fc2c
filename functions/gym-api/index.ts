import { gymApiHandler } from '#lib/gym-api/handler';
import { pipelineDeps } from '#lib/pipeline/deps';

/** The gym API (CONTRACT §14): the gym's schedule and bookings, behind IAM-authorized routes. */
export const handler = gymApiHandler(pipelineDeps);
