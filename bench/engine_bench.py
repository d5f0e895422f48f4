"""Engine benchmark: accuracy and latency beside two baselines, in one process, on one eval set.

Baselines (their cutoffs tuned on tests/data/tune.yaml, like the engine's thresholds):
  (a) rapidfuzz extractOne(question, all paraphrases, scorer=WRatio), no normalisation;
  (b) character n-gram TF-IDF cosine nearest neighbour (scikit-learn, bench extra only).
A baseline "answers" when its best score clears its cutoff; below it, it rejects the question.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from dnws_bot.engine import Engine, MatchSettings
from dnws_bot.engine.evaluation import Case, load_cases
from dnws_bot.engine.matching import Matcher

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
Predict = Callable[[str], tuple[str | None, float]]  # → (intent or None, score)


@dataclass
class Row:
    name: str
    ja: float
    en: float
    oos: float
    followup: float | None
    p50_ms: float
    p99_ms: float

    @property
    def error(self) -> dict[str, float]:
        return {"ja": 1 - self.ja, "en": 1 - self.en}


def _paraphrases(engine: Engine) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for intent in engine.catalogue.intents:
        for lang in ("ja", "en"):
            for text in intent.paraphrases[lang]:
                texts.append(text)
                labels.append(intent.id)
    return texts, labels


def wratio_baseline(engine: Engine) -> Callable[[float], Predict]:
    texts, labels = _paraphrases(engine)

    def with_cutoff(cutoff: float) -> Predict:
        def predict(question: str) -> tuple[str | None, float]:
            hit = process.extractOne(question, texts, scorer=fuzz.WRatio)
            if hit is None or hit[1] < cutoff:
                return None, hit[1] if hit else 0.0
            return labels[hit[2]], hit[1]

        return predict

    return with_cutoff


def tfidf_baseline(engine: Engine) -> Callable[[float], Predict]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize as l2

    texts, labels = _paraphrases(engine)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=True)
    matrix = l2(vectorizer.fit_transform(texts))

    def with_cutoff(cutoff: float) -> Predict:
        def predict(question: str) -> tuple[str | None, float]:
            sims = (matrix @ l2(vectorizer.transform([question])).T).toarray().ravel()
            best = int(sims.argmax())
            score = float(sims[best])
            return (labels[best] if score >= cutoff else None), score

        return predict

    return with_cutoff


def engine_predict(engine: Engine) -> Predict:
    def predict(question: str) -> tuple[str | None, float]:
        result = engine.match(question)
        return result.intent_id, result.score

    return predict


def score(cases: list[Case], predict: Predict) -> tuple[float, float, float]:
    """Correctly answered share per language (in scope) and rejection share (out of scope)."""
    hits = {"ja": [0, 0], "en": [0, 0]}
    rejected = oos = 0
    for case in cases:
        intent, _ = predict(case.question)
        if case.intent is None:
            oos += 1
            rejected += intent is None
        else:
            hits[case.lang][0] += intent == case.intent
            hits[case.lang][1] += 1
    return hits["ja"][0] / hits["ja"][1], hits["en"][0] / hits["en"][1], rejected / oos


def tune_cutoff(make: Callable[[float], Predict], cutoffs: list[float], cases: list[Case]) -> float:
    """The cutoff with the best balanced accuracy on the tuning set (never the eval set)."""

    def objective(cutoff: float) -> float:
        ja, en, oos = score(cases, make(cutoff))
        return (ja + en) / 2 + oos / 2

    return max(cutoffs, key=objective)


def latency(predict: Predict, questions: list[str], rounds: int = 3) -> tuple[float, float]:
    for question in questions[:50]:
        predict(question)  # warm caches
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            predict(question)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def run() -> list[Row]:
    engine = Engine.load()
    tune = [c for c in load_cases(DATA / "tune.yaml") if c.context is None]
    cases = load_cases(DATA / "eval.yaml")
    single = [c for c in cases if c.context is None]
    followups = [c for c in cases if c.context is not None]
    questions = [c.question for c in single]
    rows = []
    wratio = wratio_baseline(engine)
    wratio_cut = tune_cutoff(wratio, [float(x) for x in range(50, 96, 5)], tune)
    tfidf = tfidf_baseline(engine)
    tfidf_cut = tune_cutoff(tfidf, [x / 100 for x in range(20, 81, 5)], tune)
    contenders: list[tuple[str, Predict]] = [
        ("dnws-bot engine", engine_predict(engine)),
        (f"(a) rapidfuzz WRatio, cutoff {wratio_cut:.0f}", wratio(wratio_cut)),
        (f"(b) char TF-IDF NN, cutoff {tfidf_cut:.2f}", tfidf(tfidf_cut)),
    ]
    for name, predict in contenders:
        ja, en, oos = score(single, predict)
        p50, p99 = latency(predict, questions)
        follow = None
        if name == "dnws-bot engine":
            right = sum(
                engine.match(c.question, None, c.context).intent_id == c.intent for c in followups
            )
            follow = right / len(followups)
        rows.append(Row(name, ja, en, oos, follow, p50, p99))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| matcher | ja answered | en answered | out-of-scope rejected | two-turn | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        follow = f"{row.followup:.1%}" if row.followup is not None else "—"
        lines.append(
            f"| {row.name} | {row.ja:.1%} | {row.en:.1%} | {row.oos:.1%} | {follow} | "
            f"{row.p50_ms:.3f} | {row.p99_ms:.3f} |"
        )
    ours, *baselines = rows
    for baseline in baselines:
        ratios = ", ".join(
            f"{lang} {ours.error[lang] / baseline.error[lang]:.2f}"
            if baseline.error[lang]
            else f"{lang} n/a"
            for lang in ("ja", "en")
        )
        lines.append(f"\nerror rate of the engine / {baseline.name}: {ratios}")
    return "\n".join(lines)


def _eval_files() -> list[Path]:
    """eval.yaml, and eval_new.yaml while it is still a separate file."""
    return [path for path in (DATA / "eval.yaml", DATA / "eval_new.yaml") if path.exists()]


def _by_style(engine: Engine, cases: list[Case]) -> dict[tuple[str, str], list[int]]:
    """(lang, style) → [n, right]: answered with the intent, or (out of scope) not answered."""
    found: dict[tuple[str, str], list[int]] = {}
    for case in cases:
        result = engine.match(case.question, None, case.context)
        if case.intent is None:
            right = result.status != "answer"
            style = f"{case.style} (rejected)"
        else:
            right = result.status == "answer" and result.intent_id == case.intent
            style = case.style
        tally = found.setdefault((case.lang, style), [0, 0])
        tally[0] += 1
        tally[1] += right
    return found


def style_table() -> str:
    """Answered right per style and language, with the reading layer off (before) and on."""
    after = Engine.load()
    off = Matcher(after.catalogue, MatchSettings(reading_layer=False))
    before = Engine(after.catalogue, off, after.renderer)
    cases = [case for path in _eval_files() for case in load_cases(path)]
    was, now = _by_style(before, cases), _by_style(after, cases)
    lines = []
    for lang in ("ja", "en"):
        lines += [
            f"\n{lang}:\n",
            "| style | n | before (reading layer off) | after |",
            "|---|---|---|---|",
        ]
        for key in sorted(k for k in now if k[0] == lang):
            n, right = now[key]
            lines.append(f"| {key[1]} | {n} | {was[key][1] / n:.1%} | {right / n:.1%} |")
    files = ", ".join(path.name for path in _eval_files())
    return f"By style ({files}; out-of-scope rows count rejections):" + "\n".join(lines)


def reading_latency(rounds: int = 3) -> str:
    """Match latency split by whether the question needed the Japanese analyser (IME repair)."""
    from dnws_bot.engine import reading

    engine = Engine.load()
    calls = [0]
    words = reading.words

    def counted(*args: object, **kwargs: object) -> list[reading.Word]:
        calls[0] += 1
        return words(*args, **kwargs)  # type: ignore[arg-type]

    reading.words = counted  # type: ignore[assignment]
    try:
        samples: dict[bool, list[float]] = {False: [], True: []}
        questions = [c.question for path in _eval_files() for c in load_cases(path)]
        for question in questions:
            engine.match(question)  # warm: the analyser is loaded once here
        for _ in range(rounds):
            for question in questions:
                before = calls[0]
                started = time.perf_counter()
                engine.match(question)
                elapsed = (time.perf_counter() - started) * 1000
                samples[calls[0] > before].append(elapsed)
    finally:
        reading.words = words  # type: ignore[assignment]
    lines = ["| questions | n | p50 ms | p99 ms |", "|---|---|---|---|"]
    for needed, name in ((False, "need no reading"), (True, "read by the analyser (IME repair)")):
        times = sorted(samples[needed])
        if times:
            p99 = times[int(len(times) * 0.99)]
            lines.append(
                f"| {name} | {len(times) // rounds} | {statistics.median(times):.3f} | {p99:.3f} |"
            )
    return "\n".join(lines)
