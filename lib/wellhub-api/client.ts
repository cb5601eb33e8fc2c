import type { z } from 'zod';
import type { Config } from '#lib/config';
import { type CallContext, callWellhub, type WellhubCallDeps, type WellhubRequest } from './call';
import type { WellhubOutcome } from './outcome';
import {
  type ClassRecord,
  type CreatedClasses,
  classListSchema,
  classRecordSchema,
  createdClassesSchema,
  type Gym,
  gymsSchema,
  healthSchema,
  type Products,
  productsSchema,
  type SlotList,
  type SlotRecord,
  slotEnvelopeSchema,
  slotListSchema,
  slotRecordSchema,
  type Validation,
  validationSchema,
  type Webhooks,
  webhooksSchema,
} from './schemas';
import { wellhubTokenSource } from './token';
import type {
  BookingAnswer,
  SlotPatch,
  SlotRange,
  WebhookRegistration,
  WellhubClass,
  WellhubSlot,
} from './types';

type Id = string | number;
type Outcome<T> = Promise<WellhubOutcome<T>>;

const CLASSES = '/booking/v1/gyms/{gym_id}/classes';
const CLASS = `${CLASSES}/{class_id}`;
const SLOTS = `${CLASS}/slots`;
const SLOT = `${SLOTS}/{slot_id}`;

/**
 * Wellhub's partner API, one method per call (WELLHUB-API.md). Every method answers a classified
 * outcome (outcome.ts) and never throws; `context` carries the attempt number and the booking or
 * slot the call is about, for the call's log line.
 */
export class WellhubClient {
  constructor(private readonly deps: WellhubCallDeps) {}

  /** Several classes in one call; no idempotency key, so look a class up by `reference` before a retry. */
  createClasses(gymId: Id, classes: readonly WellhubClass[], context?: CallContext): Outcome<CreatedClasses> {
    return this.call(
      {
        method: 'POST',
        template: CLASSES,
        params: { gym_id: gymId },
        body: { classes },
        create: true,
        schema: createdClassesSchema,
      },
      context,
    );
  }

  listClasses(gymId: Id, context?: CallContext): Outcome<ClassRecord[]> {
    return this.call(
      { method: 'GET', template: CLASSES, params: { gym_id: gymId }, schema: classListSchema },
      context,
    ).then((outcome) => mapDone(outcome, (body) => body.classes));
  }

  getClass(gymId: Id, classId: Id, context?: CallContext): Outcome<ClassRecord> {
    return this.call(
      {
        method: 'GET',
        template: CLASS,
        params: { gym_id: gymId, class_id: classId },
        schema: classRecordSchema,
      },
      context,
    );
  }

  /** Full replace (204). There is no DELETE: `visible: false` hides the class. */
  updateClass(gymId: Id, classId: Id, wellhubClass: WellhubClass, context?: CallContext): Outcome<undefined> {
    return this.call(
      { method: 'PUT', template: CLASS, params: { gym_id: gymId, class_id: classId }, body: wellhubClass },
      context,
    );
  }

  /** One slot per call; a duplicate (same class, time and room) is `adopt`. */
  createSlot(gymId: Id, classId: Id, slot: WellhubSlot, context?: CallContext): Outcome<SlotRecord> {
    return this.call(
      {
        method: 'POST',
        template: SLOTS,
        params: { gym_id: gymId, class_id: classId },
        body: slot,
        create: true,
        schema: slotEnvelopeSchema,
      },
      context,
    );
  }

  /** Dates in the answer lose any `[UTC]`-style zone suffix. */
  listSlots(gymId: Id, classId: Id, range: SlotRange, context?: CallContext): Outcome<SlotList> {
    return this.call(
      {
        method: 'GET',
        template: SLOTS,
        params: { gym_id: gymId, class_id: classId },
        query: { from: range.from, to: range.to },
        schema: slotListSchema,
      },
      context,
    );
  }

  getSlot(gymId: Id, classId: Id, slotId: Id, context?: CallContext): Outcome<SlotRecord> {
    return this.call(
      {
        method: 'GET',
        template: SLOT,
        params: { gym_id: gymId, class_id: classId, slot_id: slotId },
        schema: slotRecordSchema,
      },
      context,
    );
  }

  /** Full replace; `refused` 404 when Wellhub deleted the slot (re-create it). */
  updateSlot(
    gymId: Id,
    classId: Id,
    slotId: Id,
    slot: WellhubSlot,
    context?: CallContext,
  ): Outcome<SlotRecord> {
    return this.call(
      {
        method: 'PUT',
        template: SLOT,
        params: { gym_id: gymId, class_id: classId, slot_id: slotId },
        body: slot,
        schema: slotEnvelopeSchema,
      },
      context,
    );
  }

  /** Counts and the virtual class URL only (204). */
  patchSlot(gymId: Id, classId: Id, slotId: Id, patch: SlotPatch, context?: CallContext): Outcome<undefined> {
    return this.call(
      {
        method: 'PATCH',
        template: SLOT,
        params: { gym_id: gymId, class_id: classId, slot_id: slotId },
        body: patch,
      },
      context,
    );
  }

  /** Gone for good; Wellhub cancels every booking on it (204). */
  deleteSlot(gymId: Id, classId: Id, slotId: Id, context?: CallContext): Outcome<undefined> {
    return this.call(
      { method: 'DELETE', template: SLOT, params: { gym_id: gymId, class_id: classId, slot_id: slotId } },
      context,
    );
  }

  /** The gym's answer to a booking request, or its cancellation of a reserved booking (204). */
  answerBooking(
    gymId: Id,
    bookingNumber: string,
    answer: BookingAnswer,
    context?: CallContext,
  ): Outcome<undefined> {
    return this.call(
      {
        method: 'PATCH',
        template: '/booking/v2/gyms/{gym_id}/bookings/{booking_number}',
        params: { gym_id: gymId, booking_number: bookingNumber },
        body: answer,
      },
      { bookingNumber, ...context },
    );
  }

  /**
   * Validates a member's check-in: what makes Wellhub pay the gym. `checkin.already.validated` comes
   * back `refused` 400 and means success (see `hasErrorKey`).
   */
  validateCheckin(
    gymId: Id,
    gympassId: string,
    context?: CallContext & { customCode?: string },
  ): Outcome<Validation> {
    const { customCode, ...rest } = context ?? {};
    return this.call(
      {
        method: 'POST',
        template: '/access/v1/validate',
        headers: { 'x-gym-id': String(gymId) },
        body: { gympass_id: gympassId, ...(customCode !== undefined ? { custom_code: customCode } : {}) },
        schema: validationSchema,
      },
      rest,
    );
  }

  listProducts(gymId: Id, context?: CallContext): Outcome<Products> {
    return this.call(
      {
        method: 'GET',
        template: '/setup/v1/gyms/{gym_id}/products',
        params: { gym_id: gymId },
        schema: productsSchema,
      },
      context,
    );
  }

  /** Public: says whether Wellhub is up, not whether the token works. */
  health(context?: CallContext): Outcome<unknown> {
    return this.call(
      { method: 'GET', template: '/booking/v1/health', anonymous: true, schema: healthSchema },
      context,
    );
  }

  /** Integration Setup API (204). Replaces the gym's registrations for the events sent. */
  registerWebhooks(
    gymId: Id,
    webhooks: readonly WebhookRegistration[],
    context?: CallContext,
  ): Outcome<undefined> {
    return this.call(
      {
        api: 'setup',
        method: 'POST',
        template: '/v1/systems/gyms/{gym_id}/webhooks',
        params: { gym_id: gymId },
        body: { webhooks },
      },
      context,
    );
  }

  /** Integration Setup API: the registrations, secrets included. */
  listWebhooks(gymId: Id, context?: CallContext): Outcome<Webhooks> {
    return this.call(
      {
        api: 'setup',
        method: 'GET',
        template: '/v1/systems/gyms/{gym_id}/webhooks',
        params: { gym_id: gymId },
        schema: webhooksSchema,
      },
      context,
    );
  }

  /** Integration Setup API: the gyms this integrator's token serves. */
  listGyms(context?: CallContext): Outcome<Gym[]> {
    return this.call(
      { api: 'setup', method: 'GET', template: '/v1/systems/gyms', schema: gymsSchema },
      context,
    );
  }

  private call<S extends z.ZodType = z.ZodUndefined>(request: WellhubRequest<S>, context?: CallContext) {
    return callWellhub(this.deps, request, context);
  }
}

function mapDone<T, U>(outcome: WellhubOutcome<T>, map: (body: T) => U): WellhubOutcome<U> {
  return outcome.kind === 'done' ? { ...outcome, body: map(outcome.body) } : outcome;
}

/** The client the configuration describes (lib/config.ts, `config.wellhub`). */
export function wellhubClient(
  config: Pick<Config, 'wellhub' | 'secretMaxAgeSeconds'>,
  now?: () => number,
): WellhubClient {
  const { apiUrl, setupApiUrl, timeoutMs } = config.wellhub;
  return new WellhubClient({
    ...(apiUrl !== undefined ? { baseUrl: apiUrl } : {}),
    setupBaseUrl: setupApiUrl,
    tokens: wellhubTokenSource(config),
    timeoutMs,
    ...(now ? { now } : {}),
  });
}
