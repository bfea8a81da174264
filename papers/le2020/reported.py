"""The numbers Le, Tran, Rege 2020 report, transcribed once (Tables I, II and III).

Only the report reads these. Accuracies are fractions. The paper does not say whether its 10-fold
accuracy is pooled over the folds or the mean of per-fold accuracies; with ten folds of (nearly)
equal size the two agree to within a fraction of a point, and we compare against our
mean-over-folds accuracy (``fold_mean``). The cross-database protocol has a single fold, where
both readings are the same number.
"""
from __future__ import annotations

from common.paper import Reported

# Table I "CASMEII, SMIC and SAMM comparison" (the databases as a whole, before the regrouping of
# Sec. IV-A.1). Our selections' per-class counts are printed beside these by protocol.table_i_rows.
TABLE_I = {
    "casme2": {"samples": 247, "subjects": 26, "emotions": 5, "fps": 200, "facs_coded": True},
    "smic": {"samples": 164, "subjects": 16, "emotions": 3, "fps": 100, "facs_coded": False},
    "samm": {"samples": 159, "subjects": 32, "emotions": 7, "fps": 200, "facs_coded": True},
}

# Table II "Comparison between our proposed method and several existing works in three datasets":
# accuracy, 10-fold cross-validation (Sec. IV-A.2). Rows "Resnet50 + ROI", "Senet50 + ROI", "VGG19 + ROI".
TABLE_II = {
    ("casme2", "resnet50"): 0.5945,
    ("casme2", "senet50"): 0.673,
    ("casme2", "vgg19"): 0.785,
    ("smic", "resnet50"): 0.6949,
    ("smic", "senet50"): 0.6225,
    ("smic", "vgg19"): 0.7269,
    ("samm", "resnet50"): 0.5545,
    ("samm", "senet50"): 0.572,
    ("samm", "vgg19"): 0.612,
}

# Table III "Comparison ... when utilizing cross database evaluation": the first database trains,
# the second tests (Sec. IV-B: "The first dataset is the training set"). SENet50 is not reported.
TABLE_III = {
    ("samm", "casme2", "resnet50"): 0.475,
    ("samm", "casme2", "vgg19"): 0.5375,
    ("casme2", "samm", "resnet50"): 0.5125,
    ("casme2", "samm", "vgg19"): 0.5245,
}

# Other methods in the same tables, for the report's context (not reproduced here).
TABLE_II_OTHERS = {
    "STCLQP with codebook [27]": {"casme2": 0.6478, "smic": 0.6402},
    "FHOFO with SVM [28]": {"casme2": 0.5586, "smic": 0.5122},
    "DT-CNN [21]": {"casme2": 0.6667, "smic": 0.536},
    "Facial Color + LSTM [25]": {"casme2": 0.6666, "smic": 0.705},
}
TABLE_III_OTHERS = {"3DCNN [26]": {("samm", "casme2"): 0.4235, ("casme2", "samm"): 0.5346}}


def kfold_reported(dataset: str, backbone: str) -> tuple[Reported, ...]:
    """Table II's accuracy for one database and backbone (empty if the paper has none)."""
    value = TABLE_II.get((dataset, backbone))
    if value is None:
        return ()
    return (Reported("accuracy", value, scope="all", aggregation="fold_mean", source="Table II",
                     note=f"{dataset}: 10-fold CV, 90 % training (Sec. IV-A.2); pooled vs fold-mean not stated"),)


def cross_reported(train: str, test: str, backbone: str) -> tuple[Reported, ...]:
    """Table III's accuracy for one direction and backbone (empty if the paper has none)."""
    value = TABLE_III.get((train, test, backbone))
    if value is None:
        return ()
    return (Reported("accuracy", value, scope="all", aggregation="pooled", source="Table III",
                     note=f"train {train}, test {test} (single fold)"),)
