// A separate indexer process for the crash, concurrency and memory tests:
//   node indexProcess.js INDEX ROOT...            index once; prints the number of passes
//   node indexProcess.js --until STOPFILE INDEX ROOT...   index again and again until STOPFILE exists
//   node indexProcess.js --report INDEX ROOT...   index once; prints {points, maxRssMb} as JSON
import * as fs from 'node:fs';
import { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';

const args = process.argv.slice(2);
const until = args[0] === '--until' ? args[1] : undefined;
const report = args[0] === '--report';
const [indexFile, ...roots] = until ? args.slice(2) : report ? args.slice(1) : args;
const store = Store.open(indexFile);
let passes = 0;
let points = 0;
do {
  points += indexWorkspace(store, { roots }).points;
  passes++;
} while (until && !fs.existsSync(until));
store.close();
process.stdout.write(report ? JSON.stringify({ points, maxRssMb: process.resourceUsage().maxRSS / 1024 }) : String(passes));
