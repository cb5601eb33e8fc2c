import { webhookHandler } from '#lib/http/webhook';

/** A member checked in for a booked class (POST /booking/checkin-booking-occurred). */
export const handler = webhookHandler('checkin-booking-occurred');
