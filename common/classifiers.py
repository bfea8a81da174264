"""The linear SVM of the handcrafted baselines (LBP-TOP, Bi-WOOF), and its copy as a Keras model.

The baselines classify a fixed-length feature vector with a linear SVM (scikit-learn). The house
counts, estimates and exports Keras models, so the SVM is also a Keras model: its decision function,
``Input(D) -> Dense(P)``, one output per decision value. One-vs-one (LIBSVM's C-SVC, scikit-learn's
``SVC(kernel="linear")``) gives one value per class pair, in scikit-learn's pair order (0,1), (0,2),
..., (1,2), ...; one-vs-rest (liblinear, ``LinearSVC``) one per class. For 3 classes both are 3
values, and the Dense layer's trainable count, ``D * P + P``, is the SVM's weights and intercepts.

:func:`fit_linear_svm` fits scikit-learn's SVM, whose ``predict`` gives the fold's predictions;
:func:`copy_to_keras` writes its ``coef_`` / ``intercept_`` into the Keras model, whose outputs are
then the SVM's :func:`decision_values` (``tests/test_see2019.py``). The class of a one-vs-one
model is the pairwise vote (``SVC.predict``), not the arg-max of its outputs: :func:`class_scores`
turns decision values into the vote shares whose arg-max is that class, the "probabilities" a fold
and ``--predict`` report for these methods (labelled as vote shares).
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
from typing import Annotated, Any, Literal
import time

import numpy as np

from common.config import ConfigError, Range

logger = logging.getLogger(__name__)

SVM_KINDS = ("ovo", "ovr")
SVM_SCORES = "SVM vote shares (not probabilities)"  # what an exported SVM's scores are (its state's "scores")


@dataclasses.dataclass(frozen=True)
class LinearSVMConfig:
    """A linear SVM. Each paper sets and sources its own values in its config."""

    # "ovo": LIBSVM's C-SVC with a linear kernel (scikit-learn ``SVC``), one-vs-one over the class pairs;
    # "ovr": liblinear (scikit-learn ``LinearSVC``, squared hinge), one-vs-rest.
    kind: Literal["ovo", "ovr"] = "ovo"
    C: Annotated[float, Range(gt=0)] = 1.0  # LIBSVM's and scikit-learn's default
    max_iter: Annotated[int, Range(ge=-1)] = -1  # -1: no limit ("ovo"); "ovr" uses 1000 for -1 (liblinear's default)
    tol: Annotated[float, Range(gt=0)] = 1e-3  # LIBSVM's default stopping tolerance (-e 0.001)

    def __post_init__(self) -> None:
        # 0 is no iteration at all: the solver stops before its first step and an untrained SVM is scored (a
        # training accuracy of 0.22 where it trains to 0.87). Read as "no limit", it would give a normal-looking run.
        if self.max_iter == 0:
            raise ConfigError("LinearSVMConfig.max_iter: 0 stops the solver before its first step; expected -1 (no "
                              "limit) or a number of iterations >= 1")


def decision_outputs(num_classes: int, kind: str) -> int:
    """How many decision values the SVM gives: one per class pair ("ovo") or per class ("ovr"; one for 2 classes)."""
    if kind == "ovo":
        return num_classes * (num_classes - 1) // 2
    if kind == "ovr":
        return num_classes if num_classes > 2 else 1
    raise ValueError(f"svm kind={kind!r}: expected one of {', '.join(SVM_KINDS)}")


def class_pairs(num_classes: int) -> list[tuple[int, int]]:
    """scikit-learn's one-vs-one order of the class pairs: (0,1), (0,2), ..., (1,2), ..."""
    return list(itertools.combinations(range(num_classes), 2))


def build_decision_model(*, features: int, num_classes: int, kind: str = "ovo", name: str = "linear_svm") -> Any:
    """The SVM's decision function as a Keras model: ``Input(features) -> Dense(decision_outputs)``, linear."""
    import keras

    inputs = keras.Input(shape=(int(features),), name="features")
    outputs = keras.layers.Dense(decision_outputs(num_classes, kind), activation=None, name="svm_decision")(inputs)
    return keras.Model(inputs, outputs, name=name)


def compile_decision_model(model: Any) -> Any:
    """The decision model compiled with the hinge loss (SGD), so that it can take a ``train_on_batch``
    (``--estimate``); the folds fit scikit-learn's SVM instead, and copy it in (:func:`copy_to_keras`)."""
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=keras.losses.Hinge())
    return model


def fit_linear_svm(x: np.ndarray, y: np.ndarray, config: LinearSVMConfig, seed: int = 0) -> Any:
    """scikit-learn's linear SVM fitted on the rows ``x`` (N, D) with integer labels ``y`` (N,)."""
    from sklearn.svm import SVC, LinearSVC

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=int)
    if len(np.unique(y)) < 2:
        raise ValueError(f"a linear SVM needs at least two classes among its training labels, "
                         f"got {np.unique(y).tolist()}")
    if config.kind == "ovo":
        svm = SVC(kernel="linear", C=config.C, tol=config.tol, max_iter=config.max_iter,
                  decision_function_shape="ovo", random_state=seed)
    elif config.kind == "ovr":
        svm = LinearSVC(C=config.C, tol=config.tol, max_iter=1000 if config.max_iter < 0 else config.max_iter,
                        random_state=seed)
    else:
        raise ValueError(f"svm.kind={config.kind!r}: expected one of {', '.join(SVM_KINDS)}")
    return svm.fit(x, y)


def decision_values(svm: Any, x: np.ndarray) -> np.ndarray:
    """The fitted SVM's decision values of ``x``, (N, P): one column per pair ("ovo") or class ("ovr")."""
    values = np.asarray(svm.decision_function(np.asarray(x, dtype=np.float64)), dtype=np.float64)
    return values.reshape(len(values), -1)


def full_weights(svm: Any, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(kernel (D, P), bias (P,))`` of the fitted linear SVM laid out for all ``num_classes`` classes.

    A fold whose training labels lack a class fits fewer pairs (or classes); their columns stay 0 here, so the
    Keras model keeps its shape in every fold. With every class present, ``x @ kernel + bias`` is
    :func:`decision_values`.
    """
    from sklearn.svm import SVC

    present = [int(c) for c in svm.classes_]
    coef = np.asarray(svm.coef_, dtype=np.float64)
    intercept = np.asarray(svm.intercept_, dtype=np.float64)
    kind = "ovo" if isinstance(svm, SVC) else "ovr"
    outputs = decision_outputs(num_classes, kind)
    kernel = np.zeros((coef.shape[1], outputs))
    bias = np.zeros(outputs)
    for row, column in enumerate(full_columns(present, num_classes, kind)):
        kernel[:, column] = coef[row]
        bias[column] = intercept[row]
    return kernel, bias


def full_columns(present: list[int], num_classes: int, kind: str) -> list[int]:
    """The column, among all ``num_classes`` classes' decision values, of each decision value of an SVM
    trained on the classes ``present`` (scikit-learn's order)."""
    if kind == "ovo":
        return [class_pairs(num_classes).index((a, b)) for a, b in itertools.combinations(present, 2)]
    if decision_outputs(num_classes, kind) == 1:  # two classes: liblinear's one row scores the second against the first
        return [0]
    if len(present) == 2:  # 3+ classes, two in training: the one row scores the second present class
        return [present[1]]
    return list(present)


def copy_to_keras(svm: Any, model: Any, num_classes: int) -> Any:
    """Write the fitted SVM's weights into the decision model (:func:`build_decision_model`); returns it."""
    kernel, bias = full_weights(svm, num_classes)
    layer = model.get_layer("svm_decision")
    expected = tuple(w.shape for w in layer.get_weights())
    if expected != (kernel.shape, bias.shape):
        raise ValueError(f"the SVM has weights {kernel.shape} + {bias.shape}; the Keras model expects {expected}")
    layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return model


def class_scores(values: np.ndarray, present: list[int], num_classes: int, kind: str) -> np.ndarray:
    """(N, num_classes) scores of the SVM's own decision rule, each row summing to 1, whose arg-max is the
    SVM's class (scikit-learn's ``predict``): not probabilities (an SVM gives none; no Platt scaling).

    ``values``: the decision values laid out as :func:`full_weights` lays out the weights (all columns,
    those of classes absent from training ignored); ``present``: the classes the SVM was trained on.
    "ovo": each pair of present classes votes for its first class when its value is positive, else its
    second (LIBSVM's rule); the scores are the vote shares, and a tie goes to the lower class index, as
    LIBSVM breaks it (the first maximum). "ovr": 1 for the present class of the largest value.

    A row has no vote where one of the decision values it reads is not finite (NaN weights compare false
    both ways): its scores are NaN, never a row of zeros that would read as a prediction (``--predict``
    refuses scores that are not a distribution). ``present`` must be at least two distinct classes among
    ``num_classes`` (``ValueError`` otherwise: such an SVM votes for nothing).
    """
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    present = sorted(int(c) for c in present)
    if len(present) < 2 or len(set(present)) != len(present) or present[0] < 0 or present[-1] >= num_classes:
        raise ValueError(f"svm classes {present}: expected at least two distinct classes among 0..{num_classes - 1}")
    scores = np.zeros((len(values), num_classes))
    if kind == "ovo":
        pairs = class_pairs(num_classes)
        read = [pairs.index((a, b)) for a, b in itertools.combinations(present, 2)]
        for (a, b), index in zip(itertools.combinations(present, 2), read):
            column = values[:, index]
            scores[:, a] += column > 0
            scores[:, b] += column <= 0
    elif kind == "ovr":
        if values.shape[1] == 1 or len(present) == 2:  # one row scores the second present class against the first
            index = 0 if values.shape[1] == 1 else present[1]
            read = [index]
            winner = np.where(values[:, index] > 0, present[1], present[0])
        else:
            read = present
            winner = np.asarray(present)[np.argmax(values[:, present], axis=1)]
        scores[np.arange(len(values)), winner] = 1.0
    else:
        raise ValueError(f"svm kind={kind!r}: expected one of {', '.join(SVM_KINDS)}")
    scores = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1.0)
    scores[~np.all(np.isfinite(values[:, read]), axis=1)] = np.nan  # no vote: not a score of 0 for every class
    return scores


def svm_scores(model: Any, x: np.ndarray, present: list[int], num_classes: int, kind: str) -> np.ndarray:
    """:func:`class_scores` from the Keras decision model (an exported SVM): what ``predict_clips`` returns."""
    values = np.asarray(model.predict(np.asarray(x, dtype=np.float32), verbose=0), dtype=np.float64)
    return class_scores(values, present, num_classes, kind)


def svm_fold(ctx: Any, x_train: np.ndarray, x_test: np.ndarray, config: LinearSVMConfig, *, model_name: str,
             started: float, extra: dict | None = None) -> Any:
    """One fold of a handcrafted baseline: the linear SVM fitted on the fold's training features, its
    predictions of the test features (scikit-learn), and the fitted SVM copied into the Keras decision model.

    ``x_train`` / ``x_test``: the feature rows of ``ctx.fold.train`` / ``ctx.fold.test``, in that order.
    The outcome's ``probabilities`` are the SVM's :func:`class_scores` (vote shares, not probabilities);
    ``extra`` gains the decision values of the test clips, the classes the training fold held and the
    fit / predict timing (the benchmark's cost columns). An export fold (``ctx.export``) keeps the Keras
    decision model and records the classes it was trained on (``svm_classes``).
    """
    from common.running.fold import timing_extra
    from common.experiment import FoldOutcome
    from common.training import trainable_parameters

    num_classes = len(ctx.selection.class_names)
    y_train = np.asarray(ctx.selection.labels, dtype=int)[np.asarray(ctx.fold.train, dtype=int)]
    fit_started = time.perf_counter()
    svm = fit_linear_svm(x_train, y_train, config, seed=ctx.seed)
    decision = build_decision_model(features=np.shape(x_train)[1], num_classes=num_classes, kind=config.kind,
                                    name=model_name)
    model = copy_to_keras(svm, decision, num_classes)
    predict_started = time.perf_counter()
    y_pred = np.asarray(svm.predict(np.asarray(x_test, dtype=np.float64)), dtype=int)
    values = decision_values(svm, x_test)
    ended = time.perf_counter()
    logger.info(f"  {model_name}: {len(y_train)} training clips, {np.shape(x_train)[1]} features, "
                f"{len(svm.support_) if hasattr(svm, 'support_') else 'n/a'} support vectors")
    info = {**dict(extra or {}), "svm_kind": config.kind, "svm_classes": [int(c) for c in svm.classes_],
            "features": int(np.shape(x_train)[1]), "decision_values": np.round(values, 6).tolist(),
            "timing": timing_extra(fit_started, predict_started, ended, len(ctx.fold.test), started)}
    if hasattr(svm, "n_support_"):
        info["support_vectors"] = [int(n) for n in svm.n_support_]
    present = [int(c) for c in svm.classes_]
    full = np.zeros((len(values), decision_outputs(num_classes, config.kind)))  # libsvm's own decision values
    full[:, full_columns(present, num_classes, config.kind)] = values
    scores = class_scores(full, present, num_classes, config.kind)
    if len(y_pred) and not np.array_equal(np.argmax(scores, axis=1), y_pred):  # the rule above is the SVM's own
        raise AssertionError(f"{model_name}: the SVM's vote shares disagree with its predictions")
    if ctx.export is not None:
        ctx.export.keep(model_name, model)
        ctx.export.record("svm_classes", present)
        ctx.export.record("scores", SVM_SCORES)
    return FoldOutcome(test_indices=np.asarray(ctx.fold.test), y_pred=y_pred, probabilities=scores, history={},
                       parameters={model_name: trainable_parameters(model)}, seconds=time.perf_counter() - started,
                       extra=info)


def svm_training_stages(model_name: str, build: Any, samples: int) -> list:
    """``--estimate``'s view of a fold that fits a linear SVM: its Keras decision model (``build()``),
    compiled with the hinge loss. The SVM's fit (LIBSVM's or liblinear's solver) is priced as one pass
    over the fold's training clips (epochs=1, one batch)."""
    from common.experiment import TrainingStage

    return [TrainingStage(model=model_name, build=lambda: compile_decision_model(build()), samples=int(samples),
                          epochs=1, batch_size=max(int(samples), 1))]
