import { hasErrorKey, kindOfStatus, parseErrorBody, parseRetryAfter } from '#lib/wellhub-api/outcome';
import { stripZoneSuffix } from '#lib/wellhub-api/schemas';

describe('kindOfStatus', () => {
  it('maps every status class as CONTRACT §13 says', () => {
    const kinds = [200, 201, 204, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503].map((status) => [
      status,
      kindOfStatus(status, false),
    ]);

    expect(Object.fromEntries(kinds)).toEqual({
      200: 'done',
      201: 'done',
      204: 'done',
      400: 'refused',
      401: 'retry',
      403: 'retry',
      404: 'refused',
      408: 'retry',
      409: 'refused',
      422: 'refused',
      429: 'retry',
      500: 'retry',
      502: 'retry',
      503: 'retry',
    });
  });

  it('adopts a 409 only on a create', () => {
    expect(kindOfStatus(409, true)).toBe('adopt');
    expect(kindOfStatus(409, false)).toBe('refused');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-04T10:00:00Z');

  it('reads delta-seconds and HTTP dates as milliseconds from now', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 04 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});

describe('parseErrorBody', () => {
  it('reads the Booking API list of field errors', () => {
    expect(
      parseErrorBody('[{"field":"reference","error":"length must be between 1 and 20 characters"}]'),
    ).toEqual({
      fields: [{ field: 'reference', error: 'length must be between 1 and 20 characters' }],
      keys: [],
    });
  });

  it("reads Access Control's keyed errors", () => {
    const body =
      '{"metadata":{"total":0,"errors":1},"errors":[{"key":"checkin.validation.expired","message":"expired"}]}';
    expect(parseErrorBody(body)).toEqual({
      fields: [],
      keys: [{ key: 'checkin.validation.expired', message: 'expired' }],
    });
  });

  it('reads an IAM-style Message', () => {
    expect(parseErrorBody('{"Message":"User is not authorized"}')).toEqual({
      fields: [],
      keys: [],
      message: 'User is not authorized',
    });
  });

  it('gives empty lists for an empty or non-JSON body', () => {
    expect(parseErrorBody('')).toEqual({ fields: [], keys: [] });
    expect(parseErrorBody('<html>Bad Gateway</html>')).toEqual({ fields: [], keys: [] });
    expect(parseErrorBody('"text"')).toEqual({ fields: [], keys: [] });
  });

  it('lets a caller ask for one Access Control key', () => {
    const outcome = {
      kind: 'refused',
      status: 400,
      error: parseErrorBody('{"errors":[{"key":"checkin.already.validated","message":""}]}'),
    } as const;
    expect(hasErrorKey(outcome, 'checkin.already.validated')).toBe(true);
    expect(hasErrorKey(outcome, 'checkin.validation.expired')).toBe(false);
    expect(hasErrorKey({ kind: 'done', status: 200, body: {} }, 'checkin.already.validated')).toBe(false);
  });
});

describe('stripZoneSuffix', () => {
  it('drops a bracketed zone after the offset and leaves ISO 8601 alone', () => {
    expect(stripZoneSuffix('2021-03-09T07:00:00Z[UTC]')).toBe('2021-03-09T07:00:00Z');
    expect(stripZoneSuffix('2021-03-09T07:00:00+01:00[Europe/Lisbon]')).toBe('2021-03-09T07:00:00+01:00');
    expect(stripZoneSuffix('2021-03-09T07:00:00-03:00')).toBe('2021-03-09T07:00:00-03:00');
  });
});
