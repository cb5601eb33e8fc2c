/** The five webhook routes (CONTRACT §1): one Lambda each, and the event types each one accepts. */
export const EVENT_TYPES = [
  'booking-requested',
  'booking-canceled',
  'booking-late-canceled',
  'checkin-booking-occurred',
  'checkin',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface Route {
  /** API Gateway path, also served by the local receiver. */
  readonly path: string;
  /** Folder under `functions/` and the stem of the Lambda's name. */
  readonly functionName: string;
  /** The canonical event type this route accepts. */
  readonly eventType: EventType;
  /** Spellings Wellhub is known to send for the same event type. */
  readonly aliases: readonly string[];
}

export const ROUTES: readonly Route[] = [
  {
    path: '/booking/requested',
    functionName: 'booking-requested',
    eventType: 'booking-requested',
    aliases: [],
  },
  {
    path: '/booking/cancelation',
    functionName: 'booking-canceled',
    eventType: 'booking-canceled',
    aliases: ['booking-cancelled'],
  },
  {
    path: '/booking/lateCancelation',
    functionName: 'booking-late-canceled',
    eventType: 'booking-late-canceled',
    aliases: ['booking-late-cancelled'],
  },
  {
    path: '/booking/checkin-booking-occurred',
    functionName: 'checkin-booking-occurred',
    eventType: 'checkin-booking-occurred',
    aliases: [],
  },
  { path: '/checkin', functionName: 'checkin', eventType: 'checkin', aliases: [] },
];

export function routeOf(eventType: EventType): Route {
  const route = ROUTES.find((r) => r.eventType === eventType);
  if (!route) throw new Error(`no route for ${eventType}`);
  return route;
}

/** The canonical event type for a spelling Wellhub sends, or undefined when it is not one of ours. */
export function canonicalEventType(sent: string): EventType | undefined {
  return ROUTES.find((r) => r.eventType === sent || r.aliases.includes(sent))?.eventType;
}
