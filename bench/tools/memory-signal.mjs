// Loaded into the profiled server by profile-token.ts --memory (node --import): on SIGWINCH the
// server writes its memory to stderr, V8's heap by space, so a run tells what holds its RSS.
import { getHeapSpaceStatistics } from 'node:v8';

const mb = (bytes) => Math.round(bytes / 1048576);
process.on('SIGWINCH', () => {
  const m = process.memoryUsage();
  const spaces = getHeapSpaceStatistics()
    .filter((s) => s.space_size > 0)
    .map((s) => `${s.space_name.replace('_space', '')} ${mb(s.space_used_size)}/${mb(s.space_size)}`)
    .join(', ');
  process.stderr.write(
    `server memory (MB): rss ${mb(m.rss)}, V8 heap ${mb(m.heapUsed)} used of ${mb(m.heapTotal)} (${spaces}), array buffers ${mb(m.arrayBuffers)}, other external ${mb(m.external - m.arrayBuffers)}\n`,
  );
});
