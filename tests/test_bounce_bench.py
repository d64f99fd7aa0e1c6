"""bench/bounce_bench.py on a small corpus whose right answers are known."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.events.bounces import classify
from app.events.reasons import reason_for
from bench import bounce_bench, run_all

SAMPLES = Path(__file__).parent / "events" / "samples"


@pytest.fixture
def corpus(tmp_path):
    """Five real samples; one expectation deliberately disagrees with the parser, one
    bounce is declared ordinary mail (so it must count as a false alarm)."""
    expected = json.loads((SAMPLES / "expected.json").read_text("utf-8"))
    chosen = {
        "postfix_dsn_user_unknown.eml": "postfix_one.eml",
        "dsn_multi_recipient_mixed.eml": "dsn_mixed.eml",
        "human_reply.eml": "human_reply.eml",
        "exim_permanent.eml": "exim_wrong.eml",
        "barracuda_blocked.eml": "barracuda_no_original.eml",  # nothing of ours returned
    }
    mine = {}
    for source, name in chosen.items():
        shutil.copy(SAMPLES / source, tmp_path / name)
        mine[name] = expected[source]
    wrong = json.loads(json.dumps(mine["exim_wrong.eml"]))
    for recipient in wrong["recipients"]:
        recipient["status"] = "delayed"  # the parser says rejected, and is right
    mine["exim_wrong.eml"] = wrong
    shutil.copy(SAMPLES / "postfix_dsn_user_unknown.eml", tmp_path / "ordinary_fake.eml")
    mine["ordinary_fake.eml"] = {"kind": "unknown", "recipients": []}
    (tmp_path / "no_expectation.eml").write_bytes(b"From: a@b.example\n\nhello\n")
    (tmp_path / "expected.json").write_text(json.dumps(mine), "utf-8")
    return tmp_path, mine


def test_figures_on_a_known_corpus(corpus, capsys):
    directory, mine = corpus
    exim_recipients = len(mine["exim_wrong.eml"]["recipients"])
    total = 1 + 2 + exim_recipients + 1
    assert bounce_bench.main(["--dir", str(directory), "-v"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last == (f"bounce_status_accuracy={4 / total:.3f} bounce_recall=1.000 "
                    "bounce_class_agreement=1.000 bounce_false_alarms=1")
    name, figures = run_all.parse_figures(last, "bounce")
    assert name == "bounce" and set(figures) == {
        "bounce_status_accuracy", "bounce_recall", "bounce_class_agreement",
        "bounce_false_alarms"}
    assert "1 without an expectation skipped" in out
    assert "ordinary_fake.eml: false alarm" in out
    assert "exim_wrong.eml" in out and "expected delayed" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["ordinary"][-2:] == ["1/1", "0/1"]  # the false alarm, no wrong kind
    assert rows["human"][-2:] == ["0/1", "0/1"]


@dataclass(frozen=True)
class _WithReason:
    address: str
    status: str
    code: str | None
    diagnostic: str | None
    reason: str


@dataclass(frozen=True)
class _Result:
    kind: str
    recipients: list


def _classify_with_reasons(raw: bytes) -> _Result:
    result = classify(raw)
    return _Result(result.kind, [
        _WithReason(r.address, r.status, r.code, r.diagnostic, reason_for(r.code, r.diagnostic))
        for r in result.recipients])


def test_class_agreement_counts_only_recipients_with_a_class_and_a_reason(corpus):
    directory, mine = corpus
    mine["postfix_one.eml"]["recipients"][0]["class"] = "address"  # 5.1.1 user unknown
    mine["dsn_mixed.eml"]["recipients"][0]["class"] = "mailbox"  # wrong: also 5.1.1
    groups, _, skipped = bounce_bench.score(directory, mine, _classify_with_reasons)
    total = bounce_bench.Tally()
    for tally in groups.values():
        total.add(tally)
    assert skipped == 1
    # Every expected recipient has a class (five: postfix 1, mixed 2, exim 1, barracuda 1);
    # the one set to "mailbox" for a 5.1.1 user unknown disagrees.
    assert (total.classed, total.class_ok) == (5, 4)
    assert "bounce_class_agreement=0.800" in bounce_bench.summary(total)
    # The parser gives the same reasons itself.
    groups, _, _ = bounce_bench.score(directory, mine)
    assert (sum(t.classed for t in groups.values()),
            sum(t.class_ok for t in groups.values())) == (5, 4)


def test_groups_are_the_prefix_and_real_mta_notices_by_server():
    assert bounce_bench.group_of("postfix_dsn_user_unknown.eml") == "postfix"
    assert bounce_bench.group_of("real_dma_unknown.eml") == "real_dma"
    assert bounce_bench.group_of("real_postfix_later_delay.eml") == "real_postfix"
    assert bounce_bench.group_of("plain.eml") == "(none)"


def test_notices_without_the_original_are_shown_apart(corpus):
    directory, mine = corpus
    _, no_original, _ = bounce_bench.score(directory, mine)
    assert (no_original.messages, no_original.recipients, no_original.status_ok) == (1, 1, 1)
    assert bounce_bench.returns_original((directory / "postfix_one.eml").read_bytes())
    assert not bounce_bench.returns_original((directory / "barracuda_no_original.eml").read_bytes())
