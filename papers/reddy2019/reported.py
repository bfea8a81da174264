"""Numbers reported by Reddy et al. (IJCNN 2019), transcribed once, with their table references.

All accuracies are on the single 20% validation split (which is also the test split, Sec. IV-A).
"""
from __future__ import annotations

from common.experiment import Reported

# Table IV: samples per class as total = training + validation.
TABLE4_COUNTS = {
    "casme_sq": {"happy": (94, 73, 21), "angry": (76, 64, 12), "disgust": (36, 28, 8), "total": (206, 165, 41)},
    "smic": {"negative": (79, 60, 19), "positive": (34, 28, 6), "surprise": (43, 36, 7), "total": (156, 124, 32)},
}

# Table V: accuracy of the proposed models (best result on the validation split).
TABLE5_ACCURACY = {
    ("casme_sq", "microexpstcnn"): 0.8780,
    ("casme_sq", "microexpfusenet_intermediate"): 0.8325,
    ("casme_sq", "microexpfusenet_late"): 0.7931,
    ("smic", "microexpstcnn"): 0.6875,
    ("smic", "microexpfusenet_intermediate"): 0.5477,
    ("smic", "microexpfusenet_late"): 0.6482,
}

# Table VIII: mean and standard deviation of validation accuracy over epochs 91-100.
TABLE8_MEAN_STD = {
    ("casme_sq", "microexpstcnn"): (0.8220, 0.0502),
    ("casme_sq", "microexpfusenet_intermediate"): (0.7857, 0.0578),
    ("casme_sq", "microexpfusenet_late"): (0.7320, 0.0387),
    ("smic", "microexpstcnn"): (0.6250, 0.0255),
    ("smic", "microexpfusenet_intermediate"): (0.5120, 0.0356),
    ("smic", "microexpfusenet_late"): (0.5995, 0.0319),
}

# Tables VI (CAS(ME)^2) and VII (SMIC): MicroExpSTCNN confusion matrices, rows = true class.
TABLE6_CONFUSION = {"classes": ("happy", "angry", "disgust"), "matrix": ((19, 1, 1), (0, 11, 1), (1, 1, 6))}
TABLE7_CONFUSION = {"classes": ("negative", "positive", "surprise"), "matrix": ((14, 0, 5), (2, 2, 2), (1, 0, 6))}

# Table IX: MicroExpSTCNN accuracy on CAS(ME)^2 for twelve kernel sizes (rows x cols x frames).
TABLE9_KERNEL_ACCURACY = {
    (3, 3, 3): 0.8293, (3, 3, 7): 0.8049, (3, 3, 15): 0.8780, (3, 3, 19): 0.2927,
    (5, 5, 3): 0.6330, (5, 5, 7): 0.5854, (5, 5, 15): 0.5122, (5, 5, 19): 0.2927,
    (7, 7, 3): 0.7073, (7, 7, 7): 0.5122, (7, 7, 15): 0.2927, (7, 7, 19): 0.5122,
}
# Note: 63.30% (5x5x3) is not a multiple of 1/41 (the validation set size), unlike the other 11 entries;
# it is transcribed as printed.


def reported_for(database: str, model: str) -> tuple[Reported, ...]:
    """The Table V accuracy of ``model`` on ``database`` as a ``Reported`` (single split: pooled = the split)."""
    value = TABLE5_ACCURACY[(database, model)]
    mean, std = TABLE8_MEAN_STD[(database, model)]
    return (
        Reported("accuracy", value, scope="all", aggregation="pooled", source="Table V",
                 note=f"best validation epoch; Table VIII: {100 * mean:.2f} +/- {100 * std:.2f}% over epochs 91-100"),
    )


def reported_kernel_study() -> tuple[Reported, ...]:
    return (Reported("accuracy", TABLE9_KERNEL_ACCURACY[(3, 3, 15)], scope="all", aggregation="pooled",
                     source="Table IX", note="kernel 3x3x15 (best of the 12 sizes)"),)
