#!/usr/bin/env node
// Entry of the bundled `runlens` executable.
import { main, report } from './main';

// `runlens runs | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.exitCode = report(err);
});
// main reports its own errors; this is the last resort for anything that escapes it.
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => (process.exitCode = report(err)),
);
