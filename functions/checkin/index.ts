import { webhookHandler } from '#lib/http/webhook';

/** A member checked in at the gym through Access Control (POST /checkin). */
export const handler = webhookHandler('checkin');
