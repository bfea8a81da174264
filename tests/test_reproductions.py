"""The reproductions' shipped predictions (docs/predictions/): each file is the run ``runs.json`` says, the README's
table is the one ``benchmarks/reproductions.py`` computes from them, and (with ``MERSUITE_RELEASED``) ``--score``
of a file on the released inputs gives its numbers, ``--against`` taking another."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

import run_all
from common.evaluation import statistics as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import reproductions  # noqa: E402  (benchmarks/ is no package)

RELEASED = os.environ.get("MERSUITE_RELEASED", "")
RUNS = reproductions.manifest()
# every predictions file shipped: runs.json's and the named runs' (an option measured against its recipe)
SHIPPED = sorted(p.name for p in reproductions.FOLDER.glob("*.csv") if not p.name.endswith(".epochs.csv"))


@pytest.mark.parametrize("run", RUNS, ids=[r["file"] for r in RUNS])
def test_each_file_is_the_run_its_manifest_names(run):
    path = reproductions.FOLDER / run["file"]
    predictions = st.read_predictions_csv(path)
    name = run.get("name", "")  # an option of the recipe (papers.liong2019.config.MATLAB_ABLATIONS)
    assert run["file"] == f"{run['method']}-{run['recipe']}-seed{run['seed']}{'-' + name if name else ''}.csv"
    if name:
        from papers.liong2019.config import MATLAB_ABLATIONS

        assert run["method"] == "liong2019" and name in MATLAB_ABLATIONS
    assert re.fullmatch(r"[0-9a-f]{40}", run["commit"]) and run["command"].startswith("run_all.py")
    assert len(set(predictions.folds.tolist())) == run["folds"] <= reproductions.FOLDS
    if run["folds"] == reproductions.FOLDS:  # the whole composite, each clip once
        assert len(predictions) == 442 and len(set(predictions.keys.tolist())) == 442
        assert len(set(predictions.subjects.tolist())) == 68
    assert run["profile"] == run["recipe"]


@pytest.fixture(scope="module")
def rows():
    """The shipped runs scored once for this file's tests (about 20 s of bootstraps on a 2-core machine)."""
    return reproductions.methods()


def test_the_readme_table_is_the_one_the_shipped_files_give(rows):
    table = reproductions.table(rows)
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_figure_draws_the_numbers_the_shipped_files_give(rows):
    """docs/reproductions.png carries the numbers it draws (its PNG Description); they are the ones the shipped files
    give now, each seed, mean, interval, best test epoch and published number, so a stale image fails here."""
    import json

    from PIL import Image

    with Image.open(reproductions.FIGURE) as image:
        drawn = json.loads(image.text["Description"])
    assert drawn == reproductions.figure_numbers(rows)
    # a best-test-epoch mean over fewer seeds than the last-epoch mean beside it names its seeds
    for m in rows:
        entry = next(e for e in drawn if (e["method"], e["metric"], e["scope"]) == (m.label, "uf1", "all"))
        assert entry["best_test_epoch_seeds"] == (list(m.gauge_seeds) if m.gauge and m.gauge_seeds != m.seeds
                                                  else None)
    # each row of the README's table is drawn, with its seeds and its mean
    table = reproductions.table(rows)
    for entry in drawn:
        if entry["metric"] == "uf1" and entry["scope"] == "all" and entry["seeds"]:
            seeds = ", ".join(f"{v:.3f}" for v in entry["seeds"])
            assert f"{entry['mean'][0]:.3f} [{entry['mean'][1]:.3f}, {entry['mean'][2]:.3f}] ({seeds})" in table


def test_a_method_whose_authors_keep_the_latest_of_tied_epochs_is_marked_so_in_its_row(rows):
    """The README's best-test-epoch column keeps each method's own rule among tied epochs (its package's
    ``best_epoch_ties``): the earliest unless marked; HTNet's ``main_HTNet.py`` keeps the latest, and its row, once
    its run is in runs.json, says so."""
    import dataclasses

    assert reproductions.tie_rule("wang2024") == "latest" and reproductions.tie_rule("liong2019") == "earliest"
    gauged = next(m for m in rows if m.gauge)
    assert gauged.ties == "earliest" and "of ties, as" not in reproductions.table([gauged])
    marked = reproductions.table([dataclasses.replace(gauged, ties="latest")]).splitlines()[-1]
    assert "; the latest of ties, as its authors' code) |" in marked
    assert "(earliest of ties unless marked)" in reproductions.table(rows).splitlines()[0]


def test_a_test_selected_published_number_is_not_placed_among_last_epoch_seeds(rows):
    """The distribution table put a published number among a recipe's last-epoch seeds (the share below it, a
    one-sided p); HTNet's, once its run is in, is selected on the test data, so no such run is a draw of it."""
    import dataclasses

    plain = next(m for m in rows if m.published.get(("uf1", "all")) and m.scores)
    value = plain.published[("uf1", "all")].reference_value
    assert "not comparable" not in reproductions.distribution_table([plain])
    chosen = dataclasses.replace(plain.published[("uf1", "all")], source="Table 2", test_selected=True)
    selected = dataclasses.replace(plain, published={**plain.published, ("uf1", "all"): chosen})
    row = reproductions.distribution_table([selected]).splitlines()[-1]
    assert f"| {value:.4f} (test-selected) | not comparable | - |" in row


def test_a_superseded_seed_is_named_in_its_readme_row(rows):
    """A run that runs.json marks superseded (made by a recipe since fixed) is named as such in its row of the
    README's table, and only such runs are."""
    from common.leaderboard.site import run_key

    for m in rows:
        marked = tuple(r["seed"] for r in RUNS if run_key(r) == m.key and r.get("superseded")
                       and r["folds"] == reproductions.FOLDS)
        assert m.superseded == marked
        (line,) = [line for line in reproductions.table(rows).splitlines() if line.startswith(f"| {m.label} (")]
        assert ("by a recipe since fixed" in line) == bool(marked)
        if marked:
            assert f"{reproductions.seeds_words(marked)} by a recipe since fixed" in line


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released inputs "
                                         "(.ci/run sets it to ../shared/released when that exists)")
def test_score_of_a_shipped_file_gives_its_numbers_and_against_takes_another(tmp_path, capsys):
    first, *others = [r for r in RUNS if r["folds"] == reproductions.FOLDS]
    path = reproductions.FOLDER / first["file"]
    argv = ["--score", str(path), "--benchmark", "megc2019", "--data-root", str(Path(RELEASED) / "htnet"),
            "--out", str(tmp_path)]
    if others:
        argv += ["--against", str(reproductions.FOLDER / others[0]["file"])]
    assert run_all.main(argv) == 0, capsys.readouterr().err
    (folder,) = (tmp_path / "score" / "megc2019").iterdir()
    summary = json.loads((folder / "results.json").read_text())
    predictions = st.read_predictions_csv(path)
    assert summary["matching"]["scored"] == 442
    for metric in ("uf1", "uar"):
        expected = st.pooled_score(predictions, 3, metric)
        assert summary["statistics"]["scores"]["all"][metric]["pooled"] == pytest.approx(expected, abs=1e-9)
    if others:
        assert summary["against"]["n"] == 442


def test_the_docs_tables_are_the_ones_the_shipped_files_give(rows):
    doc = (ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8")
    assert reproductions.scope_table(rows) in doc
    assert reproductions.distribution_table(rows) in doc
    assert reproductions.where_paragraphs(rows) in doc
    assert reproductions.ablation_table(reproductions.ablations()) in doc


# Each number the hand-written conclusion of docs/reproductions.md's STSTNet section ("What this shows, and what it
# does not") and the README's paragraph on the profile's order state, and where the blocks benchmarks/reproductions.py
# writes give it: (the prose around it, with the number as one group; the block's row, with its number as one group).
BULLET, ABLATION = r"- STSTNet, {}, \d+ seeds [^\n]*?", r"\| {}: `[^`]*` \| {} \| [^|]* \| [^|]* \| "
CONCLUSION_NUMBERS = [
    (r"not beyond it \(one-sided p ([\d.]+);", BULLET.format(r"paper \(MATLAB recipe\)") + r"one-sided p ([\d.]+) "),
    (r"the normal-theory reading about ([\d.]+)\), and",
     BULLET.format(r"paper \(MATLAB recipe\)") + r"with probability ([\d.]+)\."),
    (r"a draw at about percentile (\d+) of",
     BULLET.format(r"paper \(MATLAB recipe\)") + r"percentile (\d+) of our runs"),
    (r"whose ten seeds score ([\d.]+) UF1 under", ABLATION.format("fixed_subset", "paper") + r"-([\d.]+) \["),
    (r"port's published ([\d.]+): above", BULLET.format(r"port \(PyTorch recipe\)") + r"the published ([\d.]+) lies"),
    (r"above all five, percentile \d+ of our runs, one-sided p ([\d.]+) ",
     BULLET.format(r"port \(PyTorch recipe\)") + r"one-sided p ([\d.]+) "),
    (r"the normal-theory reading about ([\d.]+): high",
     BULLET.format(r"port \(PyTorch recipe\)") + r"with probability ([\d.]+)\."),
    (r"on the fixed subset by ([-+][\d.]+) UF1",
     ABLATION.format("fixed_subset_glorot", "fixed_subset") + r"([-+][\d.]+) \["),
    (r"`fixed_subset_zero_pool`, ([-+][\d.]+) over",
     ABLATION.format("fixed_subset_zero_pool", "fixed_subset") + r"([-+][\d.]+) \["),
    (r"`zero_pool`, ([-+][\d.]+) over", ABLATION.format("zero_pool", "paper") + r"([-+][\d.]+) \["),
    (r"`fixed_subset_bn_trained_clips`, ([-+][\d.]+)\)",
     ABLATION.format("fixed_subset_bn_trained_clips", "fixed_subset") + r"([-+][\d.]+) \["),
]
# Numbers of the conclusion that are no block's, each with why.
NOT_TABLE_NUMBERS = {"0.02": "a bound drawn from the zero_pool rows' intervals ('within about 0.02 of 0')"}


def _agrees(stated: str, generated: str) -> bool:
    """``stated`` is ``generated`` to the decimals ``stated`` gives."""
    places = len(stated.partition(".")[2])
    return round(float(generated), places) == float(stated)


def test_the_ststnet_conclusions_numbers_are_those_of_the_generated_blocks():
    """Every number the hand-written conclusion ("What this shows, and what it does not") and the README's paragraph
    on the profile's order state is the one the block it restates gives (those blocks are held against the shipped
    files by the tests above), to the decimals the prose gives: a block written anew from other files leaves no
    stale number in the prose around it, and a number added to the conclusion needs its place here."""
    doc = (ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"<!-- [^>]*benchmarks/reproductions\.py writes[^>]*-->(.*?)<!-- end of", doc, re.S))
    conclusion = " ".join(doc[doc.index("### What this shows, and what it does not"):
                              doc.index("MEB (tvaranka/meb) reports")].split())
    checked = []
    for prose, source in CONCLUSION_NUMBERS:
        stated, generated = re.search(prose, conclusion), re.search(source, blocks)
        assert stated and generated, prose
        assert _agrees(stated.group(1), generated.group(1)), f"{prose}: {stated.group(1)} against {generated.group(1)}"
        checked.append(stated.group(1))
    decimals = re.findall(r"(?<![\w.])[-+]?\d+\.\d+(?!\.?\d)", conclusion)  # not a version's part (3.15.1)
    assert sorted(v for v in decimals if v not in NOT_TABLE_NUMBERS) == sorted(v for v in checked if "." in v)
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    order = readme[readme.index("STSTNet's `paper` profile trains"):readme.index("Per database, wall times")]
    percentile = re.search(BULLET.format(r"paper \(MATLAB recipe\)") + r"percentile (\d+) of our runs", blocks)
    assert percentile and re.findall(r"percentile (\d+)", order) == [percentile.group(1)]


# The numbers of earlier runs that docs/reproductions.md's "The shipped runs" gives: (the prose, its numbers as
# groups; the files that give them, UF1 then UAR each). A shipped file is named as it is shipped; "git:" names the file
# as the parent of SUPERSEDED_BY held it: OFF-ApexNet's seeds 0 and 1 as first shipped, which their reruns replaced.
SUPERSEDED_BY = "32c8c2a"  # the commit whose reruns replaced them (the README's row then)
EARLIER_RUNS = [
    (r"seeds 0 and 1 of the fixed subset to the last digit \(([\d.]+) / ([\d.]+) and ([\d.]+) / ([\d.]+)\)",
     ["liong2019-paper-seed0-fixed_subset.csv", "liong2019-paper-seed1-fixed_subset.csv"]),
    (r"the earlier ([\d.]+) / ([\d.]+), ([\d.]+) / ([\d.]+) and ([\d.]+) / ([\d.]+) \(Keras",
     ["liong2019-port-seed0.csv", "liong2019-port-seed1.csv", "liong2019-port-seed2.csv"]),
    (r"gan2019 `paper` the earlier ([\d.]+) / ([\d.]+), and seed 1 the earlier ([\d.]+) / ([\d.]+) ",
     ["git:gan2019-paper-seed0.csv", "git:gan2019-paper-seed1.csv"]),
    (r"gauge: ([\d.]+) / ([\d.]+) became ([\d.]+) / ([\d.]+), and ([\d.]+) / ([\d.]+) became ([\d.]+) / ([\d.]+)\.",
     ["git:gan2019-paper-seed0.csv", "gan2019-paper-seed0.csv", "git:gan2019-paper-seed1.csv",
      "gan2019-paper-seed1.csv"]),
]


def test_the_earlier_runs_numbers_are_those_of_files_shipped_now_or_kept_by_git(tmp_path):
    """Every number "The shipped runs" gives of an earlier run is recomputed (UF1 and UAR over the 442 clips, to the
    decimals the prose gives): the runs whose folders did not survive from the shipped files of the same seeds, which
    the prose says gave their numbers; OFF-ApexNet's first seeds 0 and 1 from the files git keeps. Every decimal of
    those two passages is one of them."""
    import subprocess

    doc = " ".join((ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8").split())
    assert f"git show {SUPERSEDED_BY}^:docs/predictions/gan2019-paper-seed0.csv" in doc  # where a reader finds them
    passages = [doc[doc.index("Every seed that ran gave the numbers"):doc.index("where their seeds coincide.")],
                doc[doc.index("and seeds 0 and 1 were rerun fold by fold"):doc.index("The reruns' files")]]
    scored: dict[str, tuple[float, float]] = {}  # by the name EARLIER_RUNS gives
    for name in {name for _, names in EARLIER_RUNS for name in names}:
        path = reproductions.FOLDER / name
        if name.startswith("git:"):
            file = name.removeprefix("git:")
            shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{SUPERSEDED_BY}^:docs/predictions/{file}"],
                                   capture_output=True)
            if shown.returncode != 0:
                pytest.skip(f"this checkout has no git history of {SUPERSEDED_BY} (a copy without .git, or shallow)")
            path = tmp_path / file
            path.write_bytes(shown.stdout)
        predictions = st.read_predictions_csv(path)
        assert len(predictions) == 442
        scored[name] = (st.pooled_score(predictions, 3, "uf1"), st.pooled_score(predictions, 3, "uar"))
    checked = []
    for prose, names in EARLIER_RUNS:
        match = next((m for m in (re.search(prose, passage) for passage in passages) if m), None)
        assert match, prose
        generated = [value for name in names for value in scored[name]]
        assert len(match.groups()) == len(generated), prose
        for stated, value in zip(match.groups(), generated):
            assert _agrees(stated, str(value)), f"{prose}: {stated} against {value:.4f}"
            checked.append(stated)
    decimals = re.findall(r"(?<![\w.])\d+\.\d+(?!\.?\d)", " ".join(passages))
    assert sorted(decimals) == sorted(checked)
    # the superseded files and their reruns are other runs: no file is compared with itself
    assert scored["git:gan2019-paper-seed0.csv"] != scored["gan2019-paper-seed0.csv"]


def test_an_option_is_scored_paired_with_the_same_seed_of_what_it_is_measured_against(tmp_path):
    import shutil

    import numpy as np

    base = next(r for r in RUNS
                if (r["method"], r["recipe"], r["seed"], r.get("name")) == ("liong2019", "paper", 0, None))
    (tmp_path / "runs.json").write_text(json.dumps({"runs": [base]}), encoding="utf-8")
    shutil.copyfile(reproductions.FOLDER / base["file"], tmp_path / base["file"])
    # the same predictions under fixed_subset's name (measured against the profile): no effect, an interval of [0, 0]
    shutil.copyfile(reproductions.FOLDER / base["file"], tmp_path / "liong2019-paper-seed0-fixed_subset.csv")
    # fixed_subset_zero_pool, measured against fixed_subset, calls every positive clip negative: its positive recall
    # is 0, its UF1 lower; zero_pool (measured against the profile) has no file, so no row
    lines = (reproductions.FOLDER / base["file"]).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    pred = header.index("y_pred")
    changed = [",".join("0" if i == pred and cells[pred] == "1" else c for i, c in enumerate(cells))
               for cells in (line.split(",") for line in lines[1:])]
    (tmp_path / "liong2019-paper-seed0-fixed_subset_zero_pool.csv").write_text(
        "\n".join([lines[0], *changed]) + "\n", encoding="utf-8")
    rows = {a.option: a for a in reproductions.ablations(tmp_path, n_resamples=200)}
    zero = rows["fixed_subset_zero_pool"]
    assert sorted(rows) == ["fixed_subset", "fixed_subset_zero_pool"] and rows["fixed_subset"].seeds == (0,)
    assert (rows["fixed_subset"].against, zero.against) == ("paper", "fixed_subset")
    assert reproductions.option_words(zero.option) == "fixed_subset + zero_pool"
    assert reproductions.option_words("zero_pool") == "zero_pool"
    assert rows["fixed_subset"].uf1_difference == (0.0, 0.0, 0.0)
    assert rows["fixed_subset"].recall_difference == (0.0, 0.0, 0.0)
    shipped = st.read_predictions_csv(reproductions.FOLDER / base["file"])
    recall = reproductions.class_recall(shipped, reproductions.POSITIVE)
    assert zero.recall == (0.0, recall)
    low, high = zero.recall_difference[1:]
    assert zero.recall_difference[0] == pytest.approx(-recall) and low <= -recall <= high < 0
    assert zero.uf1_difference[0] < 0 and zero.uf1[1] == pytest.approx(st.pooled_score(shipped, 3, "uf1"))
    text = reproductions.ablation_table(list(rows.values()))
    # each option's --set values beyond those of what it is measured against (the profile already discards the
    # partial batch: only Shuffle 'once' is the fixed subset's own)
    assert "| fixed_subset: `train.shuffle_once=true` | paper | 0 |" in text
    assert "| fixed_subset_zero_pool: `model.padding=matlab_zero_pool` | fixed_subset | 0 |" in text
    assert np.isfinite(zero.uf1_difference).all()


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released files")
def test_the_comparison_with_the_matlab_log_is_the_one_the_shipped_files_and_the_log_give(rows):
    from papers.liong2019.port_log import LOG_NAME

    log = Path(RELEASED) / reproductions.RELEASED_LOG
    text = reproductions.against_log(rows, log, folder=reproductions.FOLDER, port_log=log.parent / LOG_NAME)
    document = (ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8")
    assert text in document
    # the port recipe against the port's own log too; its paired UF1 interval holds 0, as the prose says
    port = next(m for m in rows if m.key == "liong2019-port")
    line = next(row for row in text.splitlines() if row.startswith(f"| {port.label} (") and "| the port's log |" in row)
    (uf1_low, uf1_high), (uar_low, _) = ((float(v) for v in cell.split("[")[1].rstrip("]").split(", "))
                                         for cell in line.split(" | ")[2:4])
    assert uf1_low <= 0 <= uf1_high and 0 < uar_low < 0.01
    assert "the port recipe's gap in UF1 is within what subjects and seeds vary by" in document
    for m in rows:  # each STSTNet recipe, and each option runs.json lists, over its seeds
        if m.key.startswith("liong2019-"):
            assert f"| {m.label} ({reproductions.seeds_words(m.seeds)}) |" in text
    # each other option with a shipped seed has its row, over the seeds shipped
    for option, seeds in reproductions.option_seeds().items():
        if f"liong2019-paper-{option}" not in {m.key for m in rows}:
            words = reproductions.option_words(option)
            assert f"| STSTNet, paper + {words} ({reproductions.seeds_words(seeds)}) |" in text


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released files")
def test_the_ports_log_put_on_the_shipped_clips_scores_the_ports_published_numbers(rows, tmp_path):
    """The port's log names no clip; placed on a shipped file's clips in the port's reading order it gives the port
    README's 0.7209 / 0.7250, and a log whose subject lists other true classes is refused, naming the file."""
    from papers.liong2019.port_log import LOG_NAME

    port = next(m for m in rows if m.key == "liong2019-port")
    path = Path(RELEASED) / "ststnet" / LOG_NAME
    theirs = reproductions.port_log_predictions(path, port.predictions[0])
    assert (round(st.pooled_score(theirs, 3, "uf1"), 4), round(st.pooled_score(theirs, 3, "uar"), 4)) == (
        0.7209, 0.725)
    assert list(theirs.keys) == list(port.predictions[0].keys) and (theirs.y_pred >= 0).all()
    bad = tmp_path / LOG_NAME
    bad.write_text(path.read_text(encoding="utf-8").replace("Ground Truth: [0, 0, 0, 0]", "Ground Truth: [0, 0, 0, 1]",
                                                            1), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{LOG_NAME}: subject 010's true classes differ"):
        reproductions.port_log_predictions(bad, port.predictions[0])
    bad.write_text(path.read_text(encoding="utf-8").replace("Predicted   : [0, 0, 0, 0]", "Predicted   : [0, 0, 0, 7]",
                                                            1), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{LOG_NAME}: subject 010 predicts a class outside 0 to 2"):
        reproductions.port_log_predictions(bad, port.predictions[0])


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released files")
def test_matlabs_never_order_would_train_no_fold_on_a_surprise_clip_which_the_log_predicts():
    """docs/reproductions.md's reading of Shuffle 'never' (the first 256 clips of the datastore every epoch, class
    folder by class folder): in every fold the training negatives number under 256 and with the positives over it,
    so those 256 hold no surprise clip; the log calls 75 clips surprise, 59 of them correctly."""
    import numpy as np

    from common.evaluation import outside
    from papers.liong2019.config import default_config

    batch = default_config().train.batch_size  # main.m's MiniBatchSize, 256
    shipped = st.read_predictions_csv(reproductions.FOLDER / "liong2019-paper-seed0.csv")
    assert shipped.folds is not None
    total = np.bincount(shipped.y_true, minlength=3)
    for fold in np.unique(shipped.folds):
        negative, positive, _ = total - np.bincount(shipped.y_true[shipped.folds == fold], minlength=3)
        assert negative < batch <= negative + positive, fold
    surprise = 2  # the composite's class order: negative, positive, surprise
    log = outside.read_ststnet_log(Path(RELEASED) / reproductions.RELEASED_LOG, ("negative", "positive", "surprise"))
    called = [int(row.true) for row in log.rows if int(row.pred) == surprise]
    assert (len(called), called.count(surprise)) == (75, 59)
    text = " ".join((ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8").split())
    assert "a network never trained on one could hardly call 75 clips surprise, 59 of them" in text


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released files")
@pytest.mark.parametrize("name", SHIPPED)
def test_a_join_on_the_public_list_finds_every_clip_with_its_class(name):
    import csv

    from helpers import public_list

    public = public_list(RELEASED)
    with (reproductions.FOLDER / name).open(newline="", encoding="utf-8") as handle:
        shipped = {r["list_key"]: int(r["y_true"]) for r in csv.DictReader(handle)}
    joined = {k: v for k, v in shipped.items() if k in public}
    assert len(joined) == len(shipped) == 442
    assert all(public[k] == v for k, v in joined.items())


@pytest.mark.skipif(not RELEASED, reason="MERSUITE_RELEASED does not name the authors' released files")
@pytest.mark.parametrize("name", sorted(p.name for p in reproductions.FOLDER.glob("*.epochs.csv")))
def test_a_join_of_a_per_epoch_record_on_the_public_list_finds_every_clip(name):
    """The per-epoch records too carry the public list's name of each clip (``list_key``), on which a join keeps
    all 442 (SMIC's 93 included, which the loaders' ``key`` names otherwise)."""
    import csv

    from helpers import public_list

    with (reproductions.FOLDER / name).open(newline="", encoding="utf-8") as handle:
        shipped = [r["list_key"] for r in csv.DictReader(handle)]
    assert len(set(shipped)) == len(shipped) == 442 and set(shipped) == set(public_list(RELEASED))


def test_list_key_writes_the_public_lists_names_back():
    from common.datasets.released import composite_names, list_key

    for database, subject, clip in (("smic", "s01", "s01_ne_01"), ("smic", "s20", "s20_sur_03"),
                                    ("casme2", "sub01", "EP02_01f"), ("samm", "006", "006_1_2")):
        assert list_key("/".join(composite_names(database, subject, clip))) == f"{database}/{subject}/{clip}"
    assert list_key("smic/s1/s1_ne_01") == "smic/s01/s01_ne_01"
    assert list_key("casme/sub1/EP1") == "casme/sub1/EP1"
    # a key read from a file may be any text: digits past int()'s limit (4,300) are no subject, and no error
    digits = "9" * 5000
    assert list_key(f"smic/s{digits}/s{digits}_ne_01") == f"smic/s{digits}/s{digits}_ne_01"
    assert list_key(f"smic/s1/s{digits}_ne_01") == f"smic/s01/s{digits}_ne_01"
    # and its inverse, on a name read from a file: such a clip is kept as written, no longer an error
    assert composite_names("smic", "s01", f"s{digits}_ne_01") == ("smic", "s1", f"s{digits}_ne_01")


def _records(n_folds: int = 3, epochs: int = 5) -> list[dict]:
    """Fold records of a small run with a per-epoch record (seeded, so each fold's epochs differ)."""
    import numpy as np

    rng = np.random.default_rng(0)
    records = []
    for f in range(n_folds):
        n = 2 + f
        rows = rng.integers(0, 3, size=(epochs, n)).tolist()
        records.append({"fold": f"db_s{f}", "status": "ok", "y_true": rng.integers(0, 3, size=n).tolist(),
                        "y_pred": rows[-1], "subjects": [f"s{f}"] * n, "datasets": ["db"] * n,
                        "keys": [f"db/s{f}/c{j}" for j in range(n)], "test_indices": list(range(10 * f, 10 * f + n)),
                        "extra": {"epoch_predictions": {"model": "m", "y_pred": rows}}})
    return records


def test_a_per_epoch_record_and_its_predictions_give_the_gauge_of_the_fold_records(tmp_path):
    from common.evaluation import epoch_selection
    from common.evaluation.records import write_predictions_csv

    records = _records()
    write_predictions_csv(tmp_path / "p.csv", records, ("negative", "positive", "surprise"))
    assert epoch_selection.write_epoch_csv(tmp_path / "p.epochs.csv", records) == 9
    back = epoch_selection.records_of_files(tmp_path / "p.csv", tmp_path / "p.epochs.csv")
    summary = {"class_names": ["negative", "positive", "surprise"], "metrics_reported": ["uf1", "uar"],
               "scopes": ["all"], "metrics": {}}
    gauge, expected = epoch_selection.epoch_selection(back, summary), epoch_selection.epoch_selection(records, summary)
    assert gauge["status"] == "measured" and {**gauge, "model": ""} == {**expected, "model": ""}
    selected = epoch_selection.at_best_epoch_per_fold(back)
    best = [max(range(5), key=lambda e: (sum(int(a == b) for a, b in zip(r["extra"]["epoch_predictions"]["y_pred"][e],
                                                                         r["y_true"])) / len(r["y_true"]), -e))
            for r in records]
    assert [s["y_pred"] for s in selected] == [r["extra"]["epoch_predictions"]["y_pred"][e]
                                               for r, e in zip(records, best)]
    # a record written before its list_key column was added reads back the same
    lines = [line.split(",") for line in (tmp_path / "p.epochs.csv").read_text().splitlines()]
    assert lines[0] == ["fold", "key", "list_key", "classes"]
    (tmp_path / "old.epochs.csv").write_text("\n".join(",".join(cells[:2] + cells[3:]) for cells in lines) + "\n")
    assert epoch_selection.records_of_files(tmp_path / "p.csv", tmp_path / "old.epochs.csv") == back


@pytest.mark.parametrize("damage", ["header", "letter", "twice", "missing", "list_key", "cells"])
def test_a_damaged_per_epoch_record_is_refused_in_one_line_naming_it(tmp_path, damage):
    from common.evaluation import epoch_selection
    from common.evaluation.records import write_predictions_csv

    records = _records()
    write_predictions_csv(tmp_path / "p.csv", records, ("negative", "positive", "surprise"))
    epoch_selection.write_epoch_csv(tmp_path / "e.csv", records)
    lines = (tmp_path / "e.csv").read_text().splitlines()
    if damage == "header":
        lines[0] = "fold,key,epochs"
    elif damage == "letter":
        lines[1] = lines[1][:-1] + "x"
    elif damage == "twice":
        lines.append(lines[1])
    elif damage == "list_key":  # a name the public list does not give that clip
        fold, key, _, classes = lines[1].split(",")
        lines[1] = ",".join([fold, key, key + "x", classes])
    elif damage == "cells":
        lines[1] += ",0"
    else:
        del lines[1]
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"e\.csv") as caught:
        epoch_selection.records_of_files(tmp_path / "p.csv", tmp_path / "e.csv")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("damage, expected", [
    ("column", r"p\.csv: columns \['y_pred'\] are missing"),
    ("short", r"p\.csv, row 1: expected a cell in each of fold, "),
    ("digits", r"p\.csv, row 1: y_true/y_pred hold a value that is not a class index"),
    ("letter", r"p\.csv, row 1: y_true/y_pred hold a value that is not a class index"),
    ("key", r"e\.csv: no row for clip '9{80}' of fold "),
])
def test_a_damaged_predictions_csv_beside_a_per_epoch_record_is_refused_in_one_short_line(tmp_path, damage, expected):
    """The predictions.csv read with its per-epoch record (the results site, the best-test-epoch numbers): a column
    missing, a short row, a class of 5,000 digits or a letter, a clip of any length the record lacks; each one line
    naming the file (a KeyError or int()'s refusal, before)."""
    from common.evaluation import epoch_selection
    from common.evaluation.records import write_predictions_csv

    records = _records()
    write_predictions_csv(tmp_path / "p.csv", records, ("negative", "positive", "surprise"))
    epoch_selection.write_epoch_csv(tmp_path / "e.csv", records)
    lines = (tmp_path / "p.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    if damage == "column":
        position = header.index("y_pred")
        lines = [",".join(c for k, c in enumerate(line.split(",")) if k != position) for line in lines]
    elif damage == "short":
        lines[1] = ",".join(cells[:3])
    else:
        column, value = {"digits": ("y_true", "9" * 5000), "letter": ("y_pred", "x"),
                         "key": ("key", "9" * 5000)}[damage]
        cells[header.index(column)] = value
        lines[1] = ",".join(cells)
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=expected) as caught:
        epoch_selection.records_of_files(tmp_path / "p.csv", tmp_path / "e.csv")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


@pytest.mark.parametrize("run", [r for r in RUNS if r.get("epochs")], ids=lambda r: r["file"])
def test_each_shipped_per_epoch_record_ends_on_the_predictions_shipped_beside_it(run):
    from common.evaluation import epoch_selection

    records = epoch_selection.records_of_files(reproductions.FOLDER / run["file"], reproductions.FOLDER / run["epochs"])
    assert sum(len(r["keys"]) for r in records) == 442
    for record in records:
        assert record["extra"]["epoch_predictions"]["y_pred"][-1] == record["y_pred"]


@pytest.mark.parametrize("folder", sorted(p.name for p in reproductions.FOLDER.glob("*.folds")))
def test_each_shipped_fold_folder_holds_the_config_its_name_gives(folder):
    """A shipped fold folder's name (``<paper>-<recipe>-seed<k>[-<option>]``) is the run its records hold: the
    experiment (the benchmark's ``megc2019`` entry of the paper, or HTNet's own ``megc2019_loso`` on the released
    inputs), the profile, the seed and the config hash the tree now gives that profile with that option's
    ``--set`` values (liong2019's ``MATLAB_ABLATIONS``). A run resumed under that name then reuses them; a change
    of a config's defaults or fields that moves the hash fails here, not as every fold trained again (or refused)
    on a lent card's minutes."""
    from common.leaderboard.tracks import get_track
    from common.running.profiles import config_hash, effective_config
    from papers import get_paper
    from papers.liong2019.config import MATLAB_ABLATIONS

    match = re.fullmatch(r"([a-z0-9]+)-([a-z]+)-seed(\d+)(?:-([a-z_]+))?\.folds", folder)
    assert match, folder
    paper_id, recipe, seed, option = match.group(1), match.group(2), int(match.group(3)), match.group(4) or ""
    assert option == "" or (paper_id == "liong2019" and option in MATLAB_ABLATIONS), folder
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (reproductions.FOLDER / folder).glob("*.json")]
    assert records
    (experiment_name,) = {r["experiment"] for r in records}
    module = get_paper(paper_id)
    if experiment_name == "megc2019":  # a benchmark run (benchmarks/reproduce.py)
        experiment = module.benchmark_experiment(get_track("megc2019"), None)
    else:  # a paper's own experiment (HTNet's released run, benchmarks/gpu_check.py)
        (experiment,) = [e for e in module.EXPERIMENTS if e.name == experiment_name]
    config = effective_config(experiment, recipe, MATLAB_ABLATIONS.get(option, {}))
    assert {(r["paper"], r["profile"], r["seed"], r["config_hash"]) for r in records} == {
        (paper_id, recipe, seed, config_hash(config))}


def test_the_htnet_block_is_the_one_its_shipped_folds_give_recomputed_from_scratch():
    """docs/reproductions.md's HTNet block is ``htnet_table``'s, and its pooled UF1 at the last epoch and at each
    subject's best test epoch (the latest epoch of the fold's best accuracy, as ``main_HTNet.py``'s ``<=`` keeps it)
    are what a scorer written here from the raw fold files gives: per-class F1 from the pooled confusion, averaged
    over the three classes."""
    import numpy as np

    table = reproductions.htnet_table()
    assert table in (ROOT / "docs" / "reproductions.md").read_text(encoding="utf-8")
    files = sorted((reproductions.FOLDER / f"{reproductions.HTNET_RUN}.folds").glob("*.json"))
    if not files:
        assert table.startswith("No fold")
        return
    truth, last, best = [], [], []
    for path in files:
        fold = json.loads(path.read_text(encoding="utf-8"))
        y_true = np.array(fold["y_true"])
        epochs = np.array([[int(c) for c in clip] for clip in fold["epoch_classes"]]).T  # (epochs, clips)
        assert (epochs[-1] == fold["y_pred"]).all()
        truth.append(y_true)
        last.append(epochs[-1])
        accuracy = (epochs == y_true).mean(axis=1)
        best.append(epochs[max(np.flatnonzero(accuracy == accuracy.max()))])

    def uf1(y_true, y_pred):
        scores = [2 * np.sum((y_true == c) & (y_pred == c))
                  / (np.sum(y_true == c) + np.sum(y_pred == c)) for c in range(3)]
        return float(np.mean(scores))

    y = np.concatenate(truth)
    clips = (f"all 68 folds ({len(y)} clips) shipped" if len(files) == 68
             else f"{len(files)} of 68 folds ({len(y)} of 442 clips) shipped")
    row = next(line for line in table.splitlines() if line.startswith("| all clips ("))
    assert clips in table and f"| all clips ({len(files)}, {len(y)}) | {uf1(y, np.concatenate(last)):.3f} [" in row
    assert f"| {uf1(y, np.concatenate(best)):.3f} [" in row
    # each machine's folds (a fold's trained_on; HTNet's first 21 folds were shipped before folds named it) and times
    by_machine: dict[str, list[float]] = {}
    for path in files:
        fold = json.loads(path.read_text(encoding="utf-8"))
        where = fold.get("trained_on")
        name = f"{where['device']} ({where['backend']})" if where else reproductions.HTNET_UNNAMED
        by_machine.setdefault(name, []).append(fold["seconds"])
    assert "Trained on " + "; ".join(f"{len(t)} fold{'s' if len(t) > 1 else ''} on {m}"
                                     for m, t in by_machine.items()) + "." in table
    for name, seconds in by_machine.items():
        seconds.sort()
        middle = (seconds[(len(seconds) - 1) // 2] + seconds[len(seconds) // 2]) / 2
        shown = (f"median {middle:.0f} s, {seconds[0]:.0f} to {seconds[-1]:.0f} s over {len(seconds)} folds"
                 if len(seconds) > 1 else f"{seconds[0]:.0f} s (one fold)")
        assert f"{name}: {shown}" in table


def test_the_htnet_block_of_every_fold_calls_itself_the_composites_not_partial(monkeypatch):
    """The block said "partial until all 68 are in" whatever it held: once every fold is in, it gives the composite's
    numbers and says which column measures what the published ones do. Here 68 folds made of the shipped ones."""
    import copy

    from common.evaluation import shipped_folds

    shipped = shipped_folds.load_shipped_folds(reproductions.FOLDER / f"{reproductions.HTNET_RUN}.folds")
    if not shipped:
        pytest.skip("no fold of HTNet's run is shipped")
    whole = []
    for i in range(reproductions.FOLDS):  # each a subject of its own, its clips named apart
        record = copy.deepcopy(shipped[i % len(shipped)])
        record["fold"], record["subjects"] = f"f{i}", [f"s{i}"] * len(record["y_true"])
        record["keys"] = [f"{key}#{i}" for key in record["keys"]]
        whole.append(record)
    monkeypatch.setattr(shipped_folds, "load_shipped_folds", lambda folder: whole)
    table = reproductions.htnet_table()
    clips = sum(len(r["y_true"]) for r in whole)
    assert f"**all 68 folds ({clips} clips) shipped**: the composite's numbers" in table
    assert "partial" not in table


def test_methods_score_each_recipes_best_test_epoch_by_its_packages_tie_rule(tmp_path, monkeypatch):
    """``methods`` keeps, at each subject's best test epoch, the tie rule its package names (``tie_rule``): HTNet's
    latest, once its run is in runs.json. Here gan2019's seed 0 scored under both rules, against a scorer written
    here from its shipped files."""
    import shutil

    from helpers import best_test_epoch_scores

    from common.evaluation import epoch_selection

    run = next(r for r in RUNS if r["method"] == "gan2019" and r["seed"] == 0 and r.get("epochs"))
    for name in (run["file"], run["epochs"]):
        shutil.copy(reproductions.FOLDER / name, tmp_path / name)
    (tmp_path / "runs.json").write_text(json.dumps({"runs": [run]}), encoding="utf-8")
    records = epoch_selection.records_of_files(tmp_path / run["file"], tmp_path / run["epochs"])

    scored = {}
    for ties in ("earliest", "latest"):
        monkeypatch.setattr(reproductions, "tie_rule", lambda method, rule=ties: rule)
        (method,) = reproductions.methods(tmp_path, n_resamples=20)
        assert method.ties == ties
        scored[ties] = (method.gauge["all"]["uf1"]["pooled"], method.gauge["all"]["uar"]["pooled"])
        assert scored[ties] == pytest.approx(best_test_epoch_scores(records, latest=ties == "latest"))
    assert scored["earliest"] != pytest.approx(scored["latest"])  # the rule matters on these folds
