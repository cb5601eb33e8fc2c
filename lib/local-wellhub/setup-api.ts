/** The Integration Setup API: webhook registration per gym, and the integrator's gyms. */
import { EVENT_TYPES } from '#lib/wellhub/routes';
import { intParam, NOT_FOUND, type SimRoute } from './http';
import type { SimState, SimWebhook } from './state';
import { checkObject, type FieldError, isRecord } from './validation';

const WEBHOOKS = '/v1/systems/gyms/{gym_id}/webhooks';

export function setupRoutes(state: SimState, gyms: () => number[]): SimRoute[] {
  return [
    {
      method: 'POST',
      pattern: WEBHOOKS,
      api: 'setup',
      handler: (r) => {
        const gymId = intParam(r.params.gym_id);
        if (gymId === undefined) return NOT_FOUND;
        const errors = checkObject(r.body, {
          webhooks: {
            type: 'array',
            required: true,
            minItems: 1,
            items: {
              type: 'object',
              fields: {
                event: { type: 'enum', required: true, values: EVENT_TYPES },
                url: { type: 'string', required: true, pattern: /^https?:\/\/[^\s/]+/ },
                secret: { type: 'string', required: true, minLength: 1, maxLength: 100 },
              },
            },
          },
        });
        if (errors.length > 0) return { status: 400, body: { errors } satisfies { errors: FieldError[] } };
        const sent = (
          isRecord(r.body) && Array.isArray(r.body.webhooks) ? r.body.webhooks : []
        ) as SimWebhook[];
        // A registration replaces the gym's earlier one for the same event.
        const kept = (state.webhooks.get(gymId) ?? []).filter((w) => !sent.some((s) => s.event === w.event));
        state.webhooks.set(gymId, [
          ...kept,
          ...sent.map(({ event, url, secret }) => ({ event, url, secret })),
        ]);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: WEBHOOKS,
      api: 'setup',
      handler: (r) => ({
        status: 200,
        body: { webhooks: state.webhooks.get(intParam(r.params.gym_id) ?? -1) ?? [] },
      }),
    },
    {
      method: 'GET',
      pattern: '/v1/systems/gyms',
      api: 'setup',
      // The live key; Wellhub's documentation says `partners`.
      handler: () => ({ status: 200, body: { gyms: gyms().map((id) => ({ id, name: `Gym ${id}` })) } }),
    },
  ];
}
