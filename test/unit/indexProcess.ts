// A separate indexer process for the crash and concurrency tests:
//   node indexProcess.js INDEX ROOT...            index once
//   node indexProcess.js --until STOPFILE INDEX ROOT...   index again and again until STOPFILE exists
import * as fs from 'node:fs';
import { Store } from '../../src/core/index/store';
import { indexWorkspace } from '../../src/core/index/indexer';

const args = process.argv.slice(2);
const until = args[0] === '--until' ? args[1] : undefined;
const [indexFile, ...roots] = until ? args.slice(2) : args;
const store = Store.open(indexFile);
let passes = 0;
do {
  indexWorkspace(store, { roots });
  passes++;
} while (until && !fs.existsSync(until));
store.close();
process.stdout.write(String(passes));
