/**
 * Run as a child process by the stream poller's tests: it delivers one record, stops the poller and
 * destroys its clients, then simply returns. The process exits only if nothing is left holding the
 * event loop open; it never calls process.exit.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { startStreamPoller } from '#lib/local/stream-poller';
import { checkpointPath, createStreamTable, putItems, RecordingHandler, streamClients } from './streams';

async function main(): Promise<void> {
  const clients = streamClients();
  const { tableName, streamArn } = await createStreamTable(clients.dynamoDb);
  const recording = new RecordingHandler();
  const poller = startStreamPoller({
    streams: clients.streams,
    streamArn,
    checkpointFile: checkpointPath(),
    filters: [],
    handler: recording.handler,
  });
  await putItems(clients.dynamoDb, tableName, ['EXIT']);
  await recording.until(() => recording.records.length === 1);
  await poller.stop();
  await clients.dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  clients.destroy();
  process.stdout.write('stopped\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
