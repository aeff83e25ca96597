// The benchmark's floor: read the same files with the analyzer's own line reader and JSON.parse
// every line — nothing else. Plain JS run by plain `node`, so it starts as fast as the CLI does.
import { readLines } from "../dist/load.js";

let records = 0;
for (const file of process.argv.slice(2)) {
  for await (const { text } of readLines(file)) {
    if (text.trim() === "") continue;
    JSON.parse(text);
    records += 1;
  }
}
process.stderr.write(`floor: parsed ${records} records\n`);
