"""Per-turn cost of Guardrail.check, measured against baselines in the same run.

Two baselines: validating the conversation with pydantic (what every turn pays anyway), and the
*physical floor* of issue 19 — one call that does, on the same message, an Aho-Corasick pass over
300 phrases, one small pydantic validation and one 256-dim numpy dot (`Floor`). The ratio
``check / floor`` means the same on any machine. Prints tables; never asserts on time (shared
machines make timed asserts flaky).

    python benchmarks/bench_check.py            # full run
    python benchmarks/bench_check.py --quick    # CI smoke run
    python benchmarks/bench_check.py --cascade  # also: the LLM cascade's share and overhead
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import ahocorasick
import numpy as np

from guardrail import Conversation, Guardrail, Message, NeedModel, NeedPrediction, Registry
from guardrail.batch import BatchResult, classify_lines
from guardrail.detectors.language import LanguageIdentifier
from guardrail.need import CascadeClassifier, NeedClassifier
from guardrail.need.features import dense_features

ROOT = Path(__file__).resolve().parent.parent
SHORT = "I was charged twice for my subscription this month and I want it sorted"
LONG = (
    "Hello, I have been a customer for years and I am writing because something odd happened. "
    * 22
)[:2000] + " Also there's a payment on my statement I never made."


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return statistics.median(ordered), pick(0.95), pick(0.99)


def _time_each(fn: Callable[[int], object], repeats: int) -> list[float]:
    samples = []
    for i in range(repeats):
        start = time.perf_counter_ns()
        fn(i)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def varied_messages(path: Path, count: int, size: int = 2000) -> list[str]:
    """`count` different messages of `size` characters made of real customer lines (a window
    over the file that starts one line later each time), so no two checks see the same text."""
    lines = []
    for raw in path.read_bytes().splitlines():
        data = json.loads(raw)
        lines.extend(m["content"] for m in data["messages"] if m["role"] == "user")
    out = []
    for start in range(count):
        text, i = "", start
        while len(text) < size:
            text += lines[i % len(lines)] + " "
            i += 1
        out.append(text[:size])
    return out


def _payload(text: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}]}


class Floor:
    """The least any per-message policy check must do, as one call: validate the message with
    pydantic, one Aho-Corasick pass of its lowercased text over 300 phrases (the registry's rule
    examples), and one 256-dim numpy dot of a vector hashed from the matches."""

    def __init__(self, registry: Registry, phrases: int = 300) -> None:
        seen: dict[str, None] = {}
        for rule in registry.rules:
            for text in (*rule.spec.examples, *rule.spec.counterexamples):
                seen.setdefault(text.lower(), None)
        self.phrases = list(seen)[:phrases]
        self.automaton = ahocorasick.Automaton()
        for n, phrase in enumerate(self.phrases):
            self.automaton.add_word(phrase, n)
        self.automaton.make_automaton()
        self.weights = np.random.default_rng(19).standard_normal(256)

    def __call__(self, payload: dict[str, object]) -> float:
        message = Message.model_validate(payload["messages"][-1])  # type: ignore[index]
        vector = np.zeros(256)
        for end, n in self.automaton.iter(message.content.lower()):
            vector[(end * 31 + n) & 255] += 1.0
        return float(vector @ self.weights)


def per_turn(guard: Guardrail, repeats: int, varied: list[str]) -> None:
    """Per-check cost: the same short and long message again and again, and a different real
    2,000-character message every check (caches warm from the traffic before, as in service),
    each beside the pydantic baseline and the physical floor, with the ratios to the floor."""
    floor = Floor(guard.registry)
    print(f"{'case':<46}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}")
    cases: list[tuple[str, Callable[[int], dict[str, object]]]] = [
        ("short message (72 chars)", lambda i: _payload(SHORT)),
        ("long message (2,000 chars, repeated text)", lambda i: _payload(LONG)),
        ("2,000 chars of real lines, new each check",
         lambda i: _payload(varied[i % len(varied)])),
    ]
    ratios = []
    for name, payload in cases:
        base = _time_each(lambda i, p=payload: Conversation.model_validate(p(i)), repeats)
        least = _time_each(lambda i, p=payload: floor(p(i)), repeats)
        full = _time_each(lambda i, p=payload: guard.check(p(i)), repeats)
        for label, samples in ((f"validate, {name}", base), (f"floor, {name}", least),
                               (f"check, {name}", full)):
            p50, p95, p99 = _percentiles(samples)
            print(f"{label:<46}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}")
        (f50, _, f99), (c50, _, c99) = _percentiles(least), _percentiles(full)
        ratios.append((name, c50 / f50, c99 / f99))
    print(f"{'check / floor (issue 19 target: <= 25x)':<46}{'p50':>10}{'':>10}{'p99':>10}")
    for name, r50, r99 in ratios:
        print(f"{name:<46}{r50:>9.0f}x{'':>10}{r99:>9.0f}x")


def turn_n(guard: Guardrail, turns: list[int]) -> None:
    """Grow one conversation turn by turn, as a chatbot does, and time the checks at turn N.

    Each turn adds an assistant reply and a user message and checks the whole conversation
    (same id), so only the new text is scanned. The caller keeps its history as validated
    messages and validates only the new ones (re-validating 2,000 messages before every check
    would add its own millisecond and run each check on caches it cooled). The median of five
    turns around N is shown, with Python's cyclic GC on (what an application sees: collections
    triggered by the caller's own growing history land inside some checks) and off (guardrail's
    own work per turn).
    """
    print(f"\n{'turn N (id-keyed, incremental)':<34}{'us, gc on':>12}{'ratio':>8}"
          f"{'us, gc off':>12}{'ratio':>8}")
    last = max(turns)
    columns = []
    for collect in (True, False):
        messages: list[Message] = []
        timings: list[float] = []
        for turn in range(1, last + 5):
            if messages:
                messages.append(Message(role="assistant", content="Here is how to do that."))
            text = SHORT if turn % 2 else "a question about my invoice layout"
            messages.append(Message(role="user", content=text))
            # Every message is already validated: the conversation is only assembled.
            conversation = Conversation.model_construct(
                id=f"bench-turns-{collect}", messages=list(messages)
            )
            if not collect:
                gc.disable()
            start = time.perf_counter_ns()
            guard.check(conversation)
            timings.append((time.perf_counter_ns() - start) / 1000)
            gc.enable()
        columns.append(timings)
    firsts = [statistics.median(t[0:5]) for t in columns]
    for n in turns:
        costs = [statistics.median(t[n - 1 : n + 4]) for t in columns]
        print(f"{'turn ' + str(n):<34}{costs[0]:>12.1f}{costs[0] / firsts[0]:>7.2f}x"
              f"{costs[1]:>12.1f}{costs[1] / firsts[1]:>7.2f}x")


def throughput(guard: Guardrail, path: Path, limit: int) -> None:
    lines = path.read_bytes().splitlines()[:limit]
    result = BatchResult()
    start = time.perf_counter()
    for _ in classify_lines(guard, lines, result):
        pass
    elapsed = time.perf_counter() - start
    base_start = time.perf_counter()
    for line in lines:
        data = json.loads(line)
        Conversation.model_validate({"messages": data["messages"]})
    base = time.perf_counter() - base_start
    print(f"\nbatch classify: {result.lines} lines in {elapsed:.2f}s = "
          f"{result.lines / elapsed:,.0f} lines/s (baseline parse+validate: "
          f"{result.lines / base:,.0f} lines/s)")


def memory_per_conversation(guard_factory: Callable[[], Guardrail], count: int) -> None:
    """Memory the engine keeps per active conversation (its incremental state), by tracemalloc:
    `count` conversations of three user turns, measured after the conversation objects the
    caller holds are gone."""
    import tracemalloc

    guard = guard_factory()
    guard.check({"messages": [{"role": "user", "content": "warm up"}]})
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(count):
        turns = [SHORT, "ok, and what happens next?", "thanks, please sort it out"]
        for end in range(1, 4):
            guard.check({"id": f"mem-{i}", "messages": [
                {"role": "user", "content": t} for t in turns[:end]]})
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    print(f"memory per active conversation ({count} conversations, 3 turns): "
          f"{grown / count / 1024:.1f} KiB (state bounded by max_conversations)")


class InstantLLM:
    """A stand-in for the LLM classifier that answers at once, in process (no network), so the
    cascade section measures the cascade's own cost: every message it is asked about reads as
    a calm ``other``."""

    def __init__(self, need_states: Sequence[str]) -> None:
        self._answer = NeedPrediction(
            {state: 1.0 if state == "other" else 0.0 for state in need_states}, 0.0, source="llm"
        )

    def predict_message(
        self, text: str, words: Sequence[str], rule_codes: Sequence[str]
    ) -> NeedPrediction:
        """The same calm answer for every message."""
        return self._answer


def _user_messages(path: Path, limit: int) -> list[str]:
    """The user messages of the first `limit` lines, one check each."""
    out: list[str] = []
    for raw in path.read_bytes().splitlines()[:limit]:
        out.extend(m["content"] for m in json.loads(raw)["messages"] if m["role"] == "user")
    return out


def embedding_cost(data: Path, varied: list[str], limit: int) -> None:
    """What the multilingual embedding itself costs per check: the shipped model's
    `dense_features` (canonical words joined, Devanagari romanised, pieces looked up, int8 rows
    averaged) on real customer lines one at a time and on 2,000-character windows, beside the
    whole need-model prediction it is part of. (The rest of the default-vs-before gap above is
    the larger n-gram vocabulary of the retrained model, not the embedding.)"""
    model = NeedModel.default()
    encoder = model.encoder
    if encoder is None:
        print("\nthe shipped need model reads no embedding")
        return
    normaliser = Registry.default().normaliser
    print(f"\n{'embedding cost per check':<46}{'p50 us':>10}{'p95 us':>10}{'p99 us':>10}")
    for name, texts in (("real lines, one per check", _user_messages(data, limit)),
                        ("2,000 chars of real lines", varied)):
        words = [normaliser.canonical(t).words for t in texts]
        for t, w in zip(texts, words, strict=True):  # warm the memos, as in service
            dense_features(encoder, t, model.config, w)
        embed = _time_each(lambda i, t=texts, w=words: dense_features(
            encoder, t[i], model.config, w[i]), len(texts))
        whole = _time_each(
            lambda i, t=texts, w=words: model.predict_message(t[i], w[i], ()), len(texts))
        for label, samples in ((f"embedding, {name}", embed),
                               (f"need model in all, {name}", whole)):
            p50, p95, p99 = _percentiles(samples)
            print(f"{label:<46}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}")


def cascade(data: Path, varied: list[str], limit: int) -> None:
    """The LLM cascade (`CascadeClassifier`: the learned model, and the LLM where it is unsure)
    with an instant in-process LLM: the share of messages it would send to the LLM, and what
    the wrapper adds to each check beside the learned model alone (the LLM's own latency comes
    on top, for the consulted share only). Thresholds: the registry's; novelty 0.25 (the
    default); with and without the language check (an identifier for English, the shipped
    model's language). Each message is checked by both guards, alternating which goes first;
    the columns: messages classified, the share sent to the LLM (by the check that sent them),
    check p50 alone and with the cascade, the median of the per-message differences, and the
    classifier call alone (best of five rounds) with the cascade minus without."""
    registry = Registry.default()
    local = NeedModel.default()
    llm = InstantLLM(registry.settings.need_states)
    sets = [(f"{data.name} messages", _user_messages(data, limit)),
            ("2,000-char windows", varied)]
    print(f"\n{'cascade (stub LLM) vs learned model alone':<44}{'msgs':>7}{'share':>8}"
          f"{'low/novel/lang':>16}{'p50 us':>9}{'p50 us':>9}{'+us':>9}{'+classify us':>14}")
    for language in (False, True):
        identifier = LanguageIdentifier(["en"]) if language else None
        for name, texts in sets:
            wrapper = CascadeClassifier(
                local, llm, min_confidence=registry.settings.model.min_confidence,
                identifier=identifier,
            )
            plain, wrapped = Guardrail(registry, need_model=local), Guardrail(
                registry, need_model=wrapper)
            for guard in (plain, wrapped):
                guard.check(_payload("warm up"))
            seen, asked = wrapper.seen, dict(wrapper.consulted_by)
            alone: list[float] = []
            both: list[float] = []
            for i, text in enumerate(texts):
                payload = _payload(text)
                order = ((plain, alone), (wrapped, both))
                for guard, samples in order if i % 2 else order[::-1]:
                    start = time.perf_counter_ns()
                    guard.check(payload)
                    samples.append((time.perf_counter_ns() - start) / 1000)
            n = wrapper.seen - seen  # the checks' calls (a message's readings count too)
            counted = {k: v - asked[k] for k, v in wrapper.consulted_by.items()}
            # The classifier alone: the engine's call, on the words it would pass.
            words = [registry.normaliser.canonical(t[: registry.settings.max_scan_chars]).words
                     for t in texts]
            classify = [float("inf"), float("inf")]  # best of five rounds, interleaved
            for _ in range(5):
                classifiers: tuple[NeedClassifier, ...] = (local, wrapper)
                for at, classifier in enumerate(classifiers):
                    start = time.perf_counter_ns()
                    for text, w in zip(texts, words, strict=True):
                        classifier.predict_message(text, w, ())
                    spent = (time.perf_counter_ns() - start) / 1000 / len(texts)
                    classify[at] = min(classify[at], spent)
            share = sum(counted.values()) / n if n else 0.0
            label = f"{name}, {'en language check' if language else 'no language check'}"
            split = "/".join(str(counted[k]) for k in ("low_confidence", "novel", "language"))
            paired = [b - a for a, b in zip(alone, both, strict=True)]
            print(f"{label:<44}{n:>7}{share:>8.1%}{split:>16}"
                  f"{statistics.median(alone):>9.1f}{statistics.median(both):>9.1f}"
                  f"{statistics.median(paired):>9.1f}{classify[1] - classify[0]:>14.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sample for a CI smoke run")
    parser.add_argument("--cascade", action="store_true",
                        help="also measure the LLM cascade (a stub LLM, no network)")
    args = parser.parse_args()
    data = ROOT.parent / "shared" / "data" / "banking77" / "train.jsonl"
    if not data.exists():
        data = ROOT / "evals" / "examples.jsonl"
    # Real customer lines: Banking77 beside the checkout, else a dev set shipped in the repo.
    lines = data if data.name == "train.jsonl" else ROOT / "evals" / "dev4" / "dev4.jsonl"
    varied = varied_messages(lines, 200 if args.quick else 3000)
    # The need model as it was before the multilingual embedding joined its features (hashed
    # n-grams only), kept beside the benchmark so the embedding's cost is measured in this run.
    baseline = str(ROOT / "benchmarks" / "data" / "need_ngram_baseline")
    # The engine before the learned injection model, beside the default, in the same run.
    for label, model, injection in (
        ("rules + need model + injection model (default)", "default", "default"),
        ("rules + need model, no injection model (before the injection issue)", "default", None),
        ("rules + n-gram model, no embedding (before the language issue)", baseline, None),
        ("rules only (need_model=None, injection_model=None)", None, None),
    ):
        print(f"\n=== {label} ===")
        guard = Guardrail(need_model=model, injection_model=injection)
        guard.check({"messages": [{"role": "user", "content": "warm up"}]})
        per_turn(guard, 200 if args.quick else 3000, varied)
        turn_n(guard, [1, 10, 100] if args.quick else [1, 10, 100, 1000])
        throughput(guard, data, 500 if args.quick else 10_000)
        memory_per_conversation(lambda m=model, i=injection: Guardrail(need_model=m,
                                                                       injection_model=i),
                                100 if args.quick else 2000)
    embedding_cost(data, varied, 500 if args.quick else 5000)
    if args.cascade:
        cascade(data, varied[: 200 if args.quick else 1000], 200 if args.quick else 3000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
