"""The benchmark's numbers: statistics per method and per pair, chance level, cost.

Every statistic is one of ``common.evaluation.statistics`` (docs/methods.md §9.2), computed from the
fold records the runner stored (``statistics.from_records``), never re-derived here:

- per method and scope ("all" and each database of the track): the pooled UF1/UAR (predictions of
  all folds together, the MEGC rule; with several seeds, the mean over seeds of each seed's pooled
  score) and the fold mean (mean of per-fold scores), both labelled; the 95 % interval by a
  bootstrap over subjects (over subjects x seeds, crossed, with several seeds); per-seed scores
  and their standard deviation; the label-permutation p-value of each seed against chance;
- every pair of methods: the paired difference of the pooled score, its paired-bootstrap
  interval, the paired permutation p-value over subjects and the Benjamini-Hochberg adjusted p;
- the track's chance level per scope: a label-permutation null (the predictor answers a random
  permutation of the track's own labels), its mean and 95 % band;
- for the report's pages: each method's confusion matrix on every scope (``confusion_by_scope``, summed over
  seeds), each fold's own scores (``per_fold``, the mean over seeds) and the training curves of its folds
  (``curves``: ``common.evaluation.curves.training_curves`` over every seed's records).

Paired statistics need every run on the same samples: when a fold failed or diverged in one run,
its samples leave every run of the comparison (``statistics.common_samples``) and the count is
recorded (``left_out``). A scope with fewer than two subjects gets its scores but no interval.

The epoch-selection gauge of each run (``common.evaluation.epoch_selection``, in its results.json) is
carried as the run computed it: the leaderboard's ``best_epoch_per_fold_*`` and ``best_single_epoch_*``
columns (estimate, interval, inflation over the run's own score and its paired interval), "n/a" with the
reason for a method without epochs.

Cost, from the same run's fold records: trainable parameters (``parameters``), seconds per fold
(``seconds``: the wall time of ``run_fold``; ``extra.timing.fit_seconds`` when the paper records it),
inference milliseconds per clip (``extra.timing.predict_ms_per_clip``), preprocessing seconds per
clip computed (first pass) and read from the cache (``cache``: per stage, seconds / entries, summed
over stages), peak resident memory (``max_rss_mb``, the process's peak, which never decreases).
"""
from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common import progress
from common.config import profile_label
from common.errors import first_few
from common.datasets.released import corpus_label
from common.evaluation import metrics
from common.evaluation.curves import training_curves
from common.evaluation import statistics as st
from common.evaluation.epoch_selection import SELECTIONS as GAUGE_SELECTIONS
from common.evaluation.records import NOT_SCORED_STATUSES
from common.reporting.tables import partial_note, write_csv

logger = logging.getLogger(__name__)
DEFAULT_RESAMPLES = st.DEFAULT_RESAMPLES
METRICS = ("uf1", "uar")
LEVEL = 0.95


class Ticker:
    """A long step's progress lines: ``tick(what)`` after each part logs ``<label>: <what>, <elapsed> elapsed`` when
    ``common.progress.PROGRESS_EVERY`` seconds have passed since the last line (or the start), and nothing
    otherwise."""

    def __init__(self, label: str, every: float | None = None, clock: Callable[[], float] = time.perf_counter):
        self.label = label
        self.ticker = progress.Ticker(every, clock)

    def tick(self, what: str) -> None:
        elapsed = self.ticker.due()
        if elapsed is not None:
            logger.info(f"{self.label}: {what}, {progress.duration(elapsed)} elapsed")


NOTHING_SCORED = "no fold was scored: no statistics"


def _runs(method_run) -> tuple[list[st.Predictions], str]:
    """One :class:`statistics.Predictions` per seed of a method (scored folds only) and ``""``; or ``([], why)`` when
    a seed scored no fold: statistics over seeds are computed on the clips every seed predicted
    (``statistics.common_samples``), of which such a seed leaves none."""
    out, empty = [], []
    for seed, res in zip(method_run.seeds, method_run.runs):
        try:
            out.append(st.from_records(res.records, source=f"{method_run.method.name} seed {seed}"))
        except ValueError:  # no scored prediction at all in this run
            empty.append(seed)
    if not empty:
        return out, ""
    if len(empty) == len(method_run.seeds):
        return [], NOTHING_SCORED
    return [], (f"seed{'s' if len(empty) > 1 else ''} {', '.join(str(s) for s in empty)} of "
                f"{len(method_run.seeds)} scored no fold: statistics over seeds are on the clips every seed "
                "predicted, so there are none")


def scope_entry(runs: list[st.Predictions], k: int, scope: str, n_resamples: int, seed: int) -> dict[str, Any]:
    """``{metric: {...}}`` of one scope, an interval when the scope has two subjects or more."""
    scoped = [st.select(r, scope) for r in runs]
    n_subjects = len(st.subject_units(scoped[0])[1])
    if n_subjects >= 2:
        described = st.describe(scoped, k, METRICS, scopes=["all"], n_resamples=n_resamples, level=LEVEL, seed=seed)
        entry = {}
        for metric, values in described["all"].items():
            values = dict(values)
            values["interval"] = {**values["interval"], "scope": scope}
            entry[metric] = values
    else:
        entry = {}
        for metric in METRICS:
            per_seed = [st.pooled_score(r, k, metric) for r in scoped]
            fold_mean = (float(np.mean([st.fold_mean_score(r, k, metric) for r in scoped]))
                         if all(r.folds is not None for r in scoped) else None)
            entry[metric] = {"pooled": float(np.mean(per_seed)), "fold_mean": fold_mean, "interval": None,
                             "n": len(scoped[0]), "n_subjects": n_subjects, "n_runs": len(scoped),
                             "per_seed": per_seed,
                             "seed_std": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else None,
                             "note": "one subject: no interval"}
    for values in entry.values():
        values["aggregation"] = "pooled over folds" + (", mean over seeds" if len(scoped) > 1 else "")
    return entry


def _present(runs: list[st.Predictions], scope: str) -> bool:
    return scope == "all" or bool(np.any(runs[0].datasets == scope))


def analyse(track, method_runs: Sequence[Any], *, n_resamples: int = DEFAULT_RESAMPLES,
            seed: int = 0) -> dict[str, Any]:
    """The statistics of every method (``MethodRun``) on ``track``: ``{"json": JSON-ready dict}``
    with ``methods`` (per method: ``scores`` {scope: {metric: ...}}, ``left_out``, ``vs_chance``,
    ``confusion``), ``pairwise`` {metric: matrices}, ``chance`` {scope: {metric: ...}} and
    ``settings`` (resamples, level, seed, unit). Logs where it is at most every ``common.progress.PROGRESS_EVERY`` s
    between its parts (:class:`Ticker`)."""
    k = len(track.class_names)
    methods: dict[str, Any] = {}
    aligned: dict[str, list[st.Predictions]] = {}
    ticker = Ticker(f"[benchmark {track.name}] statistics")
    for done, m in enumerate(method_runs):
        if done:
            ticker.tick(f"{done} of {len(method_runs)} methods' intervals and chance tests")
        name = m.method.name
        runs, why = _runs(m)
        if not runs:
            methods[name] = {"scores": {}, "left_out": None, "vs_chance": {}, "confusion": None,
                             "confusion_by_scope": {}, "per_fold": per_fold(m.runs),
                             "curves": training_curves([r for res in m.runs for r in res.records]),
                             "note": why}
            continue
        runs, left_out = st.common_samples(runs)
        aligned[name] = runs
        scores = {scope: scope_entry(runs, k, scope, n_resamples, seed)
                  for scope in track.scopes if _present(runs, scope)}
        vs_chance = {metric: [st.chance_level(r, k, metric, against="predictions", n_permutations=n_resamples,
                                              seed=seed).p_value for r in runs] for metric in METRICS}
        # one matrix per seed, summed (runs is never empty here); every scope's too
        confusion = np.sum([metrics.confusion(r.y_true, r.y_pred, k) for r in runs], axis=0)
        by_scope = {scope: np.sum([metrics.confusion(p.y_true, p.y_pred, k)
                                   for p in [st.select(r, scope) for r in runs]], axis=0).tolist()
                    for scope in track.scopes if _present(runs, scope)}
        methods[name] = {"scores": scores, "left_out": left_out, "vs_chance": vs_chance,
                         "confusion": np.asarray(confusion).tolist(), "confusion_by_scope": by_scope,
                         "n_runs": len(runs), "per_fold": per_fold(m.runs),
                         "curves": training_curves([r for res in m.runs for r in res.records]),
                         "note": (f"{left_out} sample(s) not predicted in every seed (a fold failed or diverged) "
                                  "are left out of these statistics") if left_out else ""}
    pairwise: dict[str, Any] = {}
    pair_note = ""
    if len(aligned) >= 2:
        names = list(aligned)
        everything, left_out = st.common_samples([r for n in names for r in aligned[n]])
        per_method = len(aligned[names[0]])
        joint = {n: everything[i * per_method:(i + 1) * per_method] for i, n in enumerate(names)}
        if left_out:
            pair_note = f"{left_out} sample(s) not predicted by every method and seed are left out of the comparisons"
        if len(st.subject_units(everything[0])[1]) >= 2:
            for metric in METRICS:
                ticker.tick(f"every method's intervals done, now the paired comparisons of {len(names)} methods "
                            f"on {metric.upper()}")
                matrix = st.pairwise(joint, k, metric, "all", n_resamples=n_resamples, n_permutations=n_resamples,
                                     level=LEVEL, seed=seed)
                # each pair's p at the least its random permutations give: a bound (statistics.p_text)
                at_floor = [[False] * len(names) for _ in names]
                for (a, b), c in matrix["comparisons"].items():
                    at_floor[names.index(a)][names.index(b)] = at_floor[names.index(b)][names.index(a)] = c.at_floor
                pairwise[metric] = {"methods": matrix["methods"], "metric": metric, "scope": "all",
                                    **{key: np.asarray(matrix[key]).tolist()
                                       for key in ("difference", "low", "high", "p_value", "p_adjusted")},
                                    "n": len(everything[0]), "n_subjects": len(st.subject_units(everything[0])[1]),
                                    "n_runs": per_method, "left_out": left_out, "p_at_floor": at_floor,
                                    "meaning": "row minus column, pooled over folds (mean over seeds); paired "
                                               "bootstrap interval over subjects; two-sided paired permutation p "
                                               "over subjects; p_adjusted: Benjamini-Hochberg over the pairs"}
        else:
            pair_note = "fewer than two subjects: no paired comparison"
    chance: dict[str, Any] = {}
    if aligned:
        ticker.tick("the paired comparisons done, now the chance level of each scope")
        reference = next(iter(aligned.values()))[0]
        for scope in track.scopes:
            if _present([reference], scope):
                chance[scope] = {metric: st.chance_level(reference, k, metric, scope, against="labels",
                                                         n_permutations=n_resamples, level=LEVEL, seed=seed).to_dict()
                                 for metric in METRICS}
    return {"json": {"methods": methods, "pairwise": pairwise, "pairwise_note": pair_note, "chance": chance,
                     "settings": {"n_resamples": n_resamples, "level": LEVEL, "seed": seed, "interval": "percentile",
                                  "unit": "subject (dataset/subject); with several seeds, subjects x seeds crossed",
                                  "chance": "label permutation over the scope's test samples (the track's class "
                                            "balance); mean and 95% band"}}}


def per_fold(runs: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Each fold's (each subject's, under LOSO) scores on its own test clips, as each seed's run scored them
    (``results.json``'s ``metrics.per_fold``, scope "all"): ``{fold: {"n", "uf1", "accuracy", "status"}}``, the
    mean over the seeds that scored the fold (``seeds``: how many), the first seed's status where none did."""
    out: dict[str, dict[str, Any]] = {}
    for res in runs:
        scored = res.summary.get("metrics", {}).get("per_fold", {})
        for fold in res.summary.get("folds", []):
            entry = out.setdefault(fold["name"], {"n": fold.get("n_test"), "status": fold["status"], "uf1": [],
                                                  "accuracy": []})
            values = (scored.get(fold["name"]) or {}).get("all") or {}
            for metric in ("uf1", "accuracy"):
                if values.get(metric) is not None and math.isfinite(values[metric]):
                    entry[metric].append(float(values[metric]))
    for entry in out.values():
        entry["seeds"] = len(entry["uf1"])
        for metric in ("uf1", "accuracy"):
            entry[metric] = float(np.mean(entry[metric])) if entry[metric] else None
    return out


def _mean(values: Sequence[float | None]) -> float | None:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(np.mean(finite)) if finite else None


def cost(runs: Sequence[Any]) -> dict[str, Any]:
    """A method's cost from its runs' fold records (scored folds; every seed): see the module docstring."""
    records = [r for res in runs for r in res.records if r.get("status") == "ok"]
    parameters = next((dict(r["parameters"]) for r in records if r.get("parameters")), {})
    timing = [r.get("extra", {}).get("timing") or {} for r in records]
    stages: dict[str, dict[str, float]] = {}
    for r in records:
        for stage, values in (r.get("cache") or {}).items():
            total = stages.setdefault(stage, {"hits": 0, "misses": 0, "compute_seconds": 0.0, "read_seconds": 0.0})
            for key in total:
                total[key] += values.get(key, 0)
    first_pass = [v["compute_seconds"] / v["misses"] for v in stages.values() if v["misses"]]
    cached = [v["read_seconds"] / v["hits"] for v in stages.values() if v["hits"]]
    rss = [r.get("max_rss_mb") for r in records if r.get("max_rss_mb") is not None]
    clips = sum(r.get("n_train", 0) + r.get("n_test", 0) for r in records)
    return {
        "parameters": parameters, "parameters_total": int(sum(parameters.values())) if parameters else None,
        "folds": len(records),
        "fold_seconds": _mean([r.get("seconds") for r in records]),
        "fit_seconds": _mean([t.get("fit_seconds") for t in timing]),
        "inputs_seconds_per_clip": (sum(t.get("inputs_seconds", 0) for t in timing) / clips
                                    if clips and any("inputs_seconds" in t for t in timing) else None),
        "predict_ms_per_clip": _mean([t.get("predict_ms_per_clip") for t in timing]),
        "preprocess_seconds_per_clip_first": float(sum(first_pass)) if first_pass else None,
        "preprocess_seconds_per_clip_cached": float(sum(cached)) if cached else None,
        "cache_stages": stages,
        "peak_rss_mb": max(rss) if rss else None,
        "meaning": {"folds": "scored fold runs, every seed's counted (68 folds of 3 seeds: 204)",
                    "fold_seconds": "mean wall seconds of run_fold per scored fold (inputs, training, prediction)",
                    "fit_seconds": "mean training seconds per fold (extra.timing.fit_seconds)",
                    "predict_ms_per_clip": "inference milliseconds per test clip, batched (extra.timing)",
                    "preprocess_seconds_per_clip_first": "seconds per clip computing the cached preprocessing "
                                                         "stages (first pass), each stage's own seconds summed over "
                                                         "stages",
                    "preprocess_seconds_per_clip_cached": "seconds per clip reading them from the cache",
                    "peak_rss_mb": "peak resident memory of the process (MiB) when the method's folds finished; "
                                   "never decreases, so it includes the methods run before in the same process"},
    }


def score_text(values: Mapping[str, Any] | None, digits: int = 3, sd: bool = True) -> str:
    """``0.812 [0.701, 0.905]`` (pooled and its interval), ``0.812`` without one, ``–`` without a score;
    with several seeds and ``sd``, `` ±0.012sd`` (standard deviation of the pooled score over seeds)."""
    if not values or values.get("pooled") is None:
        return "–"
    text = f"{values['pooled']:.{digits}f}"
    interval = values.get("interval")
    if interval and interval.get("low") is not None:
        text += f" [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]"
    if sd and values.get("seed_std") is not None:
        text += f" ±{values['seed_std']:.{digits}f}sd"
    return text


LEADERBOARD_COLUMNS = ("rank", "method", "paper", "model", "track", "profile", "corpus", "folds", "kind", "scope",
                       "aggregation", "interval",
                       "uf1", "uf1_low", "uf1_high", "uar", "uar_low", "uar_high", "uf1_fold_mean", "uar_fold_mean",
                       "uf1_seed_std", "uar_seed_std", "n_samples", "n_subjects", "seeds", "paper_uf1", "paper_uar",
                       "paper_comparable", "paper_note", "recomputed_uf1", "recomputed_uar", "recomputed_note",
                       "parameters", "fold_seconds", "fit_seconds", "predict_ms_per_clip",
                       "preprocess_s_per_clip_first", "preprocess_s_per_clip_cached", "peak_rss_mb", "source",
                       "selects_on_test", "selection_source",
                       *[f"{selection}_{metric}{part}" for selection in GAUGE_SELECTIONS for metric in METRICS
                         for part in ("", "_low", "_high", "_inflation", "_inflation_low", "_inflation_high")],
                       "epoch_selection_note")

# The published rows whose authors' code picks each test fold's best epoch on that fold (Reference.selects_on_test
# "yes"): drawn in a block of their own, below the others, with this sentence (docs/methods.md §9.4).
TEST_SELECTED = "selects on test data"
RUN = "run by us"  # a method trained here under the track's protocol
# --weights: the authors' released per-fold weights evaluated here on the track's folds; nothing trained
RELEASED_WEIGHTS = "run by us with the authors' released weights (not trained here)"
# A run row's name wherever its scores are shown: the authors' released weights evaluated here (--weights) are not a
# training of ours, and a run whose seeds predict with what their test data picked is not a held-out score.
WEIGHTS_MARK = "(authors' weights, not trained)"
TEST_SELECTED_MARK = "(test-selected)"
CITE_HONEST = ("Rows that select on test data kept, for each left-out subject, the epoch with the best score on that "
               "subject's test clips (docs/methods.md §9.4): the test labels chose the number, so it overstates what "
               "the method does on unseen data; cite the honest number, whose epoch or model was fixed without "
               "looking at the test fold.")


def gauge_value(method: Mapping[str, Any], selection: str, scope: str, metric: str) -> dict[str, Any] | None:
    """A run row's epoch-selection value (``common.evaluation.epoch_selection``): the one seed's estimate,
    interval and inflation; with several seeds, the means over seeds of the estimate and the inflation (no
    interval); None where the gauge is n/a or the scope has no value."""
    gauges = method.get("epoch_selection") or []
    values = [(g.get("selections", {}).get(selection, {}).get("scopes", {}).get(scope) or {}).get(metric)
              if g.get("status") == "measured" else None for g in gauges]
    found = [v for v in values if v is not None]
    if not found or len(found) < len(values):
        return None
    if len(found) == 1:
        return dict(found[0])
    return {"estimate": float(np.mean([v["estimate"] for v in found])), "low": None, "high": None,
            "inflation": float(np.mean([v["inflation"] for v in found])), "inflation_low": None,
            "inflation_high": None, "seeds": len(values)}


def gauge_note(method: Mapping[str, Any]) -> str:
    """Why a run row has no epoch-selection values (each seed's reason, said once), or ``""``."""
    gauges = method.get("epoch_selection") or [{"status": "n/a", "reason": "not computed"}]
    reasons = [g.get("reason") or "not computed" for g in gauges if g.get("status") != "measured"]
    return "n/a: " + "; ".join(dict.fromkeys(reasons)) if reasons else ""


def test_selected(reference: Mapping[str, Any]) -> bool:
    """Whether a published row (``Reference.to_dict()``) selects on test data."""
    return reference.get("selects_on_test") == "yes"


def run_selected_on_test(method: Mapping[str, Any]) -> str:
    """What a run row's seeds predict with where it was picked on their test data (each seed's results.json
    ``selected_on_test``, in ``runs``), each once: "" where no seed's was (the last epoch, or the protocol's
    held-out choice)."""
    runs = [r for r in method.get("runs") or [] if isinstance(r, Mapping)]
    return "; ".join(dict.fromkeys(str(r["selected_on_test"]) for r in runs if r.get("selected_on_test")))


def method_marks(method: Mapping[str, Any], selection: bool = True) -> list[str]:
    """What a run row's name carries wherever its scores are shown: :data:`WEIGHTS_MARK` for the authors' released
    weights (``weights``: ``--weights``, nothing trained here), :data:`TEST_SELECTED_MARK` where a seed predicts
    with what its test data picked (:func:`run_selected_on_test`; ``selection=False`` where a column says it)."""
    marks = [WEIGHTS_MARK] if method.get("weights") else []
    if selection and run_selected_on_test(method):
        marks.append(TEST_SELECTED_MARK)
    return marks


def method_label(method: Mapping[str, Any], selection: bool = True) -> str:
    """A run row's name followed by its :func:`method_marks`: "wang2024 (authors' weights, not trained)"."""
    return " ".join([str(method["name"]), *method_marks(method, selection)])


def not_comparable(reported: Sequence[Mapping[str, Any]], scope: str) -> list[Mapping[str, Any]]:
    """The paper's pooled UF1 / UAR on ``scope`` (a run row's ``reported``) that measure something else than our
    run (``Reported.comparable`` False, e.g. HTNet's, selected on its test data; ``note`` says what): shown
    beside ours, never differenced. A results.json from before ``comparable`` was kept counts every number
    comparable."""
    return [r for r in reported if r["scope"] == scope and r["aggregation"] == "pooled" and r["metric"] in METRICS
            and r.get("comparable") is False]


def pooled_uf1(method: Mapping[str, Any]) -> float | None:
    """A method's pooled UF1 on "all", the leaderboard's ranking key; None without one."""
    return (((method.get("scores") or {}).get("all") or {}).get("uf1") or {}).get("pooled")


def scored_folds(method: Mapping[str, Any]) -> set[tuple[int, str]]:
    """``(seed, fold)`` of every fold a method (``results.json``'s ``methods`` entry) scored, from its ``runs``."""
    return {(run.get("seed"), fold["name"]) for run in method.get("runs") or []
            for fold in run.get("folds") or [] if fold.get("status") == "ok"}


def missing_folds(method: Mapping[str, Any], methods: Sequence[Mapping[str, Any]]) -> set[tuple[int, str]]:
    """``(seed, fold)`` that another of ``methods`` scored and ``method`` did not (it failed, diverged or was
    refused there): its numbers are then on other clips than theirs. A fold no method scored (refused for all,
    as a training part of one class is) leaves every method on the same clips and is not missing."""
    return set().union(*(scored_folds(m) for m in methods)) - scored_folds(method)


def by_uf1(methods: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``methods`` in the leaderboard's order: by pooled UF1 on "all", highest first (a UF1 of 0 among them), then
    those without a score."""
    def key(method: Mapping[str, Any]) -> tuple[bool, float]:
        value = pooled_uf1(method)
        return value is None, -(value or 0.0)
    return sorted(methods, key=key)


def ranks(methods: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """Each method's rank by pooled UF1 on "all": one plus the number of ranked methods scoring strictly more, so
    that tied methods share a rank (1, 1, 3), as no order between them is measured; None for a method without a
    score, and for one that misses a fold another scored (:func:`missing_folds`): its pooled score is on fewer
    clips, so no order between it and the complete ones is measured either (its row says how many it scored)."""
    values = [None if missing_folds(m, methods) else pooled_uf1(m) for m in methods]
    scored = [v for v in values if v is not None]
    return [None if v is None else 1 + sum(other > v for other in scored) for v in values]


def folds_text(summary: Mapping[str, Any]) -> str | None:
    """The folds a run row's numbers come from: "68 of 68", or with ``--max-folds`` "2 of 68 (partial run: 2 of 68
    folds, not comparable with published rows)", as the PDF marks such a run; None when the summary does not say."""
    run, total = summary.get("n_folds"), summary.get("n_folds_protocol")
    if run is None:
        return None
    if total is None and summary.get("max_folds"):  # a results.json from before the protocol's count was kept
        return f"the first {run} (--max-folds; partial run, not comparable with published rows)"
    note = partial_note(int(run), total)
    return f"{run} of {total or run}" + (f" ({note})" if note else "")


def partial(summary: Mapping[str, Any]) -> str:
    """"partial run: N of M folds, not comparable with published rows" where ``--max-folds`` cut the track's
    folds (``n_folds_protocol``: the track's own count), "" for a whole run."""
    total, run = summary.get("n_folds_protocol"), summary.get("n_folds")
    if run is None:
        return ""
    if total is None and summary.get("max_folds"):  # a results.json from before the count was kept
        return f"partial run: the first {run} folds only (--max-folds), not comparable with published rows"
    return partial_note(int(run), total)


def lost_folds(method: Mapping[str, Any]) -> list[str]:
    """The folds some seed of a benchmark method (``results.json``'s ``methods`` entry) did not score (failed,
    diverged or refused), in name order: their clips are in none of its numbers (the seeds' common clips)."""
    return sorted({str(fold.get("name")) for run in method.get("runs") or [] if isinstance(run, Mapping)
                   for fold in run.get("folds") or [] if isinstance(fold, Mapping)
                   and fold.get("status") in NOT_SCORED_STATUSES})


def method_partial(summary: Mapping[str, Any], method: Mapping[str, Any]) -> str:
    """Why a benchmark method's numbers are not on the track's every clip, as the site marks it: the folds
    ``--max-folds`` cut (:func:`partial`) and those not scored in every seed (:func:`lost_folds`); "" for none."""
    lost = lost_folds(method)
    return "; ".join(filter(None, [partial(summary), (
        f"fold(s) not scored in every seed (failed, diverged or refused): {first_few(lost, 5)}; their clips are not "
        "in these numbers") if lost else ""]))


def method_folds_text(summary: Mapping[str, Any], method: Mapping[str, Any]) -> str | None:
    """A run row's :func:`folds_text`, led, where some of the method's folds were not scored in every seed (failed,
    diverged or refused), by how many it scored: "2 of 3 scored (1 not scored: ...); 3 of 68 (partial ...)"."""
    whole = folds_text(summary)
    lost = lost_folds(method)
    run = summary.get("n_folds")
    if not lost or run is None:
        return whole
    return (f"{int(run) - len(lost)} of {run} scored ({len(lost)} not scored in every seed: failed, diverged or "
            "refused; their clips are not in this row's numbers)" + (f"; {whole}" if whole else ""))


def interval_text(summary: Mapping[str, Any], values: Mapping[str, Any], seeds: int) -> str | None:
    """What a run row's ``*_low``/``*_high`` are (the settings of ``analyse``), or why the row has none."""
    if not values.get("interval"):
        return values.get("note") or None
    settings = (summary.get("statistics") or {}).get("settings") or {}
    level, resamples, seed = settings.get("level", LEVEL), settings.get("n_resamples"), settings.get("seed")
    unit = "subjects x seeds (crossed)" if seeds > 1 else "subjects"
    return (f"{int(round(100 * level))}% {settings.get('interval', 'percentile')} bootstrap over {unit}"
            + (f", {resamples} resamples" if resamples is not None else "")
            + (f", seed {seed}" if seed is not None else ""))


def leaderboard_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The leaderboard: one row per method x scope (ranked by pooled UF1 on "all", ties sharing a rank:
    :func:`ranks`), then the
    published reference rows (kind ``published, not run by us``; ``paper``: the registry id that runs
    the same method here, if one does; where that method is among this benchmark's runs, kind
    ``published; our run of it: ID``, as the PDF's "published (run above)"): first those not known to
    select on test data, then, apart, those that do (kind ending ``; selects on test data``; see
    :data:`CITE_HONEST`). ``selects_on_test`` / ``selection_source``: each published row's selection
    practice and where it was read (``Reference``); on a run row "yes" with what its seeds predict with
    (:func:`run_selected_on_test`), or "no".

    Every run row says what its numbers are: ``track``, ``profile``, ``corpus``, ``folds`` (:func:`folds_text`: a
    ``--max-folds`` run is marked partial, as in the PDF; :func:`method_folds_text`: a method with folds not scored
    says how many it scored, and is unranked where another scored them), ``aggregation`` and ``interval``
    (:func:`interval_text`: the bootstrap's level, method, unit, resamples and seed, or why the row has none). A
    method none of whose folds was scored keeps one row, scope "all", without scores or rank.

    ``recomputed_uf1``/``recomputed_uar`` (with ``recomputed_note``): where the authors' own artefact does not
    give a published number, the value it gives: on a run row, of ``paper_uf1``/``paper_uar``
    (``Reported.recomputed``); on a published row, of ``uf1``/``uar`` (``Reference.recomputed``). Empty otherwise.

    ``paper_uf1``/``paper_uar``: the paper's own pooled numbers on the scope; on a ``--weights`` row (kind
    :data:`RELEASED_WEIGHTS`) the numbers the weights' source states for them (``Experiment.weights_reported``).
    ``paper_comparable``: "no" where one of them measures something else than our run (``Reported.comparable``
    False: HTNet's, each subject's best test epoch), ``paper_note`` saying what; "yes" otherwise; empty without a
    paper number. ``selects_on_test`` on a run row is our run's practice, not the paper's number's."""
    corpus = corpus_label(summary["corpus"])  # "real", "SYNTHETIC", or "real, <the released inputs>", as the PDF
    track = (summary.get("track") or {}).get("name")
    methods = by_uf1(summary["methods"])
    rows = []
    for rank, m in zip(ranks(methods), methods):
        pooled = [r for r in m["reported"] if r["aggregation"] == "pooled"]
        reported = {(r["metric"], r["scope"]): r["value"] for r in pooled}
        audited = [r for r in pooled if r.get("recomputed") is not None]
        recomputed = {(r["metric"], r["scope"]): r["recomputed"] for r in audited}
        why = {(r["metric"], r["scope"]): r.get("recomputed_note") or "" for r in audited}
        c = m["cost"]
        folds = method_folds_text(summary, m)
        chosen = run_selected_on_test(m)
        shown = {scope for (metric, scope) in reported if metric in METRICS}  # scopes with a paper UF1 / UAR
        # a method none of whose folds was scored keeps one row (no score, no rank), as the PDF lists it
        for scope, values in m["scores"].items() or [("all", {"uf1": {"note": m.get("note") or NOTHING_SCORED}})]:
            uf1, uar = values.get("uf1", {}), values.get("uar", {})
            unlike = not_comparable(m["reported"], scope)
            row = {"rank": rank, "method": m["name"], "paper": m["paper"], "model": m["model"], "track": track,
                   "profile": profile_label(m["profile"], summary.get("overrides")), "corpus": corpus, "folds": folds,
                   "kind": RELEASED_WEIGHTS if m.get("weights") else RUN, "scope": scope,
                   "aggregation": uf1.get("aggregation"), "interval": interval_text(summary, uf1, len(m["seeds"])),
                   "n_samples": uf1.get("n"),
                   "n_subjects": uf1.get("n_subjects"), "seeds": len(m["seeds"]),
                   "paper_uf1": reported.get(("uf1", scope)), "paper_uar": reported.get(("uar", scope)),
                   "paper_comparable": ("no" if unlike else "yes") if scope in shown else None,
                   "paper_note": " ".join(dict.fromkeys(r["note"] for r in unlike if r.get("note"))) or None,
                   "recomputed_uf1": recomputed.get(("uf1", scope)), "recomputed_uar": recomputed.get(("uar", scope)),
                   "recomputed_note": " ".join(dict.fromkeys(why.get((k, scope), "") for k in ("uf1", "uar")
                                                             if why.get((k, scope)))) or None,
                   "parameters": c["parameters_total"], "fold_seconds": c["fold_seconds"],
                   "fit_seconds": c["fit_seconds"], "predict_ms_per_clip": c["predict_ms_per_clip"],
                   "preprocess_s_per_clip_first": c["preprocess_seconds_per_clip_first"],
                   "preprocess_s_per_clip_cached": c["preprocess_seconds_per_clip_cached"],
                   "peak_rss_mb": c["peak_rss_mb"], "source": "; ".join(sorted({r["source"] for r in m["reported"]})),
                   "selects_on_test": "yes" if chosen else "no", "selection_source": chosen or None}
            for metric, v in (("uf1", uf1), ("uar", uar)):
                interval = v.get("interval") or {}
                row.update({metric: v.get("pooled"), f"{metric}_low": interval.get("low"),
                            f"{metric}_high": interval.get("high"), f"{metric}_fold_mean": v.get("fold_mean"),
                            f"{metric}_seed_std": v.get("seed_std")})
                for selection in GAUGE_SELECTIONS:
                    gauge = gauge_value(m, selection, scope, metric) or {}
                    row.update({f"{selection}_{metric}": gauge.get("estimate"),
                                **{f"{selection}_{metric}_{part}": gauge.get(part)
                                   for part in ("low", "high", "inflation", "inflation_low", "inflation_high")}})
            row["epoch_selection_note"] = gauge_note(m) or None
            rows.append(row)
    run_papers = {m["paper"] for m in summary["methods"]}
    references = list(summary.get("references", []))
    for reference in [r for r in references if not test_selected(r)] + [r for r in references if test_selected(r)]:
        runs_as = reference.get("runs_as") or ""
        kind = f"published; our run of it: {runs_as}" if runs_as in run_papers else reference["kind"]
        kind += f"; {TEST_SELECTED}" if test_selected(reference) else ""
        for scope, values in reference["scores"].items():
            again = (reference.get("recomputed") or {}).get(scope) or {}
            rows.append({"method": reference["name"], "paper": runs_as, "track": track, "kind": kind, "scope": scope,
                         "aggregation": "as published", "uf1": values["uf1"], "uar": values["uar"],
                         "recomputed_uf1": again.get("uf1"), "recomputed_uar": again.get("uar"),
                         "recomputed_note": (reference.get("recomputed_note") or None) if again else None,
                         "source": f"{reference['source']} {reference['ref']}".strip(),
                         "selects_on_test": reference.get("selects_on_test") or "unknown",
                         "selection_source": reference.get("selection_source") or None})
    return rows


def write_leaderboard_csv(path: Path, summary: Mapping[str, Any]) -> Path:
    return write_csv(path, leaderboard_rows(summary), LEADERBOARD_COLUMNS)


def source_name(source: Mapping[str, Any]) -> str:
    """A scored file's name as the command gave it (``results.json``'s ``source.name``: a link's own name), or, in a
    score written before it was recorded, the name of the file read (``source.path``, links resolved)."""
    return str(source.get("name") or Path(str(source.get("path", ""))).name)
