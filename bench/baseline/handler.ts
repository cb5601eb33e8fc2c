/**
 * The floor as a Lambda behind API Gateway: the entry of its cold-init bundle, built with the same
 * esbuild options as ours (infra/bundle.ts) minus the source map.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { receive } from './receive';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const answer = await receive(body, event.headers['x-gympass-signature']);
  return { statusCode: answer.status, headers: { 'content-type': 'application/json' }, body: answer.body };
}
