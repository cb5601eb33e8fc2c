/**
 * Secrets Manager has no local emulator here, so this speaks just enough of its JSON 1.1 protocol
 * (GetSecretValue) for the real SDK to run against it: point clients at `endpoint`, or set
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, and the code under test stays unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** GetSecretValue requests received, answered or not: proves what a cache saves, or what an attacker can't drive. */
  readonly calls: number;
  /** Adds a secret or rotates it (a new VersionId, as a real rotation would give). */
  set(id: string, value: string): void;
  /** While on, every call answers 500 InternalServiceError, as during an outage. */
  fail(on: boolean): void;
  stop(): Promise<void>;
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  value: string;
  versionId: string;
  readonly createdDate: number;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export async function startFakeSecretsManager(secrets: Record<string, string>): Promise<FakeSecretsManager> {
  const stored = new Map<string, StoredSecret>();
  let calls = 0;
  let failing = false;

  const set = (name: string, value: string): void => {
    const existing = stored.get(name);
    if (existing) {
      existing.value = value;
      existing.versionId = randomUUID();
      return;
    }
    // Real ARNs end in a random 6-character suffix, which callers must not rely on.
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-${randomBytes(3).toString('hex')}`;
    stored.set(name, { name, arn, value, versionId: randomUUID(), createdDate: Date.now() / 1000 });
  };
  for (const [name, value] of Object.entries(secrets)) set(name, value);

  const find = (secretId: unknown): StoredSecret | undefined => {
    if (typeof secretId !== 'string') return undefined;
    return stored.get(secretId) ?? [...stored.values()].find((secret) => secret.arn === secretId);
  };

  const server = createServer((req, res) => {
    readJson(req)
      .then((input) => {
        const target = req.headers['x-amz-target'];
        if (target !== 'secretsmanager.GetSecretValue') {
          return sendError(
            res,
            400,
            'UnknownOperationException',
            `${String(target)} is not supported by this fake`,
          );
        }
        calls += 1;
        if (failing)
          return sendError(res, 500, 'InternalServiceError', 'fake Secrets Manager is failing on purpose');
        const secretId = input?.SecretId;
        const secret = find(secretId);
        if (!secret) {
          return sendError(
            res,
            400,
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret.",
          );
        }
        send(res, 200, {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.value,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secret.createdDate,
        });
      })
      .catch(() => sendError(res, 400, 'SerializationException', 'request body is not JSON'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    set,
    fail: (on) => {
      failing = on;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        // The SDK keeps connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
}

function send(
  res: ServerResponse,
  status: number,
  payload: object,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { __type: type, message }, { 'x-amzn-errortype': type });
}
