-- wrk reporter for bench/pages_load.py: one machine-readable line at the end of a run.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "FEDIMAGE requests=%d duration_us=%d p50_us=%d p95_us=%d errors=%d non2xx=%d bytes=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    errors, summary.errors.status, summary.bytes))
end
