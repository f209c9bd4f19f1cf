// The gateway image's HEALTHCHECK: exit 0 when GET /healthz answers 200, else 1.
// The slim Node image has neither curl nor wget, and Node 20 has fetch.
// Environment: PORT (4000), HEALTHCHECK_TIMEOUT_MS (3000).
const url = `http://127.0.0.1:${process.env.PORT || '4000'}/healthz`;
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (response.status !== 200) {
    console.error(`${url}: HTTP ${response.status}`);
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
