import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Outcome, Receipt } from '#lib/inbox/receive';
import type { Route } from '#lib/wellhub/routes';
import type { WellhubEvent } from '#lib/wellhub/wellhub-event';

/** What one request learns on its way through the middleware stack. */
export interface Delivery {
  readonly startedAt: number;
  readonly receivedAt: Date;
  readonly requestId: string;
  /** The body exactly as the gateway delivered it. */
  readonly body: string;
  readonly bodyIsBase64: boolean;
  verified: boolean;
  signatureForm?: 'raw' | 'compact';
  signatureKey?: 'current' | 'previous';
  event?: WellhubEvent;
  outcome?: Outcome;
  quarantineId?: string;
}

/** Keyed by the gateway event object, which middy hands unchanged (body aside) to every step. */
const deliveries = new WeakMap<APIGatewayProxyEventV2, Delivery>();

export function openDelivery(event: APIGatewayProxyEventV2, context: Context): Delivery {
  const delivery: Delivery = {
    startedAt: performance.now(),
    receivedAt: new Date(),
    requestId: event.requestContext?.requestId ?? context.awsRequestId,
    body: event.body ?? '',
    bodyIsBase64: event.isBase64Encoded === true,
    verified: false,
  };
  deliveries.set(event, delivery);
  return delivery;
}

/** The delivery of a request, when its first middleware ran (it always does, short of a middy bug). */
export function findDelivery(event: APIGatewayProxyEventV2): Delivery | undefined {
  return deliveries.get(event);
}

export function deliveryOf(event: APIGatewayProxyEventV2): Delivery {
  const delivery = deliveries.get(event);
  if (!delivery) throw new Error('request was not opened by the observe middleware');
  return delivery;
}

export function bodyBytes(delivery: Delivery): Buffer {
  return Buffer.from(delivery.body, delivery.bodyIsBase64 ? 'base64' : 'utf8');
}

export function receiptOf(route: Route, delivery: Delivery): Receipt {
  return {
    route: route.path,
    requestId: delivery.requestId,
    body: delivery.body,
    bodyIsBase64: delivery.bodyIsBase64,
    receivedAt: delivery.receivedAt,
  };
}
