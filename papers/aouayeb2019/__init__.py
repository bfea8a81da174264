"""Aouayeb et al. 2019 (MLSP): region CNNs + LSTMs with focal loss, MEGC 2019 composite LOSO.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``. Table 2's other rows are the composite's published rows
(``common.evaluation.published``), which the benchmark shows.
``PAPER.models`` builds the seven networks with the default config (1,093,531 trainable parameters in total, Sec. 5).
"""
from __future__ import annotations

from common.experiment import Pipeline
from common.paper import Paper
from papers.aouayeb2019 import pages, protocol, reported
from papers.aouayeb2019.config import PROFILES, default_config
from papers.aouayeb2019.model import MODEL_BUILDERS, lstm_stage_small

PAPER = Paper(
    id="aouayeb2019",
    title="A spatiotemporal deep learning solution for automatic micro-expressions recognition "
          "from local facial regions",
    citation="M. Aouayeb, W. Hamidouche, K. Kpalma, A. Benazza-Benyahia. IEEE International Workshop on "
             "Machine Learning for Signal Processing (MLSP), Pittsburgh, 2019. HAL hal-02334439.",
    models=MODEL_BUILDERS,
    # Sec. 5 gives the total, 1,093,531; its split (six region CNNs of 106,852 and the LSTM stage of
    # 452,419) is the one reading that reproduces it (docs/methods.md §6; README).
    parameter_counts={**{f"region_cnn_{r}": (106_852, "Sec. 5 total 1,093,531 = 6 x 106,852 + 452,419")
                         for r in range(6)},
                      "lstm_stage": (452_419, "Sec. 5 total 1,093,531 = 6 x 106,852 + 452,419")},
    model_checks={"lstm_stage": {"small": lstm_stage_small}},  # 8 time steps, not 500
    # Sec. 4.1.2 gives the input sizes.
    architecture_tables={
        f"region_cnn_{r}": [{"name": "region_image", "output_shape": [h, w, 4], "params": None}]
        for r, (w, h) in enumerate(((100, 80), (100, 80), (120, 80), (60, 60), (60, 60), (160, 60)))
    },
)

# megc2019_loso and every benchmark entry: protocol.py's select, folds, run_fold and hooks; one pipeline (six
# region CNNs, then the LSTM stage), the paper's own. Table 2's numbers are the megc2019 track's protocol (LOSO
# on the composite), so that track shows them; other tracks none. min_frames: Sec. 3.1 feeds every frame of a
# clip to the LSTM (Sec. 3.2); one frame has no temporal dynamics to model. needs_motion (common.datasets.invariants
# rule 6): no, the region CNNs read each frame's appearance and the LSTM the sequence of those features; a clip
# without motion is still a valid input, flagged by the run.
PIPELINE = Pipeline(hooks=protocol.HOOKS, paper_id="aouayeb2019", models=("region_cnn_lstm",), config=default_config(),
                    profiles=PROFILES, min_frames=2, needs_motion=False,
                    entry="Aouayeb et al. 2019, region CNNs + LSTMs", reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="Table 2, Fig. 5", report_pages=pages.report_pages)
