// Fixes to postgres.js 3.4.9 for a server that dies under a transaction, applied after `npm ci`
// (package.json's postinstall; the Dockerfile runs it before bundling). Upstream has none of them
// yet (porsager/postgres#1097, #1186). Without them a Warden process in a transaction when
// PostgreSQL goes away crashes on an unhandled rejection or on a TypeError (a write to no socket),
// or never exits (its rollback never settles, so closing the pool waits forever), instead of saying
// the database failed (test/db/database-down.test.ts).
// Each replacement must match exactly once, or this fails: a new postgres.js is checked by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');
const MARK = '/* warden: patched */';

const PATCHES = [
  {
    // When the connection closes first, what the transaction still queued is rejected with it, and
    // the body's own rejection (its rollback failed too) is handled.
    file: 'index.js',
    from: `      return await Promise.race([
        scope(connection, fn),
        new Promise((_, reject) => connection.onclose = reject)
      ])`,
    to: `      const scoped = scope(connection, fn) ${MARK}
      scoped.catch(() => { /* the connection closed first: begin rejects with that */ })
      return await Promise.race([
        scoped,
        new Promise((_, reject) => connection.onclose = e => {
          while (queries.length) queries.shift().reject(e)
          reject(e)
        })
      ])`,
  },
  {
    // A statement of a transaction whose connection closed (its rollback) fails at once instead of
    // being written to no socket and never settling.
    file: 'index.js',
    from: `        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full`,
    to: `        q.catch(e => uncaughtError || (uncaughtError = e))
        if (c.queue === closed) ${MARK}
          return q.reject(Errors.connection('CONNECTION_CLOSED', options))
        c.queue === full`,
  },
  {
    // A connection that closed under a query forgets it (it was rejected), so ending the pool does
    // not wait for that query to finish.
    file: 'connection.js',
    from: `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    closedTime = performance.now()`,
    to: `    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = null ${MARK}
    ended && (ended(), ending = ended = null)
    closedTime = performance.now()`,
  },
  {
    // A write scheduled for the next tick after the socket was dropped is dropped too.
    file: 'connection.js',
    from: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    to: `  function nextWrite(fn) {
    if (!socket) { ${MARK}
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
];

for (const flavour of ['src', 'cjs/src']) {
  for (const { file, from, to } of PATCHES) {
    const path = join(root, flavour, file);
    const text = readFileSync(path, 'utf8');
    if (text.includes(to)) continue;
    const at = text.split(from).length - 1;
    if (at !== 1) {
      console.error(`patch-postgres: ${path} holds the text to replace ${at} times, not once`);
      process.exit(1);
    }
    writeFileSync(path, text.replace(from, to));
  }
}
