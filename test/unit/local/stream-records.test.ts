import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { compareSequenceNumbers, toLambdaRecord } from '#lib/local/stream-records';

const SOURCE = {
  awsRegion: 'us-east-1',
  eventSourceArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-04T20:09:44.711',
};

/** What DynamoDB Local's GetRecords gives the SDK for a put that replaced an item. */
const MODIFY: _Record = {
  eventID: '7307e444-c6fe-4637-ab21-7fc7df84b405',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'ddblocal',
  dynamodb: {
    ApproximateCreationDateTime: new Date('2026-12-04T20:09:00.000Z'),
    Keys: { pk: { S: 'EVENT#1' }, sk: { S: 'booking-requested' } },
    NewImage: {
      pk: { S: 'EVENT#1' },
      sk: { S: 'booking-requested' },
      attempts: { N: '2' },
      body: { B: new Uint8Array([1, 2, 255]) },
      tags: { SS: ['a', 'b'] },
      scores: { NS: ['1', '2'] },
      blobs: { BS: [new Uint8Array([0])] },
      nested: { M: { ok: { BOOL: true }, gone: { NULL: true }, list: { L: [{ S: 'x' }, { N: '1' }] } } },
    },
    OldImage: { pk: { S: 'EVENT#1' }, sk: { S: 'booking-requested' } },
    SequenceNumber: '000000000000000000007',
    SizeBytes: 120,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
};

describe('toLambdaRecord', () => {
  it('builds the record Lambda hands the function, with epoch seconds and base64 binaries', () => {
    expect(toLambdaRecord(MODIFY, SOURCE)).toEqual({
      eventID: '7307e444-c6fe-4637-ab21-7fc7df84b405',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: SOURCE.eventSourceArn,
      dynamodb: {
        ApproximateCreationDateTime: Date.parse('2026-12-04T20:09:00.000Z') / 1000,
        Keys: { pk: { S: 'EVENT#1' }, sk: { S: 'booking-requested' } },
        NewImage: {
          pk: { S: 'EVENT#1' },
          sk: { S: 'booking-requested' },
          attempts: { N: '2' },
          body: { B: 'AQL/' },
          tags: { SS: ['a', 'b'] },
          scores: { NS: ['1', '2'] },
          blobs: { BS: ['AA=='] },
          nested: { M: { ok: { BOOL: true }, gone: { NULL: true }, list: { L: [{ S: 'x' }, { N: '1' }] } } },
        },
        OldImage: { pk: { S: 'EVENT#1' }, sk: { S: 'booking-requested' } },
        SequenceNumber: '000000000000000000007',
        SizeBytes: 120,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  });

  it('gives an empty map back its type, which the Streams client loses, rather than refusing the record', () => {
    const withEmptyMap = {
      ...MODIFY,
      dynamodb: { ...MODIFY.dynamodb, NewImage: { pk: { S: 'EVENT#1' }, person: {} } },
    } as unknown as _Record;

    expect(toLambdaRecord(withEmptyMap, SOURCE).dynamodb?.NewImage).toEqual({
      pk: { S: 'EVENT#1' },
      person: { M: {} },
    });
  });

  it('survives JSON the way Lambda delivers it', () => {
    const record = toLambdaRecord(MODIFY, SOURCE);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('calls a TTL delete REMOVE and marks it as made by the DynamoDB service, as AWS does', () => {
    const ttlDelete = {
      ...MODIFY,
      eventName: 'UNKNOWN_TO_SDK_VERSION',
      dynamodb: { ...MODIFY.dynamodb, NewImage: undefined },
    } as unknown as _Record;

    const record = toLambdaRecord(ttlDelete, SOURCE);

    expect(record.eventName).toBe('REMOVE');
    expect(record.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(record.dynamodb?.NewImage).toBeUndefined();
  });
});

describe('compareSequenceNumbers', () => {
  it('orders sequence numbers beyond the precision of Number', () => {
    expect(compareSequenceNumbers('900000000000000000001', '900000000000000000002')).toBe(-1);
    expect(compareSequenceNumbers('000000000000000000010', '000000000000000000009')).toBe(1);
    expect(compareSequenceNumbers('000000000000000000010', '10')).toBe(0);
  });
});
