/**
 * Preload (`node --import ./bench/mem-report.js …`) for bench/rss.js: on SIGUSR2 the process writes
 * where its memory is to $MEM_REPORT_FILE (JSON): process.memoryUsage(), V8's heap spaces and code
 * statistics, and /proc/self/smaps_rollup. Touches nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const file = process.env.MEM_REPORT_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    let smaps = '';
    try {
      smaps = readFileSync('/proc/self/smaps_rollup', 'utf8');
    } catch {
      // not Linux
    }
    // the largest mappings by resident size (anonymous ones: V8's heap pages, malloc arenas, thread stacks)
    const maps = [];
    try {
      let cur;
      for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
        const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
        if (head) maps.push((cur = { range: `${head[1]}-${head[2]}`, perms: head[3], name: head[4] || '[anon]', sizeKb: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, rssKb: 0 }));
        else if (cur && line.startsWith('Rss:')) cur.rssKb = Number(/(\d+)/.exec(line)[1]);
      }
    } catch {
      // not Linux
    }
    writeFileSync(file, JSON.stringify({
      maps: maps.sort((a, b) => b.rssKb - a.rssKb).slice(0, 40),
      memoryUsage: process.memoryUsage(),
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics(),
      code: v8.getHeapCodeStatistics(),
      smaps,
    }));
  });
}
