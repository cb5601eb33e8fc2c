import { webhookHandler } from '#lib/http/webhook';

/** A member canceled a booking after the cancelation window (POST /booking/lateCancelation). */
export const handler = webhookHandler('booking-late-canceled');
