/**
 * Personal data and secrets the test generators put into requests, drawn from fixed sets so that the
 * log audit (log-audit.ts) can prove none of them ever reaches a log line. The values are distinctive
 * on purpose: a name like "Ana" would show up inside other words and make the audit meaningless.
 */
export const FIRST_NAMES = ['Xanthippe', 'Bartholomeu', 'Quirinalia', 'Zebedeus', 'Ottoline', 'Wenceslau'];
export const LAST_NAMES = ['Okonkwo-Vasquez', 'Zylstrander', 'Thorbjornsen', 'Pimentelho', 'Kowalczykow'];
export const EMAILS = [
  'xanthippe.okonkwo@example.org',
  'b.zylstrander@mail.example.com',
  'quirinalia+gym@example.net',
  'zebedeus_t@example.co.uk',
];
export const PHONES = ['+55 11 97531-8642', '+5521986420975', '(11) 94682-1357', '+1-202-555-0147'];

/** The secrets the reliability suites sign with (besides the harness's own). */
export const RELIABILITY_SECRETS = ['reliability-secret-current', 'reliability-secret-previous'];

/** The loop suite's webhook secret, Wellhub token and gym API token (reliability/support/loop-stack.ts). */
export const LOOP_SECRETS = ['loop-webhook-secret-5a0f', 'loop-wellhub-token-93c7d2', 'loop-gym-token-4e1b'];

/** Every value above, and the fragments of phone numbers that would still identify someone. */
export function neverLoggedValues(): string[] {
  const phoneDigits = PHONES.map((phone) => phone.replace(/\D/g, ''));
  const phoneTails = PHONES.map((phone) => phone.replace(/\D/g, '').slice(-8));
  return [
    ...FIRST_NAMES,
    ...LAST_NAMES,
    ...EMAILS,
    ...PHONES,
    ...phoneDigits,
    ...phoneTails,
    ...RELIABILITY_SECRETS,
    ...LOOP_SECRETS,
  ];
}
