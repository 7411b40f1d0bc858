-- wrk script: prints one machine-readable summary line after the run.
-- Adds no per-request hooks, so it does not slow wrk down.  Headers and
-- method come from wrk's command line (-H), which this script leaves alone.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKSUM requests=%d duration_us=%d bytes=%d err_connect=%d err_read=%d " ..
      "err_write=%d err_status=%d err_timeout=%d lat_p50_us=%d lat_p99_us=%d lat_max_us=%d\n",
      summary.requests, summary.duration, summary.bytes, e.connect, e.read,
      e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99),
      latency.max))
end
