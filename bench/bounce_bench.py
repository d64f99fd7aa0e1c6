"""Score the bounce parser on a directory of .eml files with an expected.json beside them.

    python -m bench.bounce_bench                       # tests/events/samples
    python -m bench.bounce_bench --dir ~/corpus -v     # any other corpus, e.g. a private one

expected.json maps a file name to what the message is known to say (the same shape as
tests/events/samples/expected.json): ``{"kind": ..., "recipients": [{"address", "status",
"code", and optionally "reason", "class"}]}``. Files without an expectation are skipped
and counted.

Per source group (the file name's prefix before the first ``_``; for our own real-MTA
notices, ``real_<mta>``) it prints:

* status accuracy: expected recipients the parser names with the expected status, over all
  expected recipients of failure notices;
* recall: expected recipients the parser names at all (any status);
* class agreement: over expected recipients that carry a ``class`` and that the parser
  names with a ``reason``, how often the reason's class (app.events.reasons) is the same;
  ``n/a`` while the parser gives no reasons;
* false alarms: messages expected to be no failure notice (kind unknown or autoreply)
  for which the parser names recipients;
* extra: addresses the parser names that the expectation does not (a wrong recipient);
* kind: of those ordinary messages, how many got another kind without recipients (e.g.
  "dsn" for an auto-reply): no false alarm, but a wrong word in the review list.

Notices that do not return our original message (nothing attached or pasted that a
mailer returns) cannot be tied to a message of ours; they are scored with the rest and
also shown on a line of their own. The last line is
``bounce_status_accuracy=… bounce_recall=… bounce_class_agreement=… bounce_false_alarms=…``
(fractions of 1, and a count of messages). ``--db`` is accepted for bench/run_all.py and
ignored: nothing here touches a database.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "tests" / "events" / "samples"
NOT_BOUNCES = ("unknown", "autoreply")


@dataclass
class Tally:
    messages: int = 0
    recipients: int = 0
    status_ok: int = 0
    found: int = 0
    classed: int = 0
    class_ok: int = 0
    extra: int = 0
    ordinary: int = 0
    false_alarms: int = 0
    wrong_kind: int = 0
    has_original: bool | None = None  # what the parser says of one message, when it says
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("messages", "recipients", "status_ok", "found", "classed", "class_ok",
                     "extra", "ordinary", "false_alarms", "wrong_kind"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses)

    @property
    def status_accuracy(self) -> float | None:
        return self.status_ok / self.recipients if self.recipients else None

    @property
    def recall(self) -> float | None:
        return self.found / self.recipients if self.recipients else None

    @property
    def class_agreement(self) -> float | None:
        return self.class_ok / self.classed if self.classed else None


def group_of(name: str) -> str:
    parts = name.split("_")
    if parts[0] == "real" and len(parts) > 2:
        return f"real_{parts[1]}"
    return parts[0] if len(parts) > 1 else "(none)"


def returns_original(raw: bytes) -> bool:
    """Whether the notice carries our original (attached, or its headers pasted back), for
    a parser that does not say so itself (Classification.has_original)."""
    from app.events.bounce_text import returns_original as carries
    from app.events.mailparts import collect, load

    try:
        return carries(collect(load(raw)))
    except Exception:  # noqa: BLE001 - a structural nicety, never a reason to stop scoring
        return False


def score_message(name: str, raw: bytes, expected: dict,
                  classify: Callable[[bytes], object]) -> Tally:
    from app.events.reasons import class_of

    tally = Tally(messages=1)
    result = classify(raw)
    tally.has_original = getattr(result, "has_original", None)
    got = {r.address: r for r in result.recipients}
    wanted = expected.get("recipients") or []
    if expected.get("kind") in NOT_BOUNCES and not wanted:
        tally.ordinary = 1
        if got:
            tally.false_alarms = 1
            tally.misses.append(f"{name}: false alarm {sorted(got)} (kind {result.kind})")
        elif result.kind != expected["kind"]:
            tally.wrong_kind = 1
            tally.misses.append(f"{name}: kind {result.kind}, expected {expected['kind']}"
                                " (no recipients: not a false alarm)")
        return tally
    for want in wanted:
        tally.recipients += 1
        mine = got.get(want["address"])
        if mine is None:
            tally.misses.append(f"{name}: {want['address']} not found")
            continue
        tally.found += 1
        if mine.status == want["status"]:
            tally.status_ok += 1
        else:
            tally.misses.append(f"{name}: {want['address']} {mine.status}, "
                                f"expected {want['status']}")
        reason = getattr(mine, "reason", None)
        if want.get("class") and reason:
            tally.classed += 1
            if class_of(reason) == want["class"]:
                tally.class_ok += 1
            else:
                tally.misses.append(f"{name}: {want['address']} reason {reason} "
                                    f"({class_of(reason)}), expected class {want['class']}")
    extra = sorted(set(got) - {w["address"] for w in wanted})
    if extra:
        tally.extra = len(extra)
        tally.misses.append(f"{name}: extra {extra}")
    return tally


def score(directory: Path, expected: dict[str, dict],
          classify: Callable[[bytes], object] | None = None) -> tuple[dict[str, Tally], Tally,
                                                                      int]:
    """Tallies per group, the tally of notices without a returned original, and how many
    .eml files had no expectation."""
    if classify is None:
        from app.events.bounces import classify
    groups: dict[str, Tally] = {}
    no_original = Tally()
    skipped = 0
    for path in sorted(directory.glob("*.eml")):
        if path.name not in expected:
            skipped += 1
            continue
        raw = path.read_bytes()
        tally = score_message(path.name, raw, expected[path.name], classify)
        groups.setdefault(group_of(path.name), Tally()).add(tally)
        carries = tally.has_original
        if carries is None:
            carries = returns_original(raw)
        if tally.recipients and not carries:
            no_original.add(tally)
    return groups, no_original, skipped


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _fraction(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table(groups: dict[str, Tally], total: Tally, no_original: Tally) -> str:
    header = ["group", "msgs", "rcpts", "status", "recall", "class", "extra", "false alarms",
              "kind"]
    rows = [header]

    def row(name: str, t: Tally) -> list[str]:
        return [name, str(t.messages), str(t.recipients), _pct(t.status_accuracy),
                _pct(t.recall), _pct(t.class_agreement) + (f" ({t.classed})" if t.classed
                                                           else ""),
                str(t.extra), f"{t.false_alarms}/{t.ordinary}" if t.ordinary else "-",
                f"{t.wrong_kind}/{t.ordinary}" if t.ordinary else "-"]

    rows += [row(name, groups[name]) for name in sorted(groups)]
    rows.append(row("ALL", total))
    rows.append(row("(no original)", no_original))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 2, lines[1])
    return "\n".join(lines)


def summary(total: Tally) -> str:
    return (f"bounce_status_accuracy={_fraction(total.status_accuracy)} "
            f"bounce_recall={_fraction(total.recall)} "
            f"bounce_class_agreement={_fraction(total.class_agreement)} "
            f"bounce_false_alarms={total.false_alarms}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help="a directory of .eml files (default: tests/events/samples)")
    parser.add_argument("--expected", type=Path, default=None,
                        help="the expectations (default: DIR/expected.json)")
    parser.add_argument("--db", default="sqlite", help="ignored (bench/run_all.py passes it)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every miss, false alarm and extra recipient")
    args = parser.parse_args(argv)

    expected_path = args.expected or args.dir / "expected.json"
    expected = json.loads(expected_path.read_text("utf-8"))
    groups, no_original, skipped = score(args.dir, expected)
    total = Tally()
    for tally in groups.values():
        total.add(tally)
    if not total.messages:
        raise SystemExit(f"no .eml file in {args.dir} has an expectation in {expected_path}")
    print(f"{args.dir}: {total.messages} messages scored"
          + (f", {skipped} without an expectation skipped" if skipped else ""))
    print(table(groups, total, no_original))
    if args.verbose and total.misses:
        print("\nmisses:")
        for line in total.misses:
            print(f"  {line}")
    print(summary(total))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
