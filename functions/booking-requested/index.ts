import { webhookHandler } from '#lib/http/webhook';

/** A member asked to book a class slot (POST /booking/requested). */
export const handler = webhookHandler('booking-requested');
