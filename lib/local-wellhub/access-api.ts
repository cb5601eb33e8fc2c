/** Access Control (validating check-ins), the products list, and the public health check. */
import { accessError, intParam, type SimResponse, type SimRoute } from './http';
import { validationVerdict } from './rules';
import type { SimState } from './state';
import { isRecord } from './validation';

const GYMPASS_ID = /^\d{13}$/;

export function accessRoutes(state: SimState): SimRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/access/v1/validate',
      api: 'access',
      handler: (r) => {
        const gymId = intParam(r.headers['x-gym-id']?.trim());
        if (gymId === undefined)
          return accessError(
            400,
            'checkin.validation.gym_id.required',
            'the X-Gym-Id header must be the gym id',
          );
        const body = r.body;
        if (!isRecord(body) || typeof body.gympass_id !== 'string' || !GYMPASS_ID.test(body.gympass_id))
          return accessError(
            400,
            'checkin.validation.gympass_id.invalid',
            'gympass_id must be a string of 13 digits',
          );
        if (
          body.custom_code != null &&
          (typeof body.custom_code !== 'string' || body.custom_code.length > 13)
        )
          return accessError(
            400,
            'checkin.validation.custom_code.invalid',
            'custom_code must be a string of at most 13 characters',
          );
        const at = new Date(r.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const verdict = validationVerdict(state, gymId, body.gympass_id, r.now);
        const status = verdict.ok ? 200 : verdict.status;
        const key = verdict.ok ? undefined : verdict.key;
        const record = { at, http_status: status, ...(key ? { key } : {}) };
        state.validations.push({ ...record, gym_id: gymId, gympass_id: body.gympass_id });
        const checkin = verdict.checkin;
        checkin?.validations.push(record);
        if (!verdict.ok) return accessError(verdict.status, verdict.key, verdict.message);
        verdict.checkin.validated_at = at;
        const product = state.products.find((p) => p.product_id === verdict.checkin.product_id);
        return {
          status: 200,
          body: {
            metadata: { total: 1, errors: 0 },
            results: {
              user: { gympass_id: body.gympass_id },
              gym: {
                id: gymId,
                product: { id: verdict.checkin.product_id, description: product?.name ?? '' },
              },
              validated_at: at,
            },
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/setup/v1/gyms/{gym_id}/products',
      api: 'booking',
      handler: (r) => ({
        status: 200,
        body: {
          gym_id: intParam(r.params.gym_id),
          products: state.products.map((p) => ({ ...p, updated_at: '2026-01-01T00:00:00Z' })),
        },
      }),
    },
    {
      method: 'GET',
      pattern: '/booking/v1/health',
      api: 'booking',
      public: true,
      handler: (r): SimResponse =>
        // Public, but it answers JSON only: Accept must name application/json (`*/*` is not enough).
        (r.headers.accept ?? '').toLowerCase().includes('application/json')
          ? { status: 200, body: { status: 'UP' } }
          : { status: 406, body: { message: 'Not Acceptable: send Accept: application/json' } },
    },
  ];
}
