#!/usr/bin/env python3
"""Per-message SMTP latency, one message at a time: the time from MAIL FROM to the server's
answer to the end of DATA (the part of a transaction a milter sits in), over one connection.

    python3 bench/smtp-latency.py HOST PORT COUNT FILE...

Sends COUNT messages, cycling through the FILEs, and prints
`n=COUNT p50=… p90=… p99=… max=…` in milliseconds.
"""
import smtplib
import sys
import time


def main() -> int:
    host, port, count, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    bodies = [open(f, "rb").read() for f in files]
    times = []
    with smtplib.SMTP(host, port, local_hostname="client.example") as smtp:
        for i in range(count):
            body = bodies[i % len(bodies)]
            start = time.perf_counter()
            smtp.sendmail("bench@client.example", ["user@bench.example"], body)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(len(times) * p))]

    print(f"n={len(times)} p50={pct(0.5):.2f} p90={pct(0.9):.2f} p99={pct(0.99):.2f} max={times[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
