#!/usr/bin/env node
// Entry of the bundled `runlens` executable.
import { main } from './main';

process.exitCode = main(process.argv.slice(2));
