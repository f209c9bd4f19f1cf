/** `copy: 12000/34000 users (35%), 8500 users/s, about 4 s left`. Pure: the times come in. */
export function formatProgress(step: string, done: number, total: number, startedAt: number, now: number): string {
  const elapsed = Math.max(0, now - startedAt) / 1000;
  const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
  const rate = elapsed > 0 ? done / elapsed : 0;
  const parts = [`${step}: ${done}/${total} users (${pct}%)`];
  if (rate > 0) parts.push(`${Math.round(rate)} users/s`);
  if (done < total && rate > 0) parts.push(`about ${formatSeconds((total - done) / rate)} left`);
  else if (done >= total) parts.push(`${formatSeconds(elapsed)}`);
  return parts.join(', ');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}
