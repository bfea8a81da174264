"""Benchmark statistics: intervals, paired tests and chance levels against hand-computed
values and brute-force loops on small arrays."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from common.evaluation import statistics as st
from common.evaluation.metrics import aggregate, confusion, scores
from common.evaluation.records import write_predictions_csv

# Two subjects of one database, three classes.
#   s1: y_true [0,0,1], A predicts [0,1,1] (UF1 alone: F1_0 = 2/3, F1_1 = 2/3, class 2 absent -> 2/3)
#   s2: y_true [1,2],   A predicts [1,2]   (perfect: 1)
# A pooled: F1_0 = 2/(2+0+1) = 2/3, F1_1 = 4/(4+1+0) = 4/5, F1_2 = 1 -> UF1 = 37/45; UAR = (1/2+1+1)/3 = 5/6
# B predicts s1 perfectly and s2 as [2,2] (alone: F1_1 = 0, F1_2 = 2/3 -> 1/3);
# B pooled: y_true [0,0,1,1,2], y_pred [0,0,1,2,2]: F1 1, 2/3, 2/3 -> UF1 = 7/9 = 35/45
Y_TRUE = [0, 0, 1, 1, 2]
SUBJECTS = ["s1", "s1", "s1", "s2", "s2"]
A = st.make_predictions(Y_TRUE, [0, 1, 1, 1, 2], SUBJECTS, ["d"] * 5, folds=SUBJECTS, source="A")
B = st.make_predictions(Y_TRUE, [0, 0, 1, 2, 2], SUBJECTS, ["d"] * 5, folds=SUBJECTS, source="B")


def test_pooled_and_fold_mean_by_hand():
    assert st.pooled_score(A, 3, "uf1") == pytest.approx(37 / 45)
    assert st.pooled_score(A, 3, "uar") == pytest.approx(5 / 6)
    assert st.pooled_score(B, 3, "uf1") == pytest.approx(7 / 9)
    # folds are the subjects here: mean of 2/3 and 1
    assert st.fold_mean_score(A, 3, "uf1") == pytest.approx(5 / 6)
    no_folds = st.make_predictions(Y_TRUE, Y_TRUE, SUBJECTS)
    with pytest.raises(ValueError, match="no fold names"):
        st.fold_mean_score(no_folds, 3)


def test_subject_bootstrap_of_two_subjects_by_hand():
    # Resamples: {s1,s1} (1/4) -> 2/3, {s1,s2} (1/2) -> 37/45, {s2,s2} (1/4) -> 1 (F1 ignores
    # duplication): each extreme holds 25 % > 2.5 %, so the 95 % percentile interval is [2/3, 1].
    interval = st.bootstrap_interval(A, 3, "uf1")
    assert interval.estimate == pytest.approx(37 / 45)
    assert (interval.low, interval.high) == pytest.approx((2 / 3, 1.0))
    assert interval.n_subjects == 2 and interval.n_runs == 1 and interval.n_resamples == 2000
    # exact bootstrap standard deviation of that three-point distribution
    values, weights = np.array([2 / 3, 37 / 45, 1.0]), np.array([0.25, 0.5, 0.25])
    exact_sd = np.sqrt(weights @ (values - weights @ values) ** 2)
    assert interval.standard_error == pytest.approx(exact_sd, rel=0.1)
    # seeded: the same numbers again
    assert st.bootstrap_interval(A, 3, "uf1") == interval


def _three_subjects():
    y_true = [0, 0, 1, 1, 2, 2, 0, 1]
    y_pred = [0, 1, 1, 1, 2, 0, 0, 2]
    subjects = ["a", "a", "a", "b", "b", "c", "c", "c"]
    return st.make_predictions(y_true, y_pred, subjects, ["d"] * 8, source="three")


def test_subject_bootstrap_against_full_enumeration():
    p = _three_subjects()
    units = {s: np.flatnonzero(p.subjects == s) for s in ("a", "b", "c")}
    exact = []  # all 27 equally likely resamples, scored by concatenating the drawn subjects' samples
    for draw in itertools.product("abc", repeat=3):
        idx = np.concatenate([units[s] for s in draw])
        exact.append(scores(p.y_true[idx], p.y_pred[idx], 3)["uf1"])
    exact = np.array(exact)
    interval = st.bootstrap_interval(p, 3, "uf1", seed=3)
    # every resample has mass 1/27 > 2.5 %: the percentile interval spans the enumeration exactly
    assert (interval.low, interval.high) == pytest.approx((exact.min(), exact.max()))
    assert interval.standard_error == pytest.approx(exact.std(), rel=0.1)


def test_subject_bootstrap_matches_a_brute_force_loop():
    rng = np.random.default_rng(5)
    subjects = np.repeat([f"s{i}" for i in range(12)], 5)
    y_true = rng.integers(0, 3, len(subjects))
    y_pred = np.where(rng.random(len(subjects)) < 0.6, y_true, rng.integers(0, 3, len(subjects)))
    p = st.make_predictions(y_true, y_pred, subjects, ["d"] * len(subjects))
    names = np.unique(subjects)
    loop = []
    for _ in range(1000):
        drawn = rng.choice(names, len(names), replace=True)
        idx = np.concatenate([np.flatnonzero(subjects == s) for s in drawn])
        loop.append(scores(y_true[idx], y_pred[idx], 3)["uar"])
    interval = st.bootstrap_interval(p, 3, "uar", n_resamples=1000)
    assert interval.low == pytest.approx(np.percentile(loop, 2.5), abs=0.03)
    assert interval.high == pytest.approx(np.percentile(loop, 97.5), abs=0.03)
    assert interval.low < interval.estimate < interval.high


def test_perfect_predictor_interval_is_exactly_one():
    p = _three_subjects()
    perfect = st.make_predictions(p.y_true, p.y_true, p.subjects, p.datasets)
    for metric in ("uf1", "uar"):
        interval = st.bootstrap_interval(perfect, 3, metric)
        assert (interval.estimate, interval.low, interval.high) == (1.0, 1.0, 1.0)
    # also with BCa, where scipy alone returns NaN for a constant bootstrap distribution
    interval = st.bootstrap_interval(perfect, 3, "uf1", method="BCa", n_resamples=200)
    assert (interval.low, interval.high) == (1.0, 1.0)


def test_per_database_scope_resamples_that_database_only():
    p = st.make_predictions([0, 1, 0, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["x", "x", "y", "z", "z", "z"],
                            ["casme2", "casme2", "samm", "samm", "samm", "samm"])
    interval = st.bootstrap_interval(p, 3, "uar", scope="samm")
    assert interval.n_subjects == 2 and interval.scope == "samm"
    assert interval.estimate == pytest.approx(scores([0, 1, 2, 2], [1, 1, 2, 0], 3)["uar"])
    # a database-qualified subject: the same name in two databases is two subjects
    twin = st.make_predictions([0, 1], [0, 1], ["s1", "s1"], ["casme2", "samm"])
    assert st.subject_units(twin)[1] == ["casme2/s1", "samm/s1"]
    with pytest.raises(ValueError, match="no sample of database 'smic'"):
        st.bootstrap_interval(p, 3, scope="smic")


def test_seeds_mean_std_and_crossed_interval_by_hand():
    # Seed 1 is A, seed 2 is B (same samples). Pooled UF1 37/45 and 35/45.
    summary = st.seed_summary([A, B], 3, "uf1")
    assert summary.per_seed == pytest.approx((37 / 45, 35 / 45))
    assert summary.mean == pytest.approx(36 / 45)
    assert summary.std == pytest.approx((2 / 45) / np.sqrt(2))
    # Crossed resamples (subjects x seeds): s1 only -> seed1 2/3, seed2 1; s2 only -> 1, 1/3;
    # both subjects -> 37/45, 35/45; seed draws {1,2} average them. Extremes 1/3 and 1 each hold
    # >= 1/16 of the mass, so the interval is [1/3, 1].
    interval = summary.interval
    assert interval.estimate == pytest.approx(36 / 45)
    assert (interval.low, interval.high) == pytest.approx((1 / 3, 1.0))
    assert interval.n_runs == 2 and "seeds" in interval.unit
    assert np.isnan(st.seed_summary([A], 3).std)


def test_describe_labels_every_number_per_scope():
    p = st.from_records(RECORDS)
    table = st.describe(p, 3, n_resamples=200)
    assert list(table) == ["all", "casme2", "samm"]
    reference = aggregate(RECORDS, 3, scopes=("all", "casme2", "samm"))
    for scope, row in table.items():
        for metric in ("uf1", "uar"):
            cell = row[metric]
            assert cell["pooled"] == pytest.approx(reference["pooled"][scope][metric])
            assert cell["fold_mean"] == pytest.approx(reference["fold_mean"][scope][metric])
            assert cell["interval"]["scope"] == scope and cell["interval"]["estimate"] == pytest.approx(cell["pooled"])
            assert cell["n_runs"] == 1 and cell["seed_std"] is None
    assert table["samm"]["uf1"]["n_subjects"] == 2 and table["all"]["uf1"]["n"] == 9
    seeds = st.describe([A, B], 3, ("uf1",), n_resamples=200)["all"]["uf1"]
    assert seeds["pooled"] == pytest.approx(36 / 45) and seeds["per_seed"] == pytest.approx([37 / 45, 35 / 45])
    assert seeds["fold_mean"] == pytest.approx((5 / 6 + (1 + 1 / 3) / 2) / 2)


def test_paired_comparison_with_itself_is_zero_with_p_one():
    p = _three_subjects()
    c = st.compare(p, p, 3, "uf1")
    assert (c.difference, c.low, c.high, c.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert c.exact_p  # 2^3 swap patterns <= 2000: enumerated


def test_paired_comparison_by_hand():
    c = st.compare(A, B, 3, "uf1", names=("A", "B"))
    assert c.difference == pytest.approx(2 / 45)
    # paired resamples: {s1,s1} -> 2/3 - 1 = -1/3, {s2,s2} -> 1 - 1/3 = 2/3, both -> 2/45
    assert (c.low, c.high) == pytest.approx((-1 / 3, 2 / 3))
    # swap patterns: none 2/45, both -2/45, s1 only 1 - 11/18 = 7/18, s2 only -7/18:
    # all four are at least as extreme as 2/45 -> p = 1
    assert c.p_value == pytest.approx(1.0)
    # perfect against always-wrong on three subjects: only "swap none" and "swap all" are as
    # extreme as the observed difference -> exact p = 2/8
    p = _three_subjects()
    perfect = st.make_predictions(p.y_true, p.y_true, p.subjects, p.datasets)
    wrong = st.make_predictions(p.y_true, (p.y_true + 1) % 3, p.subjects, p.datasets)
    c = st.compare(perfect, wrong, 3, "uf1")
    assert c.difference == pytest.approx(1.0)
    assert c.p_value == pytest.approx(2 / 8)


def test_paired_permutation_p_against_enumeration():
    p = _three_subjects()
    other = st.make_predictions(p.y_true, [1, 0, 1, 2, 2, 0, 1, 1], p.subjects, p.datasets)
    groups = {s: np.flatnonzero(p.subjects == s) for s in ("a", "b", "c")}
    observed = scores(p.y_true, p.y_pred, 3)["uf1"] - scores(p.y_true, other.y_pred, 3)["uf1"]
    null = []
    for swap in itertools.product([False, True], repeat=3):
        pa, pb = p.y_pred.copy(), other.y_pred.copy()
        for flip, idx in zip(swap, groups.values()):
            if flip:
                pa[idx], pb[idx] = other.y_pred[idx], p.y_pred[idx]
        null.append(scores(p.y_true, pa, 3)["uf1"] - scores(p.y_true, pb, 3)["uf1"])
    expected = np.mean(np.abs(null) >= abs(observed) - 1e-12)
    c = st.compare(p, other, 3, "uf1")
    assert c.difference == pytest.approx(observed)
    assert c.p_value == pytest.approx(expected)
    assert c.p_value == pytest.approx(0.5)  # 4 of the 8 swap patterns are as extreme


def test_pairwise_matrix():
    p = _three_subjects()
    methods = {"perfect": st.make_predictions(p.y_true, p.y_true, p.subjects, p.datasets), "mid": p,
               "wrong": st.make_predictions(p.y_true, (p.y_true + 1) % 3, p.subjects, p.datasets)}
    m = st.pairwise(methods, 3, "uf1", n_resamples=500)
    assert m["methods"] == ["perfect", "mid", "wrong"]
    d = m["difference"]
    assert np.allclose(d, -d.T) and np.all(np.diag(d) == 0)
    assert np.allclose(m["low"], -m["high"].T)
    assert np.allclose(m["p_value"], m["p_value"].T) and np.all(np.diag(m["p_value"]) == 1)
    assert np.all(m["p_adjusted"] >= m["p_value"] - 1e-12)
    single = st.compare(methods["perfect"], methods["wrong"], 3, "uf1", n_resamples=500)
    assert d[0, 2] == pytest.approx(single.difference) and m["p_value"][0, 2] == pytest.approx(single.p_value)
    assert (m["low"][0, 2], m["high"][0, 2]) == pytest.approx((single.low, single.high))
    assert m["comparisons"][("perfect", "wrong")].difference == pytest.approx(1.0)


def test_chance_level_by_hand():
    # y_true [0,0,1]; the null predictor is a permutation of it: identical (1/3) -> UF1 1,
    # otherwise (2/3) confusion [[1,1],[1,0]] -> F1 1/2 and 0 -> 1/4. Mean 1/2, band [1/4, 1].
    p = st.make_predictions([0, 0, 1], [0, 0, 0], ["a", "b", "c"])
    chance = st.chance_level(p, 2, "uf1")
    assert chance.mean == pytest.approx(0.5, abs=0.03)
    assert (chance.low, chance.high) == (0.25, 1.0)
    assert chance.observed is None


def test_shuffled_predictor_lies_inside_the_chance_band():
    rng = np.random.default_rng(11)
    y_true = rng.choice(3, 120, p=[0.55, 0.3, 0.15])
    subjects = np.repeat([f"s{i}" for i in range(20)], 6)
    shuffled = st.make_predictions(y_true, rng.permutation(y_true), subjects, ["d"] * 120)
    for metric in ("uf1", "uar"):
        chance = st.chance_level(shuffled, 3, metric)
        assert chance.low <= st.pooled_score(shuffled, 3, metric) <= chance.high
    # the null UAR of any predictor has mean 1/K
    assert st.chance_level(shuffled, 3, "uar").mean == pytest.approx(1 / 3, abs=0.01)
    perfect = st.make_predictions(y_true, y_true, subjects, ["d"] * 120)
    against = st.chance_level(perfect, 3, "uf1", against="predictions", n_permutations=500)
    assert against.observed == 1.0 and against.high < 1.0 and against.p_value == pytest.approx(1 / 501)


def test_chance_within_database_keeps_each_database_balance():
    # each database holds one class: permuting within a database changes nothing
    p = st.make_predictions([0, 0, 0, 1, 1, 1], [0] * 6, list("abcdef"), ["x"] * 3 + ["y"] * 3)
    within = st.chance_level(p, 2, "uf1", within="dataset", n_permutations=200)
    assert (within.mean, within.low, within.high) == (1.0, 1.0, 1.0)
    assert st.chance_level(p, 2, "uf1", within="all", n_permutations=200).mean < 0.9


def test_bad_input_raises_one_clear_value_error():
    with pytest.raises(ValueError, match="y_true has 3 entries but y_pred has 2"):
        st.make_predictions([0, 1, 2], [0, 1], ["a", "b", "c"])
    with pytest.raises(ValueError, match="subjects has 2"):
        st.make_predictions([0, 1, 2], [0, 1, 2], ["a", "b"])
    with pytest.raises(ValueError, match="no subject"):
        st.make_predictions([0, 1, 2], [0, 1, 2], ["a", "", "c"])
    with pytest.raises(ValueError, match="no subject"):
        st.make_predictions([0, 1], [0, 1], ["a", None])
    # a subject missing from one method
    shorter = st.make_predictions(Y_TRUE[:3], [0, 0, 1], SUBJECTS[:3], ["d"] * 3, source="C")
    with pytest.raises(ValueError, match=r"subjects only in A: \['d/s2'\]"):
        st.compare(A, shorter, 3)
    reordered = st.make_predictions(Y_TRUE[::-1], Y_TRUE[::-1], SUBJECTS, ["d"] * 5, source="R")
    with pytest.raises(ValueError, match="y_true differs first at row 0"):
        st.compare(A, reordered, 3)
    with pytest.raises(ValueError, match="same seeds"):
        st.compare([A, A], [B], 3)
    with pytest.raises(ValueError, match="at least two"):
        st.bootstrap_interval(st.make_predictions([0, 1], [0, 1], ["a", "a"]), 2)
    with pytest.raises(ValueError, match="metric="):
        st.bootstrap_interval(A, 3, "f1")
    with pytest.raises(ValueError, match="not among the classes"):
        st.bootstrap_interval(A, 2)


def test_confusions_equal_metrics_confusion():
    rng = np.random.default_rng(2)
    groups, t, p = rng.integers(0, 4, 50), rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    tables = st._confusions(groups, 4, t, p, 3)
    for g in range(4):
        assert np.array_equal(tables[g], confusion(t[groups == g], p[groups == g], 3))


def test_gather_sums_drawn_subjects_with_repetition():
    table = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)  # 2 runs, 3 subjects, 2x2 matrices
    pooled = st._gather(np.array([[0, 0, 1], [2, 2, 2]]), table)
    assert pooled.shape == (2, 2, 2, 2)  # (resamples, runs, K, K)
    for r in range(2):
        assert np.array_equal(pooled[0, r], 2 * table[r, 0] + table[r, 1])
        assert np.array_equal(pooled[1, r], 3 * table[r, 2])


# Fold records as the runner writes them (the toy of test_metrics, with subjects and a nan fold).
RECORDS = [
    {"fold": "A", "status": "ok", "y_true": [0, 0, 0, 0, 1, 2], "y_pred": [0, 0, 0, 1, 1, 0],
     "datasets": ["casme2", "casme2", "casme2", "samm", "samm", "samm"],
     "subjects": ["c1", "c1", "c2", "m1", "m1", "m2"]},
    {"fold": "B", "status": "ok", "y_true": [0, 1, 1], "y_pred": [0, 1, 2],
     "datasets": ["casme2", "casme2", "casme2"], "subjects": ["c3", "c3", "c3"]},
    {"fold": "C", "status": "nan", "y_true": [2, 2], "y_pred": [0, 0],
     "datasets": ["samm", "samm"], "subjects": ["m3", "m3"]},
]
for _r in RECORDS:
    _r.update(test_indices=list(range(len(_r["y_true"]))), keys=[f"{_r['fold']}{i}" for i in range(len(_r["y_true"]))],
              probabilities=None)


def test_records_and_csv_give_the_aggregate_scores(tmp_path):
    p = st.from_records(RECORDS)
    assert len(p) == 9 and "C" not in p.folds  # the diverged fold is left out, as in aggregate
    reference = aggregate(RECORDS, 3, scopes=("all", "samm"))
    for scope in ("all", "samm"):
        for metric in ("uf1", "uar"):
            assert st.pooled_score(p, 3, metric, scope) == pytest.approx(reference["pooled"][scope][metric])
            assert st.fold_mean_score(p, 3, metric, scope) == pytest.approx(reference["fold_mean"][scope][metric])
    assert len(st.from_records(RECORDS, nan_folds="include")) == 11
    path = tmp_path / "predictions.csv"
    write_predictions_csv(path, RECORDS, ("negative", "positive", "surprise"))
    read = st.read_predictions_csv(path)
    for field in ("y_true", "y_pred", "subjects", "datasets", "folds", "keys"):
        assert np.array_equal(getattr(read, field), getattr(p, field))
    assert len(st.read_predictions_csv(path, nan_folds="include")) == 11
    bad = tmp_path / "bad.csv"
    bad.write_text("fold,key,y_true,y_pred\nA,k,0,0\n")
    with pytest.raises(ValueError, match=r"bad.csv: columns \['dataset', 'subject', 'status'\] are missing"):
        st.read_predictions_csv(bad)
    broken = [dict(RECORDS[0], subjects=["c1"])]
    with pytest.raises(ValueError, match="fold 'A' has 6 predictions but 1 subjects"):
        st.from_records(broken)


@pytest.mark.parametrize("body, expected", [
    ("A,a1,casme2,s1,0,0,ok,extra\n", "line 2 holds more cells than the header"),
    ("," * (1 << 19) + "\n", "line 2 holds more than 262,144 characters"),
    ("A,a1,casme2,s1,0,0,ok\n" * 6, "more than 5 rows")])
def test_a_predictions_file_is_read_within_its_bounds(tmp_path, monkeypatch, body, expected):
    """--against, the site and the reproductions read predictions.csv files that may come from anyone: each line
    read no further than files.CSV_LINE_CHARS, no cells beyond the header (csv.DictReader keeps them under None),
    at most PREDICTION_ROWS rows (made small here) and PREDICTION_HEADER_CELLS columns."""
    monkeypatch.setattr(st, "PREDICTION_ROWS", 5)
    path = tmp_path / "theirs.csv"
    path.write_text(",".join(st.PREDICTION_COLUMNS) + "\n" + body)
    with pytest.raises(ValueError, match=rf"theirs.csv: cannot be read as predictions.csv \({expected}"):
        st.read_prediction_rows(path)
    path.write_text(",".join(f"c{i}" for i in range(st.PREDICTION_HEADER_CELLS + 1)) + "\n")
    with pytest.raises(ValueError, match=r"a header of more than 1,000 columns"):
        st.read_prediction_rows(path)


def test_the_label_permutation_null_scores_uf1_as_uar_draw_by_draw():
    """The track's chance line (``against="labels"``) answers a permutation of the true labels, so each class is
    predicted exactly as often as it is shown: F1_c = 2 TP_c / (N_c + N_c) = recall_c, and the null UF1 is the null
    UAR, mean 1/K however unbalanced the classes (docs/methods.md §9.2); a constant predictor is what scores less."""
    rng = np.random.default_rng(5)
    y_true = rng.choice(3, 150, p=[0.6, 0.3, 0.1])
    p = st.make_predictions(y_true, y_true, np.repeat([f"s{i}" for i in range(30)], 5), ["d"] * 150)
    uf1 = st.chance_level(p, 3, "uf1", n_permutations=3000)
    uar = st.chance_level(p, 3, "uar", n_permutations=3000)
    assert (uf1.mean, uf1.low, uf1.high) == (uar.mean, uar.low, uar.high)
    assert uf1.mean == pytest.approx(1 / 3, abs=0.01)
    majority = st.make_predictions(y_true, np.zeros(150, dtype=int), p.subjects, ["d"] * 150)
    assert st.pooled_score(majority, 3, "uf1") < uf1.low


def test_every_leaderboard_csv_row_says_its_track_folds_and_interval():
    """leaderboard.csv's run rows carry what the PDF's banner says of their numbers: the track, the folds (a
    ``--max-folds`` run marked partial, not comparable with published rows) and how the interval was computed; a
    scope of one subject says why it has none."""
    from common.leaderboard import summary as summary_module

    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))
    score = {"pooled": 0.6, "fold_mean": 0.6, "interval": {"low": 0.5, "high": 0.7}, "aggregation": "pooled over folds"}
    alone = {"pooled": 0.6, "fold_mean": 0.6, "interval": None, "note": "one subject: no interval"}
    method = {"name": "m", "paper": "m", "model": "x", "profile": "paper", "seeds": [0], "cost": cost,
              "reported": [], "scores": {"all": {"uf1": score, "uar": score}, "samm": {"uf1": alone, "uar": alone}}}
    summary = {"track": {"name": "megc2019", "scopes": ["all", "samm"]}, "corpus": {"kind": "real"},
               "n_folds": 2, "n_folds_protocol": 68, "max_folds": 2, "methods": [method], "references": [],
               "statistics": {"settings": {"n_resamples": 2000, "level": 0.95, "seed": 0, "interval": "percentile"}}}
    rows = summary_module.leaderboard_rows(summary)
    assert {"track", "folds", "interval"} <= set(summary_module.LEADERBOARD_COLUMNS)
    assert [r["track"] for r in rows] == ["megc2019", "megc2019"]
    assert rows[0]["corpus"] == "real"
    released = {"kind": "real", "inputs": "the authors' released flow images"}
    assert summary_module.leaderboard_rows({**summary, "corpus": released})[0]["corpus"] == (
        "real, the authors' released flow images")
    assert summary_module.leaderboard_rows({**summary, "corpus": {"kind": "synthetic"}})[0]["corpus"] == "SYNTHETIC"
    assert rows[0]["folds"] == "2 of 68 (partial run: 2 of 68 folds, not comparable with published rows)"
    assert rows[0]["interval"] == "95% percentile bootstrap over subjects, 2000 resamples, seed 0"
    assert rows[1]["interval"] == "one subject: no interval"
    whole = summary_module.leaderboard_rows({**summary, "n_folds": 68, "max_folds": None,
                                             "methods": [{**method, "seeds": [0, 1]}]})
    assert whole[0]["folds"] == "68 of 68"
    assert whole[0]["interval"] == "95% percentile bootstrap over subjects x seeds (crossed), 2000 resamples, seed 0"


def test_tied_methods_share_their_leaderboard_rank():
    """Two methods with the same pooled UF1 (e.g. the same predictions) share a rank in leaderboard.csv and on the
    PDF's page 1 (1, 1, 3): the order between them is the order they ran in, not a measured one."""
    from common.leaderboard import report
    from common.leaderboard import summary as summary_module

    cost = dict.fromkeys(("parameters_total", "fold_seconds", "predict_ms_per_clip", "peak_rss_mb", "fit_seconds",
                          "preprocess_seconds_per_clip_first", "preprocess_seconds_per_clip_cached"))

    def method(name, uf1):
        score = {"pooled": uf1, "fold_mean": uf1, "interval": {"low": uf1 - 0.1, "high": uf1 + 0.1}}
        return {"name": name, "paper": name, "model": "m", "profile": "paper", "seeds": [0], "cost": cost,
                "reported": [], "scores": {"all": {"uf1": score, "uar": score}}}

    summary = {"track": {"name": "megc2019", "scopes": ["all"]}, "corpus": {"kind": "real"}, "references": [],
               "methods": [method("a", 0.5), method("b", 0.7), method("c", 0.7)]}
    rows = summary_module.leaderboard_rows(summary)
    assert [(r["method"], r["rank"]) for r in rows] == [("b", 1), ("c", 1), ("a", 3)]
    _, table, _ = report.leaderboard_rows(summary)
    assert [(row[1], row[0]) for row in table] == [("b", "1"), ("c", "1"), ("a", "3")]


def test_a_randomized_p_at_the_least_its_permutations_can_give_is_named_a_bound():
    """Perfect against always wrong on 30 subjects: no random swap of subjects is as extreme as the observed
    difference but the observed arrangement itself, which scipy counts on each side: p = 2 / (n + 1), the least
    n permutations give. ``Comparison.at_floor`` says so, and the site's pairs page writes it as a bound."""
    y_true = np.tile([0, 1, 2], 30)
    subjects = np.repeat([f"s{k:02d}" for k in range(30)], 3)
    datasets = np.array(["db"] * 90)
    perfect = st.make_predictions(y_true, y_true, subjects, datasets)
    wrong = st.make_predictions(y_true, (y_true + 1) % 3, subjects, datasets)
    c = st.compare(perfect, wrong, 3, "uf1", n_resamples=200, n_permutations=500)
    assert not c.exact_p and c.p_value == pytest.approx(2 / 501) and c.at_floor
    assert st.p_text(c.p_value, exact=False, n_permutations=500) == "≤ 0.004 (the least 500 permutations give)"
    three = _three_subjects()
    exact = st.compare(st.make_predictions(three.y_true, three.y_true, three.subjects, three.datasets),
                       st.make_predictions(three.y_true, (three.y_true + 1) % 3, three.subjects, three.datasets),
                       3, "uf1")
    assert exact.exact_p and not exact.at_floor
    assert st.p_text(exact.p_value, exact=True, n_permutations=exact.n_permutations) == "0.250 (exact)"
    # the benchmark report's pairwise matrix writes it so too; an older results.json's matrix did not record its
    # permutations: a value
    from common.leaderboard.report import p_cell

    matrix = {"p_value": [[1.0, 2 / 2001], [2 / 2001, 1.0]], "p_at_floor": [[False, True], [True, False]]}
    assert (p_cell(matrix, 0, 1), p_cell({**matrix, "p_at_floor": [[False] * 2] * 2}, 0, 1)) == ("p≤0.001", "p=0.001")
    assert p_cell({"p_value": matrix["p_value"]}, 1, 0) == "p=0.001"
