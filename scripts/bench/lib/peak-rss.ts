// A benchmark process's own peak resident set size. Not `process.resourceUsage().maxRSS`: on Linux a child starts
// with its parent's resident size at fork as its maxRSS (the high-water mark survives exec), so a case spawned by a
// bench that had just built a 0.5 GB model reported at least that. /proc/self/status's VmHWM is the high-water mark
// of this process's own memory since exec.
import { readFileSync } from 'node:fs';

export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS / 1024;
}
