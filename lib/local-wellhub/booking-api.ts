/** The Booking API: classes, slots and the gym's answers to bookings (WELLHUB-API.md). */
import { fieldErrors, intParam, NOT_FOUND, type SimRequest, type SimResponse, type SimRoute } from './http';
import { answerVerdict, applyAnswer } from './rules';
import { CLASS_SPEC, checkBookingPatch, checkClassesBody, checkSlot, checkSlotPatch } from './specs';
import type { SimSlot, SimState } from './state';
import { checkObject, type FieldError, isDatetime, isRecord } from './validation';

const CLASSES = '/booking/v1/gyms/{gym_id}/classes';
const CLASS = `${CLASSES}/{class_id}`;
const SLOTS = `${CLASS}/slots`;
const SLOT = `${SLOTS}/{slot_id}`;

export function bookingRoutes(state: SimState): SimRoute[] {
  const route = (method: string, pattern: string, handler: (r: SimRequest) => SimResponse): SimRoute => ({
    method,
    pattern,
    api: 'booking',
    handler,
  });
  const iso = (now: number) => new Date(now).toISOString();

  const productErrors = (body: Record<string, unknown>, field: string): FieldError[] =>
    state.products.some((p) => p.product_id === body.product_id)
      ? []
      : [{ field, error: 'product not found for this gym' }];

  const classOf = (r: SimRequest) => {
    const found = state.classes.get(intParam(r.params.class_id) ?? -1);
    return found && found.gym_id === intParam(r.params.gym_id) ? found : undefined;
  };
  const slotOf = (r: SimRequest) =>
    state.liveSlot(
      intParam(r.params.gym_id) ?? -1,
      intParam(r.params.class_id) ?? -1,
      intParam(r.params.slot_id) ?? -1,
    );

  /** Same class, same instant, same room (absent counts as one room): Wellhub's duplicate. */
  const duplicateOf = (classId: number, fields: Record<string, unknown>, except?: number) =>
    [...state.slots.values()].find(
      (s) =>
        s.id !== except &&
        !s.deleted_at &&
        s.class_id === classId &&
        Date.parse(String(s.fields.occur_date)) === Date.parse(String(fields.occur_date)) &&
        (s.fields.room ?? null) === (fields.room ?? null),
    );
  const DUPLICATE = fieldErrors(409, [
    { field: 'occur_date', error: 'a slot of this class already exists at this time and room' },
  ]);

  const renderSlot = (slot: SimSlot, zoneSuffix = false) => ({
    id: slot.id,
    class_id: slot.class_id,
    status: 1,
    ...slot.fields,
    // Lists answer UTC with a zone suffix, as seen live; clients must strip it.
    occur_date: zoneSuffix ? utcWithZone(String(slot.fields.occur_date)) : slot.fields.occur_date,
    booking_window: slot.fields.booking_window ?? {
      opens_at: slot.created_at,
      closes_at: slot.fields.occur_date,
    },
  });
  const envelope = (slot: SimSlot) => ({ metadata: { total: 1, errors: 0 }, results: [renderSlot(slot)] });

  return [
    route('POST', CLASSES, (r) => {
      const gymId = intParam(r.params.gym_id) ?? -1;
      const errors = checkClassesBody(r.body);
      const classes =
        isRecord(r.body) && Array.isArray(r.body.classes)
          ? (r.body.classes as Record<string, unknown>[])
          : [];
      const all = [
        ...errors,
        ...(errors.length === 0
          ? classes.flatMap((c, i) => productErrors(c, `classes[${i}].product_id`))
          : []),
      ];
      if (all.length > 0) return fieldErrors(400, all);
      const created = classes.map((fields) => {
        const id = state.classId();
        state.classes.set(id, { id, gym_id: gymId, created_at: iso(r.now), fields });
        return { id, name: fields.name, links: [{ rel: 'self', href: `gyms/${gymId}/classes/${id}` }] };
      });
      return { status: 201, body: { classes: created } };
    }),
    route('GET', CLASSES, (r) => {
      const gymId = intParam(r.params.gym_id);
      const classes = [...state.classes.values()].filter((c) => c.gym_id === gymId);
      return { status: 200, body: { classes: classes.map(renderClass) } };
    }),
    route('GET', CLASS, (r) => {
      const found = classOf(r);
      return found ? { status: 200, body: renderClass(found) } : NOT_FOUND;
    }),
    route('PUT', CLASS, (r) => {
      const found = classOf(r);
      if (!found) return NOT_FOUND;
      const errors = checkObject(r.body, CLASS_SPEC);
      const all = errors.length === 0 && isRecord(r.body) ? productErrors(r.body, 'product_id') : errors;
      if (all.length > 0) return fieldErrors(400, all);
      found.fields = r.body as Record<string, unknown>;
      return { status: 204 };
    }),
    route('POST', SLOTS, (r) => {
      const found = classOf(r);
      if (!found) return fieldErrors(404, [{ field: 'class_id', error: 'class not found' }]);
      const errors = checkSlot(r.body);
      const body = r.body as Record<string, unknown>;
      const all = errors.length === 0 ? productErrors(body, 'product_id') : errors;
      if (all.length > 0) return fieldErrors(400, all);
      if (duplicateOf(found.id, body)) return DUPLICATE;
      const slot: SimSlot = {
        id: state.slotId(),
        gym_id: found.gym_id,
        class_id: found.id,
        created_at: iso(r.now),
        fields: body,
      };
      state.slots.set(slot.id, slot);
      return { status: 201, body: envelope(slot) };
    }),
    route('GET', SLOTS, (r) => {
      const found = classOf(r);
      if (!found) return fieldErrors(404, [{ field: 'class_id', error: 'class not found' }]);
      const from = r.query.get('from');
      const to = r.query.get('to');
      const errors: FieldError[] = [];
      if (!isDatetime(from))
        errors.push({ field: 'from', error: 'must be an ISO 8601 date-time with an offset or Z' });
      if (!isDatetime(to))
        errors.push({ field: 'to', error: 'must be an ISO 8601 date-time with an offset or Z' });
      if (errors.length > 0) return fieldErrors(400, errors);
      const [start, end] = [Date.parse(String(from)), Date.parse(String(to))];
      const results = [...state.slots.values()]
        .filter((s) => s.class_id === found.id && !s.deleted_at)
        .filter((s) => {
          const at = Date.parse(String(s.fields.occur_date));
          return at >= start && at <= end;
        })
        .map((s) => renderSlot(s, true));
      const n = results.length;
      return {
        status: 200,
        body: { metadata: { page: 1, page_size: n, total_elements: n, total: n, errors: 0 }, results },
      };
    }),
    route('GET', SLOT, (r) => {
      const slot = slotOf(r);
      return slot ? { status: 200, body: renderSlot(slot) } : NOT_FOUND;
    }),
    route('PUT', SLOT, (r) => {
      const slot = slotOf(r);
      if (!slot) return NOT_FOUND;
      const errors = checkSlot(r.body);
      const body = r.body as Record<string, unknown>;
      const all = errors.length === 0 ? productErrors(body, 'product_id') : errors;
      if (all.length > 0) return fieldErrors(400, all);
      if (duplicateOf(slot.class_id, body, slot.id)) return DUPLICATE;
      slot.fields = body;
      return { status: 200, body: envelope(slot) };
    }),
    route('PATCH', SLOT, (r) => {
      const slot = slotOf(r);
      if (!slot) return NOT_FOUND;
      const current = {
        total_capacity: Number(slot.fields.total_capacity),
        total_booked: Number(slot.fields.total_booked),
      };
      const errors = checkSlotPatch(r.body, current);
      if (errors.length > 0) return fieldErrors(400, errors);
      slot.fields = { ...slot.fields, ...(r.body as Record<string, unknown>) };
      return { status: 204 };
    }),
    route('DELETE', SLOT, (r) => {
      const slot = slotOf(r);
      if (!slot) return NOT_FOUND;
      slot.deleted_at = iso(r.now);
      // Wellhub cancels every booking on a deleted slot.
      for (const booking of state.bookings.values()) {
        if (booking.slot_id !== slot.id || !['REQUESTED', 'RESERVED'].includes(booking.status)) continue;
        booking.status = 'CANCELLED_BY_GYM';
        booking.ended_by = 'slot_deleted';
        booking.ended_at = iso(r.now);
        for (const checkin of state.checkins) {
          if (checkin.booking_number === booking.booking_number && !checkin.validated_at)
            checkin.canceled_at = iso(r.now);
        }
      }
      return { status: 204 };
    }),
    route('PATCH', '/booking/v2/gyms/{gym_id}/bookings/{booking_number}', (r) => {
      const booking = state.bookings.get(r.params.booking_number ?? '');
      const record = (response: SimResponse, error?: string): SimResponse => {
        booking?.answers.push({
          at: iso(r.now),
          body: r.body,
          http_status: response.status,
          ...(error ? { error } : {}),
        });
        return response;
      };
      if (!booking || booking.gym_id !== intParam(r.params.gym_id))
        return fieldErrors(404, [{ field: 'booking_number', error: 'booking not found' }]);
      const errors = checkBookingPatch(r.body);
      if (errors.length > 0) return record(fieldErrors(400, errors), errors[0]?.error);
      const body = r.body as Record<string, unknown>;
      const verdict = answerVerdict(booking, String(body.status));
      if (!verdict.ok)
        return record(
          fieldErrors(verdict.status, [{ field: 'status', error: verdict.error }]),
          verdict.error,
        );
      applyAnswer(booking, body, iso(r.now));
      return record({ status: 204 });
    }),
  ];
}

function renderClass(c: { id: number; gym_id: number; created_at: string; fields: Record<string, unknown> }) {
  const { categories, ...fields } = c.fields;
  return {
    id: c.id,
    slug: String(fields.name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-'),
    notes: null,
    reference: null,
    ...fields,
    gym_id: c.gym_id,
    created_at: c.created_at,
    categories: Array.isArray(categories)
      ? categories.map((id) => ({ id, name: `Category ${id}`, locale: 'en' }))
      : [],
  };
}

function utcWithZone(date: string): string {
  return `${new Date(Date.parse(date)).toISOString().replace('.000Z', 'Z')}[UTC]`;
}
