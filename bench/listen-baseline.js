/**
 * Cold-start reference: a bare node:http server listening on two ports, nothing loaded. What `spawn →
 * both ports accepting` costs before any framework or capability. Usage: node bench/listen-baseline.js PORT PORT
 */
import { createServer } from 'node:http';

for (const port of process.argv.slice(2)) createServer((req, res) => res.end()).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
