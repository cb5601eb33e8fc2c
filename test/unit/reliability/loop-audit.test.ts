import type { BookingRecord } from '#lib/bookings/records';
import type { RecordedCall } from '#lib/local-wellhub/control';
import { type LocalWellhub, startLocalWellhub } from '#lib/local-wellhub/server';
import type { SimBooking } from '#lib/local-wellhub/state';
import type { GymSlotRecord } from '#lib/schedule/records';
import { auditLoop, type OurRecords } from '../../reliability/support/loop-audit';
import { emptyLedger, type SlotInPlay, type StormLedger } from '../../reliability/support/loop-storm';

const SLOT_ID = 50_001;
const T0 = Date.parse('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/**
 * The loop storm's audit must be able to fail: each broken promise, built by hand into the local
 * Wellhub's state and our records, is found, and a clean loop passes.
 */
describe('the loop audit', () => {
  let wellhub: LocalWellhub;
  let ledger: StormLedger;
  let ours: OurRecords;
  let slot: SlotInPlay;
  beforeEach(async () => {
    wellhub = await startLocalWellhub({ token: 'audit-test-token' });
    ledger = emptyLedger();
    slot = { reference: 'hot-1', wellhubSlotId: SLOT_ID, hot: true, toCancel: false, maxAllowance: 1 };
    ledger.slots.push(slot);
    ours = { bookings: new Map(), slots: new Map() };
    setSeats(0);
  });
  afterEach(() => wellhub.close());

  function setSeats(reserved: number): void {
    ours.slots.set(slot.reference, {
      reference: slot.reference,
      wellhub_reserved: reserved,
    } as GymSlotRecord);
  }

  /** A request Wellhub delivered, answered with `statuses` in order (each call's reply: 204 unless given). */
  function request(number: string, statuses: Array<[string, number?, string?]>, seat = true): void {
    const answers = statuses.map(([status, http = 204], i) => ({
      at: at(i + 1),
      body: { status },
      http_status: http,
    }));
    const booking: SimBooking = {
      booking_number: number,
      gym_id: 100_001,
      class_id: 8001,
      slot_id: SLOT_ID,
      gympass_id: '7000000000001',
      timestamp: T0,
      status: (answers.find((a) => a.http_status < 300)?.body.status as SimBooking['status']) ?? 'REQUESTED',
      answers,
    };
    wellhub.state.bookings.set(number, booking);
    for (const [i, [status, http = 204, fault]] of statuses.entries()) {
      const call: RecordedCall = {
        at: at(i + 1),
        method: 'PATCH',
        path: `/booking/v2/gyms/100001/bookings/${number}`,
        query: {},
        headers: {},
        body: { status },
        status: http,
        ...(fault ? { fault } : {}),
      };
      wellhub.calls.push(call);
    }
    ledger.requests.push({ number, slot, member: '7000000000001', hot: true, delivered: true });
    ours.bookings.set(number, {
      booking_number: number,
      status: booking.status,
      history: [{ event_type: 'booking-requested', event_key: `key-${number}` }],
      ...(seat && booking.status === 'RESERVED'
        ? { seat: { slot_reference: slot.reference, taken_at: at(1) } }
        : {}),
    } as unknown as BookingRecord);
  }

  const audit = () => auditLoop({ wellhub }, ledger, ours, []);

  it('passes a loop that kept every promise', () => {
    request('BK1', [['RESERVED']]);
    request('BK2', [['REJECTED']]);
    setSeats(1);
    const findings = audit();
    expect(findings.problems).toEqual([]);
    expect(findings).toMatchObject({
      answeredOnTime: 2,
      overbookedSlots: 0,
      seatMismatches: 0,
      contradictory: 0,
    });
  });

  it('finds two members holding the one seat at once', () => {
    request('BK1', [['RESERVED']]);
    request('BK2', [['RESERVED']]);
    setSeats(2);
    expect(audit().overbookedSlots).toBe(1);
  });

  it('finds a booking sent two statuses, and an answer resent after a delivery the service saw', () => {
    request('BK1', [['RESERVED', 409], ['REJECTED']], false);
    request('BK2', [['REJECTED'], ['REJECTED']]);
    const findings = audit();
    expect(findings.contradictory).toBe(1);
    expect(findings.sentAfterDelivery).toBe(1);
  });

  it('allows the same answer again after a reply lost to a slow Wellhub', () => {
    request('BK1', [['REJECTED', 204, 'delay 6000 ms'], ['REJECTED']]);
    const findings = audit();
    expect(findings.sentAfterDelivery).toBe(0);
    expect(findings.repeatedAfterLostReply).toBe(1);
  });

  it('finds a seat counted here and not reserved at Wellhub', () => {
    request('BK1', [['REJECTED']]);
    setSeats(1);
    expect(audit().seatMismatches).toBe(1);
  });

  it('finds an acknowledged request never answered, and one missing from our records', () => {
    request('BK1', []);
    ours.bookings.delete('BK1');
    const findings = audit();
    expect(findings.unanswered).toBe(1);
    expect(findings.eventsLost).toBe(1);
  });
});
