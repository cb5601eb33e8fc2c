/**
 * On-call's CLI: `npm run --silent ops -- <command>`. JSON on stdout, errors on stderr, exit 1 when
 * refused or not found, 2 on a usage error. Without TABLE_NAME it uses the local receiver's database.
 */
import { applyLocalDefaults, isLocal } from '#lib/local/environment';
import { applyLocalWellhubDefaults } from '#lib/local-wellhub/start';

const USAGE = `usage: ops <command>
  booking <booking_number>          the booking's whole story: status, the gym's answer and each call
                                    about it, the seat, a cancellation by the gym, its history
  booking cancel <booking_number> [--reason <text>]
                                    the gym cancels one reserved booking: seat released, Wellhub told
                                    CANCELLED_BY_GYM; --reason is shown to the member (max 200)
  customer <wellhub_id>             the customer profile a Wellhub ID belongs to
  event <event_id>                  the stored event: state (RECEIVED, APPLIED, FAILED), attempts,
                                    last error, raw body
  failures                          jobs the pipeline gave up on (events, publications, booking
                                    answers and cancellations, check-in validations), with their
                                    last error and the command that re-drives each
  retry <event_id>                  re-drive a failed event (received again, applied now); a walk-in
                                    whose validation failed: validate again while its 20 minutes
                                    last, otherwise acknowledge it (off the failures list)
  retry class:<ref> | slot:<ref>    re-drive a failed publication to Wellhub
  retry booking:<booking_number>    send again a message that may have reached Wellhub, or a failed
                                    check-in validation, while its deadline lasts; otherwise
                                    acknowledge it (off the failures list)
  pending [--wait]                  how much the pipeline still owes; --wait until the stream is done
  quarantine [--all]                signed requests that could not be applied
  replay <quarantine_id>            re-process a quarantined request through its handler
  link <customer_id> <wellhub_id>   attach a Wellhub ID to an existing customer
  class put <file.json>             create or replace a class ({"reference": …, gym API fields})
  class <reference>                 the class and where it stands with Wellhub
  slot put <file.json>              create or replace a slot ({"reference": …, gym API fields})
  slot <reference>                  the slot, its counts, sync and sign-in list
  slot cancel <reference>           the gym cancels the slot: deleted at Wellhub, bookings canceled
  schedule import <file.json>       a whole schedule {"classes":[…],"slots":[…]}; again: no change
  drift                             slots at Wellhub that reconcile could not match (never deleted)
  validate <wellhub_id> --gym <gym_id>
                                    the front desk validates the member's pending walk-in check-in
  wellhub check --gym <gym_id>      Wellhub's health, and whether our token works for the gym
  wellhub register-webhooks --gym <gym_id> --base-url <url>
                                    register the five webhook URLs and the secret at Wellhub`;

// Everything but the command's answer (handler logs during a replay, say) goes to stderr.
const print = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

async function main(argv: string[]): Promise<number> {
  if (isLocal()) {
    applyLocalDefaults();
    applyLocalWellhubDefaults();
  }
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const { config } = await import('#lib/config');
  const { DynamoDbStore } = await import('#lib/store/dynamodb-store');
  const ops = await import('#lib/ops/commands');
  const pipeline = await import('#lib/ops/pipeline');
  const wellhub = await import('#lib/ops/wellhub');
  const schedule = await import('#lib/ops/schedule');
  const bookings = await import('#lib/ops/bookings');
  const checkins = await import('#lib/ops/checkins');
  const { wellhubClient } = await import('#lib/wellhub-api/client');
  const store = new DynamoDbStore({ tableName: config.tableName, timeoutMs: 5000 });
  const context = {
    store,
    pipeline: {
      store,
      now: () => new Date(),
      wellhub: wellhubClient(config),
      horizonDays: config.scheduleHorizonDays,
      apply: { walkinValidation: config.walkinValidation },
    },
  };
  const [command, ...args] = argv;
  const run: Record<string, () => Promise<unknown> | undefined> = {
    booking: () => {
      if (args[0] !== 'cancel') return args[0] ? ops.booking(context, args[0]) : undefined;
      const at = args.indexOf('--reason');
      // Unquoted words after --reason are the reason too: it is the last option.
      const reason = at < 0 ? undefined : args.slice(at + 1).join(' ');
      if (!args[1] || at === 1 || reason === '') return undefined;
      return bookings.bookingCancel(context, args[1], reason);
    },
    customer: () => (args[0] ? ops.customer(context, args[0]) : undefined),
    event: () => (args[0] ? pipeline.event(context, args[0]) : undefined),
    failures: () => pipeline.failures(context),
    retry: () => (args[0] ? pipeline.retry(context, args[0]) : undefined),
    pending: () => (args.includes('--wait') ? pipeline.waitForDrain(store) : pipeline.pending(context)),
    quarantine: () => ops.quarantine(context, { all: args.includes('--all') }),
    replay: () => (args[0] ? ops.replay(context, args[0]) : undefined),
    link: () => (args[0] && args[1] ? ops.link(context, args[0], args[1]) : undefined),
    wellhub: () => wellhub.wellhubCommand(args),
    class: () => {
      if (args[0] === 'put') return args[1] ? schedule.classPut(context, args[1]) : undefined;
      return args[0] ? schedule.classGet(context, args[0]) : undefined;
    },
    slot: () => {
      if (args[0] === 'put') return args[1] ? schedule.slotPut(context, args[1]) : undefined;
      if (args[0] === 'cancel') return args[1] ? schedule.slotCancel(context, args[1]) : undefined;
      return args[0] ? schedule.slot(context, args[0]) : undefined;
    },
    schedule: () => (args[0] === 'import' && args[1] ? schedule.scheduleImport(context, args[1]) : undefined),
    drift: () => schedule.drift(context),
    validate: () => {
      const gym = args.indexOf('--gym');
      return args[0] && gym > 0 && args[gym + 1]
        ? checkins.validate(context, args[0], args[gym + 1] as string)
        : undefined;
    },
  };
  const result = command !== undefined && Object.hasOwn(run, command) ? run[command]?.() : undefined;
  if (result === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const shown = await result;
    print(`${JSON.stringify(shown, null, 2)}\n`);
    // A report that says something is wrong (`ok: false`) is printed in full and fails the command.
    return (shown as { ok?: unknown } | undefined)?.ok === false ? 1 : 0;
  } catch (error) {
    if (error instanceof ops.OpsRefused) {
      process.stderr.write(`ops: ${error.message}\n`);
      return 1;
    }
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    process.stderr.write(`ops: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
