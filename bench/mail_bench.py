"""Mail worker throughput against a local SMTP server: connection reuse vs one per message.

The modes run in the same process, one after the other, against the same server, so the
ratios are meaningful on a noisy shared machine: connection reuse, one connection per
message, reuse with MAIL_IN_FLIGHT=1 (one commit per message, to show what a group of
messages in flight buys), and reuse with each message attaching its own invoice's PDF
(what rendering costs). After one untimed warm-up batch the modes take turns for
three rounds; the last line gives the medians:
`mail reuse_msgs_per_s=… single_msgs_per_s=… one_in_flight_msgs_per_s=…
reuse_pdf_each_msgs_per_s=… reuse_ratio=…`
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from app.dev.net import wait_for_port
from bench.common import bench_app, machine, scratch_database


def run(kind: str, count: int, batch: int, in_flight: int | None = None,
        rounds: int = 3) -> dict[str, list[float]]:
    import subprocess

    from app.dev.net import free_port
    from app.extensions import db, mail
    from app.jobs.mail import send_messages
    from app.mail import outbox
    from tests.factories import make_customer, make_invoice

    def _queue(addresses: list[str], invoice) -> list[int]:
        """A message per address for `invoice`; with None, each for a new invoice, with PDF."""
        groups = ([(invoice, addresses)] if invoice is not None
                  else [(make_invoice(make_customer()), [a]) for a in addresses])
        messages = [m for owner, group in groups for m in outbox.add_messages(
            recipients=[outbox.Recipient(a) for a in group], subject="Invoice",
            body="Dear client,\n\nhttps://example.org/x", invoice=owner,
            attach_pdf=invoice is None)]
        db.session.commit()
        return [m.id for m in messages]

    # The SMTP server runs in its own process, as a real relay would.
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                               f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
    wait_for_port(port)
    results: dict[str, list[float]] = {}
    try:
        with scratch_database(kind) as url:
            app = bench_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                            REDIS_URL="redis://127.0.0.1:1/0")
            with app.app_context():
                mail.init_app(app)
                invoice = make_invoice(make_customer())
                in_flight = in_flight or app.config["MAIL_IN_FLIGHT"]
                # (mode, reuse, group, messages, PDF): the PDF mode attaches each message's
                # own invoice, so every message renders a PDF, as reminders for different
                # invoices would; fewer messages, because rendering dominates.
                modes = [("reuse", True, in_flight, count, False),
                         ("single", False, in_flight, count, False),
                         ("one_in_flight", True, 1, count, False),
                         ("reuse_pdf_each", True, in_flight, max(1, count // 6), True)]
                # One untimed batch first: statement caches, prepared statements and the
                # email template are warm in a long-running worker too. Then the modes
                # take turns, round after round, so a slow spell of the machine falls on
                # all of them alike.
                plan = [("warm_up", True, in_flight, batch, True)]
                plan += [mode for _ in range(rounds) for mode in modes]
                for number, (mode, reuse, group, total, pdf) in enumerate(plan):
                    app.config.update(MAIL_REUSE_CONNECTION=reuse, MAIL_IN_FLIGHT=group)
                    ids = []
                    for start in range(0, total, batch):
                        size = min(total, start + batch) - start
                        ids.append(_queue([f"{mode}{number}-{start + i}@example.org"
                                           for i in range(size)],
                                          None if pdf else invoice))
                    began = time.perf_counter()
                    for chunk in ids:
                        send_messages(chunk)
                    results.setdefault(mode, []).append(total / (time.perf_counter() - began))
                del results["warm_up"]
                db.session.remove()
    finally:
        server.terminate()
        server.wait()
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--in-flight", type=int, default=None,
                        help="MAIL_IN_FLIGHT for the first two modes (default: the app's)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the four modes; medians are reported")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"database: {args.db}; {args.count} messages in batches of {args.batch}, no PDF "
          f"(the PDF mode: {max(1, args.count // 6)}, each with its own invoice's PDF); "
          f"in flight: {args.in_flight or 'default'}")
    results = run(args.db, args.count, args.batch, args.in_flight, args.rounds)
    median = {mode: statistics.median(rates) for mode, rates in results.items()}
    for mode, rates in results.items():
        print(f"  {mode:13} median {median[mode]:7.1f} messages/s  "
              f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})")
    print(f"mail reuse_msgs_per_s={median['reuse']:.1f} single_msgs_per_s={median['single']:.1f} "
          f"one_in_flight_msgs_per_s={median['one_in_flight']:.1f} "
          f"reuse_pdf_each_msgs_per_s={median['reuse_pdf_each']:.1f} "
          f"reuse_ratio={median['reuse'] / median['single']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
