/**
 * Everything the local Wellhub keeps, in memory: what the gym published, the bookings and check-ins
 * it simulated, every answer and validation it received (with its time), the webhooks registered and
 * every delivery it made. `GET /_sim/state` shows all of it.
 */
import { randomBytes } from 'node:crypto';

export interface Timed {
  /** ISO 8601, on the simulator's clock. */
  readonly at: string;
}

export interface SimClass {
  readonly id: number;
  readonly gym_id: number;
  readonly created_at: string;
  fields: Record<string, unknown>;
}

export interface SimSlot {
  readonly id: number;
  readonly gym_id: number;
  readonly class_id: number;
  readonly created_at: string;
  fields: Record<string, unknown>;
  deleted_at?: string;
}

export type SimBookingStatus =
  | 'REQUESTED'
  | 'RESERVED'
  | 'REJECTED'
  | 'CANCELLED_BY_GYM'
  | 'CANCELED'
  | 'LATE_CANCELED';

export interface BookingAnswerRecord extends Timed {
  readonly body: unknown;
  /** What the local Wellhub answered to it. */
  readonly http_status: number;
  readonly error?: string;
}

export interface SimBooking {
  readonly booking_number: string;
  readonly gym_id: number;
  readonly class_id: number;
  readonly slot_id: number;
  readonly gympass_id: string;
  /** Epoch ms, as in the webhook: the 15 minutes to answer count from here. */
  readonly timestamp: number;
  status: SimBookingStatus;
  /** Who ended it when the gym did not: `wellhub_timeout`, `member`, `slot_deleted`. */
  ended_by?: 'gym' | 'member' | 'wellhub_timeout' | 'slot_deleted';
  ended_at?: string;
  reason_category?: string;
  readonly answers: BookingAnswerRecord[];
}

export interface ValidationRecord extends Timed {
  readonly http_status: number;
  readonly key?: string;
}

export interface SimCheckin {
  readonly id: number;
  readonly gym_id: number;
  readonly gympass_id: string;
  readonly booking_number?: string;
  readonly product_id: number;
  /** Epoch ms of the check-in in the app. */
  readonly checked_in_at: number;
  /** Epoch ms after which a validation is `checkin.validation.expired`. */
  readonly expires_at: number;
  validated_at?: string;
  canceled_at?: string;
  readonly validations: ValidationRecord[];
}

export interface SimProduct {
  readonly product_id: number;
  readonly name: string;
}

export interface DeliveryAttempt extends Timed {
  readonly status?: number;
  readonly error?: string;
}

export interface SimDelivery extends Timed {
  readonly event_type: string;
  readonly url: string;
  readonly body: unknown;
  readonly attempts: DeliveryAttempt[];
  delivered: boolean;
}

export interface SimWebhook {
  readonly event: string;
  readonly url: string;
  readonly secret: string;
}

export class SimState {
  readonly classes = new Map<number, SimClass>();
  readonly slots = new Map<number, SimSlot>();
  readonly bookings = new Map<string, SimBooking>();
  readonly checkins: SimCheckin[] = [];
  readonly webhooks = new Map<number, SimWebhook[]>();
  readonly deliveries: SimDelivery[] = [];
  /** Every validation call, including those that matched no check-in. */
  readonly validations: (ValidationRecord & { readonly gym_id: number; readonly gympass_id: string })[] = [];
  private nextClassId = 8001;
  private nextSlotId = 50001;
  private nextCheckinId = 1;

  constructor(readonly products: readonly SimProduct[]) {}

  classId(): number {
    return this.nextClassId++;
  }

  slotId(): number {
    return this.nextSlotId++;
  }

  checkinId(): number {
    return this.nextCheckinId++;
  }

  /** Random, not a counter: the receiver's database outlives a restart of the simulator. */
  bookingNumber(): string {
    let number: string;
    do number = `BK_${randomBytes(5).toString('hex').toUpperCase()}`;
    while (this.bookings.has(number));
    return number;
  }

  liveSlot(gymId: number, classId: number, slotId: number): SimSlot | undefined {
    const slot = this.slots.get(slotId);
    return slot && slot.gym_id === gymId && slot.class_id === classId && !slot.deleted_at ? slot : undefined;
  }

  snapshot(now: number): Record<string, unknown> {
    return {
      now: new Date(now).toISOString(),
      products: this.products,
      classes: [...this.classes.values()].map(({ fields, ...rest }) => ({ ...fields, ...rest })),
      slots: [...this.slots.values()].map(({ fields, ...rest }) => ({ ...fields, ...rest })),
      bookings: [...this.bookings.values()],
      checkins: this.checkins.map((checkin) => ({
        ...checkin,
        checked_in_at: new Date(checkin.checked_in_at).toISOString(),
        expires_at: new Date(checkin.expires_at).toISOString(),
        state: checkinState(checkin, now),
      })),
      webhooks: Object.fromEntries(this.webhooks),
      validations: this.validations,
      deliveries: this.deliveries,
    };
  }
}

export function checkinState(
  checkin: SimCheckin,
  now: number,
): 'validated' | 'canceled' | 'expired' | 'pending' {
  if (checkin.validated_at) return 'validated';
  if (checkin.canceled_at) return 'canceled';
  return now > checkin.expires_at ? 'expired' : 'pending';
}
