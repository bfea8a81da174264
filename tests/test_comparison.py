"""The comparison with the papers' numbers: a reported value marked not comparable gets no difference."""
from __future__ import annotations

import pytest

import papers
from common.evaluation.comparison import comparison_rows
from common.reporting.tables import comparison_rows as table_rows


def _measured_everywhere(reported_values) -> tuple[dict, list[dict]]:
    """Aggregated metrics and one ok fold record holding a value (0.5) for every reported number, so
    every row has an ``ours`` and only the comparison rule can leave its difference out."""
    aggregated: dict = {}
    extra: dict = {}
    for reported in reported_values:
        target = aggregated if reported.aggregation in ("pooled", "fold_mean", "fold_best") else extra
        target.setdefault(reported.aggregation, {}).setdefault(reported.scope, {})[reported.metric] = 0.5
    return aggregated, [{"status": "ok", "extra": {"aggregations": extra}}]


@pytest.mark.parametrize("paper_id", papers.PAPER_IDS)
def test_no_row_marked_not_comparable_carries_a_difference(paper_id):
    experiments = papers.get_paper(paper_id).EXPERIMENTS
    rows = []
    for experiment in experiments:
        aggregated, records = _measured_everywhere(experiment.reported)
        built = comparison_rows(experiment.reported, aggregated, records)
        assert [r["ours"] for r in built] == [0.5] * len(experiment.reported), experiment.name
        rows += [(experiment.name, reported, row) for reported, row in zip(experiment.reported, built)]
        # the report's rows (comparison.csv, the PDF, the report's results.json) carry the same difference
        for row, table_row in zip(built, table_rows({experiment.name: {"comparison": built}})):
            assert table_row["difference"] == row["difference"] and table_row["comparable"] == row["comparable"]
    # a package publishes numbers, or declares that its paper publishes none (papers.declaration_problems checks it)
    assert rows or papers.get_paper(paper_id).PAPER.no_published_number, f"{paper_id}: no reported number to compare"
    for name, reported, row in rows:
        says_not_comparable = "not comparable" in reported.note.lower()
        assert says_not_comparable == (not reported.comparable), (name, reported.note)  # the label and the flag agree
        if reported.comparable:  # against the published number, or what the authors' artefact gives instead
            paper = reported.value if reported.recomputed is None else reported.recomputed
            assert row["difference"] == pytest.approx(0.5 - paper), name
            assert row["reported"] == reported.value and row["recomputed"] == reported.recomputed, name
        else:
            assert row["difference"] is None and row["comparable"] is False, name


def test_a_synthetic_run_carries_no_difference_from_the_paper():
    """results.json's comparison and comparison.csv gave a synthetic run's "ours - paper" (the report's first page
    and the README say none is shown there): the paper's number stays beside ours as context only."""
    experiment = papers.get_paper("aouayeb2019").EXPERIMENTS[0]
    aggregated, records = _measured_everywhere(experiment.reported)
    real = comparison_rows(experiment.reported, aggregated, records)
    synthetic = comparison_rows(experiment.reported, aggregated, records, synthetic=True)
    assert any(row["difference"] is not None for row in real)
    assert all(row["difference"] is None for row in synthetic)
    assert [row["ours"] for row in synthetic] == [row["ours"] for row in real]
    assert [row["reported"] for row in synthetic] == [row["reported"] for row in real]


def test_reddy2019_split_fusenet_rows_are_the_ones_not_comparable():
    """The case that showed the rule was missing: Table V's whole-set FuseNet accuracy beside our
    20%-split accuracy; the STCNN and the *_whole_set rows stay compared."""
    experiments = {e.name: e for e in papers.get_paper("reddy2019").EXPERIMENTS}
    not_comparable = {name for name, e in experiments.items() if any(not r.comparable for r in e.reported)}
    assert "smic_microexpfusenet_late" in not_comparable and "casme_sq_microexpfusenet_intermediate" in not_comparable
    assert not any(name.endswith("_whole_set") or "microexpstcnn" in name for name in not_comparable)


def test_a_recomputed_value_needs_its_note_and_stays_off_by_default():
    from common.experiment import Reported

    plain = Reported("uar", 0.76)
    assert plain.recomputed is None and plain.compared_with == "published" and plain.reference_value == 0.76
    with pytest.raises(ValueError, match=r"^Reported\.recomputed_note: uar all"):
        Reported("uar", 0.76, recomputed=0.72)
    with pytest.raises(ValueError, match=r"^Reported\.recomputed: "):
        Reported("uar", 0.76, recomputed_note="why")
    with pytest.raises(TypeError):  # keyword only
        Reported("uar", 0.76, "all", "pooled", "", "", True, 0.72)
