import { signBody } from '#lib/wellhub/signature';
import { bookingEvent } from '../support/fixtures';
import { type Harness, PREVIOUS_SECRET, SECRET, webhookHarness } from '../support/harness';
import { type CapturedLogs, captureLogs } from '../support/logs';

const PHONE = '+55 11 99876-5432';

const personalBooking = (bookingNumber: string) =>
  bookingEvent('booking-requested', {
    bookingNumber,
    data: (data) => {
      Object.assign(data.user as Record<string, unknown>, {
        name: 'Mariana Quintela',
        email: 'mariana.quintela@example.com',
        phone_number: PHONE,
      });
    },
  });

describe('request logs (CONTRACT §8)', () => {
  let harness: Harness;
  let logs: CapturedLogs;
  const signatures: string[] = [];

  beforeAll(async () => {
    harness = await webhookHarness();
    logs = captureLogs();
    const send = async (body: Record<string, unknown> | string, signature?: string | null) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const header = signature === undefined ? signBody(text, SECRET) : signature;
      if (header) signatures.push(header);
      return harness.deliver('booking-requested', { body: text, signature: header });
    };
    await send(personalBooking('BK_LOG_1'));
    await send(personalBooking('BK_LOG_1'));
    await send(personalBooking('BK_LOG_2'), signBody(JSON.stringify(personalBooking('BK_LOG_2')), 'wrong'));
    await send(
      `{"event_type":"booking-requested","event_data":{"user":{"name":"Mariana Quintela","email":"mariana.quintela@example.com"},"slot":{"id":01}}}`,
    );
    await send({ ...personalBooking('BK_LOG_3'), event_type: 'booking-canceled' });
    logs.stop();
  });
  afterAll(() => logs.stop());

  it('writes exactly one JSON log line per request, with the fields on-call filters on', () => {
    const requests = logs.records().filter((record) => record.message === 'webhook request');

    expect(requests.map((record) => record.outcome)).toEqual([
      'accepted',
      'duplicate',
      'rejected_signature',
      'bad_request',
      'bad_request',
    ]);
    for (const record of requests) {
      expect(record).toEqual(
        expect.objectContaining({
          level: expect.any(String),
          route: '/booking/requested',
          event_type: expect.any(String),
          outcome: expect.any(String),
          latency_ms: expect.any(Number),
          cold_start: expect.any(Boolean),
          request_id: expect.any(String),
        }),
      );
    }
    expect(requests[0]).toMatchObject({
      event_id: 'evt-BK_LOG_1',
      booking_number: 'BK_LOG_1',
      gym_id: '012345',
      status: 200,
      signature_form: 'raw',
    });
    expect(requests[2]).toMatchObject({ status: 401, source_ip: '203.0.113.7' });
    expect(requests[3]).toMatchObject({
      status: 400,
      error_code: 'invalid_json',
      quarantine_id: expect.any(String),
    });
  });

  it('never writes the secret, a signature, a name, a phone number or a full email', () => {
    const everything = logs.lines.join('\n');
    const forbidden = [
      SECRET,
      PREVIOUS_SECRET,
      'Mariana',
      'Quintela',
      PHONE,
      '99876',
      'mariana.quintela@example.com',
      'user@email.com',
      ...signatures,
    ];

    for (const value of forbidden) expect(everything).not.toContain(value);
    expect(everything.toLowerCase()).not.toContain(signatures[0]?.toLowerCase());
  });
});
