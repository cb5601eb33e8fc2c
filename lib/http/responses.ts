import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BadRequest, Conflict, NotFound, type WebhookError } from '#lib/errors';
import type { Outcome } from '#lib/inbox/receive';

export type Response = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

export function json(statusCode: number, body: Record<string, unknown>): Response {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** 200 for an applied event and for every retry or replay of one (CONTRACT §5). */
export function outcomeResponse(outcome: Outcome): Response {
  return json(200, { status: outcome.status, event_id: outcome.eventId });
}

export function errorResponse(error: WebhookError): Response {
  const explained = error instanceof BadRequest || error instanceof NotFound || error instanceof Conflict;
  return explained
    ? json(error.status, { error: error.code, message: error.message })
    : json(error.status, { error: error.code });
}
