/**
 * Read-ahead thread of a cold index (see readAhead.ts): reads the runs it is sent (readAheadRuns.ts) while
 * the indexer's thread writes the runs before them to SQLite, and posts what it read, the series' bytes
 * moved in buffers they share, which come back once the run is written. A run the indexer took over before
 * the thread came to it is skipped.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { giveBackBuffers, readAheadRun } from './readAheadRuns';
import type { ReadAheadReply, ToReadAhead } from './readAhead';

const { port, replies, claims, maxPoints } = workerData as { port: MessagePort; replies: Int32Array; claims: Int32Array; maxPoints: number };

port.on('message', (req: ToReadAhead) => {
  // The buffers of a run the indexer has written, back for the runs to come.
  if ('recycle' in req) return giveBackBuffers(req.recycle);
  let reply: ReadAheadReply;
  // A run is read by whoever claims it first: one the indexer took over is skipped.
  if (Atomics.compareExchange(claims, req.seq!, 0, 1) !== 0) reply = { dir: req.dir, skipped: true, files: [] };
  else reply = readAheadRun(req, maxPoints);
  // The buffers move to the indexer's thread: the series' (they are views of them) and the probes' numbers.
  port.postMessage(reply, [...(reply.buffers ?? []), ...(reply.packed ? [reply.packed.probeSeen] : [])]);
  Atomics.add(replies, 0, 1);
  Atomics.notify(replies, 0);
});
