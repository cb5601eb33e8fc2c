import type { DynamoDBRecord, StreamRecord } from 'aws-lambda';
import { assertValidFilterPattern, type FilterPattern, matchesAny } from '#lib/local/filter-pattern';

function record(
  newImage: StreamRecord['NewImage'],
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord {
  return {
    eventID: '1',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { pk: { S: 'EVENT#1' }, sk: { S: 'booking-requested' } },
      ...(newImage === undefined ? {} : { NewImage: newImage }),
      SequenceNumber: '000000000000000000001',
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** The worker's pattern: received events that were never attempted. */
const RECEIVED_EVENTS: FilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: {
    NewImage: {
      kind: { S: ['event'] },
      state: { S: ['RECEIVED'] },
      attempts: { N: [{ exists: false }] },
    },
  },
};

describe('matchesAny', () => {
  it('matches every record when there are no patterns', () => {
    expect(matchesAny([], record({ kind: { S: 'booking' } }))).toBe(true);
  });

  it('matches when every field of the pattern matches and an absent attribute must not exist', () => {
    expect(matchesAny([RECEIVED_EVENTS], record({ kind: { S: 'event' }, state: { S: 'RECEIVED' } }))).toBe(
      true,
    );
  });

  it('does not match when an attribute that must not exist is present', () => {
    const attempted = record({ kind: { S: 'event' }, state: { S: 'RECEIVED' }, attempts: { N: '1' } });
    expect(matchesAny([RECEIVED_EVENTS], attempted)).toBe(false);
  });

  it('does not match when one field has none of the allowed values', () => {
    expect(matchesAny([RECEIVED_EVENTS], record({ kind: { S: 'event' }, state: { S: 'APPLIED' } }))).toBe(
      false,
    );
    const removed = record({ kind: { S: 'event' }, state: { S: 'RECEIVED' } }, 'REMOVE');
    expect(matchesAny([RECEIVED_EVENTS], removed)).toBe(false);
  });

  it('treats a whole missing image as absent, so exists false matches and exists true does not', () => {
    const removed = record(undefined, 'REMOVE');
    expect(matchesAny([{ dynamodb: { NewImage: { kind: { S: [{ exists: false }] } } } }], removed)).toBe(
      true,
    );
    expect(matchesAny([{ dynamodb: { NewImage: { kind: { S: [{ exists: true }] } } } }], removed)).toBe(
      false,
    );
  });

  it('matches exists true only when the attribute is there', () => {
    const pattern: FilterPattern = { dynamodb: { NewImage: { attempts: { N: [{ exists: true }] } } } };
    expect(matchesAny([pattern], record({ attempts: { N: '0' } }))).toBe(true);
    expect(matchesAny([pattern], record({ kind: { S: 'event' } }))).toBe(false);
  });

  it('matches when any one of several patterns matches', () => {
    const bookings: FilterPattern = { dynamodb: { NewImage: { kind: { S: ['booking'] } } } };
    expect(matchesAny([RECEIVED_EVENTS, bookings], record({ kind: { S: 'booking' } }))).toBe(true);
    expect(matchesAny([RECEIVED_EVENTS, bookings], record({ kind: { S: 'profile' } }))).toBe(false);
  });

  it('matches prefixes, suffixes and values in any case', () => {
    const image = record({ pk: { S: 'BOOKING#42' }, email: { S: 'Someone@Example.com' } });
    expect(matchesAny([{ dynamodb: { NewImage: { pk: { S: [{ prefix: 'BOOKING#' }] } } } }], image)).toBe(
      true,
    );
    expect(matchesAny([{ dynamodb: { NewImage: { pk: { S: [{ prefix: 'EVENT#' }] } } } }], image)).toBe(
      false,
    );
    expect(matchesAny([{ dynamodb: { NewImage: { pk: { S: [{ suffix: '#42' }] } } } }], image)).toBe(true);
    const ignoringCase: FilterPattern = {
      dynamodb: { NewImage: { email: { S: [{ 'equals-ignore-case': 'someone@example.COM' }] } } },
    };
    expect(matchesAny([ignoringCase], image)).toBe(true);
  });

  it('matches anything but the listed values, and never an absent attribute', () => {
    const pattern: FilterPattern = {
      dynamodb: { NewImage: { state: { S: [{ 'anything-but': ['APPLIED', 'FAILED'] }] } } },
    };
    expect(matchesAny([pattern], record({ state: { S: 'RECEIVED' } }))).toBe(true);
    expect(matchesAny([pattern], record({ state: { S: 'APPLIED' } }))).toBe(false);
    expect(matchesAny([pattern], record({ kind: { S: 'event' } }))).toBe(false);
    const notPrefixed: FilterPattern = {
      dynamodb: { NewImage: { pk: { S: [{ 'anything-but': { prefix: 'EVENT#' } }] } } },
    };
    expect(matchesAny([notPrefixed], record({ pk: { S: 'BOOKING#1' } }))).toBe(true);
    expect(matchesAny([notPrefixed], record({ pk: { S: 'EVENT#1' } }))).toBe(false);
  });

  it('compares DynamoDB numbers by value within numeric ranges', () => {
    const pattern: FilterPattern = {
      dynamodb: { NewImage: { attempts: { N: [{ numeric: ['>', 0, '<=', 5] }] } } },
    };
    expect(matchesAny([pattern], record({ attempts: { N: '3' } }))).toBe(true);
    expect(matchesAny([pattern], record({ attempts: { N: '5.0' } }))).toBe(true);
    expect(matchesAny([pattern], record({ attempts: { N: '0' } }))).toBe(false);
    expect(matchesAny([pattern], record({ attempts: { N: '6' } }))).toBe(false);
    expect(matchesAny([pattern], record({ attempts: { S: 'three' } }))).toBe(false);
  });

  it('matches a list attribute when any of its elements matches', () => {
    const pattern: FilterPattern = { dynamodb: { NewImage: { tags: { SS: ['vip'] } } } };
    expect(matchesAny([pattern], record({ tags: { SS: ['new', 'vip'] } }))).toBe(true);
    expect(matchesAny([pattern], record({ tags: { SS: ['new'] } }))).toBe(false);
  });

  it('matches exact values by type: a number rule never matches a DynamoDB number string', () => {
    expect(matchesAny([{ dynamodb: { SizeBytes: [10] } }], record({}))).toBe(true);
    expect(matchesAny([{ dynamodb: { NewImage: { n: { N: [3] } } } }], record({ n: { N: '3' } }))).toBe(
      false,
    );
    expect(matchesAny([{ dynamodb: { NewImage: { n: { N: ['3'] } } } }], record({ n: { N: '3' } }))).toBe(
      true,
    );
  });
});

describe('assertValidFilterPattern', () => {
  it('accepts the worker pattern', () => {
    expect(() => assertValidFilterPattern(RECEIVED_EVENTS)).not.toThrow();
  });

  it('refuses unknown rules, empty lists and malformed numeric ranges', () => {
    expect(() =>
      assertValidFilterPattern({ a: [{ exist: true } as unknown as { exists: boolean }] }),
    ).toThrow(/unsupported rule/);
    expect(() => assertValidFilterPattern({ a: [] })).toThrow(/empty list/);
    expect(() => assertValidFilterPattern({ a: [{ numeric: ['>'] }] })).toThrow(/numeric/);
    expect(() => assertValidFilterPattern({ a: 'x' as unknown as FilterPattern })).toThrow(/expected a list/);
  });
});
