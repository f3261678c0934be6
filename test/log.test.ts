import { expect, test } from 'vitest';
import { createLogger } from '../src/log.js';

// A secret that reaches a log call is masked wherever it sits: no log line carries a token.

function logged(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  write(createLogger('info', { write: (line: string) => lines.push(line) }));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('a token three levels deep is redacted, and the fields around it are kept', () => {
  const line = logged((log) =>
    log.info({ request: { slack: { auth: { botToken: 'xoxb-secret-1', team: 'T1' } } } }, 'called'),
  );
  expect(line.request).toEqual({ slack: { auth: { botToken: '[redacted]', team: 'T1' } } });
  expect(JSON.stringify(line)).not.toContain('xoxb-secret-1');
});

test('secrets in arrays, in a child logger’s bindings and in an error’s own properties are redacted', () => {
  const line = logged((log) =>
    log.child({ aws: { credentials: { accessKeyId: 'AKIA', secretAccessKey: 'abc/def' } } }).error(
      {
        calls: [{ headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIA' } }],
        err: Object.assign(new Error('AssumeRole failed'), { context: { sessionToken: 'FQoG-session' } }),
      },
      'failed',
    ),
  );
  const text = JSON.stringify(line);
  for (const secret of ['abc/def', 'AWS4-HMAC-SHA256', 'FQoG-session']) expect(text).not.toContain(secret);
  expect(line.err).toMatchObject({ message: 'AssumeRole failed', context: { sessionToken: '[redacted]' } });
  expect(line.aws).toEqual({ credentials: '[redacted]' });
});

test('a log object that refers to itself is logged, not a stack overflow', () => {
  const loop: Record<string, unknown> = { name: 'loop' };
  loop.self = loop;
  expect(logged((log) => log.info({ loop }, 'cyclic')).msg).toBe('cyclic');
});
