"""bench.wrk reads wrk's own text output into figures."""

import pytest

from bench.wrk import parse

CLEAN = """Running 10s test @ http://127.0.0.1:8001/api/v1/users?page=2&per_page=20
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   104.12ms   30.55ms 297.00ms   71.46%
    Req/Sec   241.66     40.12   330.00     68.00%
  Latency Distribution
     50%  101.50ms
     75%  120.00ms
     90%  140.00ms
     99%  250.10ms
  4823 requests in 10.01s, 21.54MB read
Requests/sec:    481.83
Transfer/sec:      2.15MB
"""

TROUBLED = """Running 5s test @ http://127.0.0.1:4010/api/v1/users
  2 threads and 50 connections
  Latency Distribution
     50%  661.67ms
     75%  788.53ms
     90%  832.88ms
     99%    1.73s
  36 requests in 5.06s, 616.26KB read
  Socket errors: connect 0, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:      7.12
Transfer/sec:    121.82KB
"""


def test_clean_run():
    result = parse(CLEAN)
    assert result.requests_per_second == 481.83
    assert result.p50_ms == 101.5
    assert result.p99_ms == 250.1
    assert (result.non_2xx, result.errors, result.timeouts, result.requests) == (0, 0, 0, 4823)


def test_errors_timeouts_and_seconds():
    result = parse(TROUBLED)
    assert result.p99_ms == 1730.0
    assert result.non_2xx == 7
    assert result.errors == 6
    assert result.timeouts == 4
    assert result.requests == 36


def test_microseconds():
    result = parse(CLEAN.replace("101.50ms", "950.00us"))
    assert result.p50_ms == pytest.approx(0.95)
