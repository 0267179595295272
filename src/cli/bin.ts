#!/usr/bin/env node
// Entry of the bundled `runlens` executable.
import { main } from './main';

// `runlens runs | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
void Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code));
