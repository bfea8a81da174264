"""Aouayeb et al. 2019 (MLSP): region CNNs + LSTMs with focal loss, MEGC 2019 composite LOSO.

The contract (``common/experiment.py``): ``PAPER`` and ``EXPERIMENTS``; ``build_models`` gives
the seven networks with the default config (1,093,531 trainable parameters in total, Sec. 5).
"""
from __future__ import annotations

from common.experiment import Experiment, Paper
from papers.aouayeb2019 import protocol, reported
from papers.aouayeb2019.config import PROFILES, AouayebConfig
from papers.aouayeb2019.model import build_models

# Fewest frames a clip needs (issue 16; Experiment.min_frames): Sec. 3.1 feeds every frame of a
# clip to the LSTM (Sec. 3.2); one frame has no temporal dynamics to model.
MIN_FRAMES = 2

CONFIG = AouayebConfig()


def models() -> dict:
    """``region_cnn_0`` .. ``region_cnn_5`` and ``lstm_stage`` as built by the default config."""
    return build_models(channels=CONFIG.data.channels, num_labels=CONFIG.model.region_labels,
                        seq_len=CONFIG.data.seq_len, leaky_slope=CONFIG.model.leaky_slope,
                        head_pooling=CONFIG.model.head_pooling)


PAPER = Paper(
    id="aouayeb2019",
    title="A spatiotemporal deep learning solution for automatic micro-expressions recognition "
          "from local facial regions",
    citation="M. Aouayeb, W. Hamidouche, K. Kpalma, A. Benazza-Benyahia. IEEE International Workshop on "
             "Machine Learning for Signal Processing (MLSP), Pittsburgh, 2019. HAL hal-02334439.",
    status="implemented",
    models=models,
    # Sec. 4.1.2 gives the input sizes; Sec. 5 only the total parameter count (1,093,531).
    architecture_tables={
        f"region_cnn_{r}": [{"name": "region_image", "output_shape": [h, w, 4], "params": None}]
        for r, (w, h) in enumerate(((100, 80), (100, 80), (120, 80), (60, 60), (60, 60), (160, 60)))
    },
)

EXPERIMENTS = (
    Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO (Table 2, Fig. 5)",
        datasets=("megc2019",),
        config=CONFIG,
        select=protocol.select,
        folds=protocol.folds,
        run_fold=protocol.run_fold,
        profiles={name: overrides for name, overrides in PROFILES.items() if name != "paper"},
        reported=reported.REPORTED,
        metrics=("uf1", "uar", "accuracy"),
        scopes=reported.SCOPES,
        report_pages=reported.report_pages,
        min_frames=MIN_FRAMES,
    ),
)

__all__ = ["PAPER", "EXPERIMENTS", "CONFIG", "build_models", "models"]
