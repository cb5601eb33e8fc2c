import { webhookHandler } from '#lib/http/webhook';

/** A member canceled a booking in time (POST /booking/cancelation). */
export const handler = webhookHandler('booking-canceled');
