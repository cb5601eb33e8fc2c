import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager';

describe('fake Secrets Manager', () => {
  let fake: FakeSecretsManager;
  let client: SecretsManagerClient;

  beforeEach(async () => {
    fake = await startFakeSecretsManager({ 'wellhub/webhook-secret': 's3cr3t' });
    client = new SecretsManagerClient({
      endpoint: fake.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // One call per send, so that `calls` counts what the code under test asked for.
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await fake.stop();
  });

  it('answers GetSecretValue from the real SDK with the stored secret', async () => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));

    expect(result).toMatchObject({
      Name: 'wellhub/webhook-secret',
      SecretString: 's3cr3t',
      VersionStages: ['AWSCURRENT'],
    });
    expect(result.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:wellhub\/webhook-secret-\w{6}$/,
    );
    expect(result.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((result.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('finds a secret by its ARN too', async () => {
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));

    const byArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN }));

    expect(byArn.SecretString).toBe('s3cr3t');
  });

  it('throws ResourceNotFoundException when the secret does not exist', async () => {
    const call = client.send(new GetSecretValueCommand({ SecretId: 'missing' }));

    await expect(call).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(call).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('serves a rotated value under a new version id after set', async () => {
    const before = await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));

    fake.set('wellhub/webhook-secret', '{"current":"new","previous":"s3cr3t"}');
    fake.set('another', 'value');
    const after = await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));
    const added = await client.send(new GetSecretValueCommand({ SecretId: 'another' }));

    expect(after.SecretString).toBe('{"current":"new","previous":"s3cr3t"}');
    expect(after.VersionId).not.toBe(before.VersionId);
    expect(after.ARN).toBe(before.ARN);
    expect(added.SecretString).toBe('value');
  });

  it('throws InternalServiceError while failing, and recovers when told to', async () => {
    fake.fail(true);
    const failed = client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));
    await expect(failed).rejects.toBeInstanceOf(InternalServiceError);
    await expect(failed).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });

    fake.fail(false);
    const recovered = await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));

    expect(recovered.SecretString).toBe('s3cr3t');
  });

  it('counts every GetSecretValue call, answered or not', async () => {
    await client.send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }));
    await client.send(new GetSecretValueCommand({ SecretId: 'missing' })).catch(() => undefined);
    fake.fail(true);
    await client
      .send(new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }))
      .catch(() => undefined);

    expect(fake.calls).toBe(3);
  });

  it('is reached through AWS_ENDPOINT_URL_SECRETS_MANAGER without an endpoint option', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = fake.endpoint;
    const fromEnvironment = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const result = await fromEnvironment.send(
        new GetSecretValueCommand({ SecretId: 'wellhub/webhook-secret' }),
      );

      expect(result.SecretString).toBe('s3cr3t');
    } finally {
      fromEnvironment.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});
