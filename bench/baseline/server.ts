/**
 * The floor's HTTP side: plain `node:http` in front of `receive`, nothing else. Started by the
 * benchmark in its own process, on a free loopback port.
 */
import { createServer } from 'node:http';
import { announce } from '../support/protocol';
import { receive } from './receive';

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const signature = req.headers['x-gympass-signature'];
    void receive(Buffer.concat(chunks), typeof signature === 'string' ? signature : undefined).then(
      (answer) => {
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer.body),
        });
        res.end(answer.body);
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => announce(server));
