import { setFlagsFromString } from 'node:v8';

/**
 * Lets V8's old generation grow to 1.5× what survived the last full collection before the next one,
 * for the long-running processes (server, worker). Under a high allocation rate V8 otherwise lets it
 * grow up to 4×: the server's resident set reached 215-255 MB under write load, with about 30 MB
 * live. With this it stayed at 165-175 MB, at the same throughput within the bench's noise
 * (BENCHMARKS.md). V8 reads the flag at every collection, so setting it at startup takes effect; it
 * is not accepted in NODE_OPTIONS, which is why it is set here.
 *
 * The young generation's size, by contrast, is fixed when V8 starts, so `npm start` passes
 * `--max-semi-space-size=8` on the command line (package.json; the bench starts the server with the
 * same flags): 8 MB semi-spaces instead of 16 saved 13-20 MB of resident memory in every bench
 * scenario at the same throughput.
 */
export function boundHeapGrowth(percent = 50): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
