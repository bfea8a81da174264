"""Labels, losses, folds and the two-stage training of Aouayeb et al. 2019 under the MEGC 2019 protocol
(the inputs: ``preprocessing.py``).

M. Aouayeb, W. Hamidouche, K. Kpalma, A. Benazza-Benyahia, "A spatiotemporal deep learning
solution for automatic micro-expressions recognition from local facial regions", IEEE MLSP 2019.

Per fold (Sec. 4.1.3, LOSO over the subjects of the MEGC 2019 composite: 68, as the MEGC 2019 protocol counts
them; Table 1 gives the composite's class counts), on the fold's training subjects only:

1. Stage 1 (Sec. 3.2): six region CNNs, each trained on the single frames of the training clips,
   every frame labelled with its region's label (the clip's emotion, or "not me" when the region
   does not express that emotion, Fig. 3).
2. Stage 2 (Sec. 3.3): the 20-d ``spatial_feature`` of every frame forms six sequences per clip,
   zero-padded to 500; the six-LSTM network is trained on the training clips and predicts the
   held-out subject's clips.

Both stages use the focal loss of Sec. 3.4 (Eq. 2 as printed, ``FocalLossEq2``) with alpha =
inverse class frequency of the fold's training labels (``keras.losses.CategoricalFocalCrossentropy``
with a per-class alpha, the target term only, is the ``loss.form="keras"`` option).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from common.datasets.sample import Sample
from common.running.first_pass import per_clip
from common.running.fold import class_counts, epoch_extra, epoch_recorder, n_classes, one_hot, outcome, timing_extra
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.predict_types import FrameRateNeed, PredictContext, PredictViews
from common.training import (compile_model, compiled_like, fit, predict_on_batches, set_seed,
                             trainable_parameters)
from papers.aouayeb2019.config import AouayebConfig
from papers.aouayeb2019.model import NUM_REGIONS, build_model, build_region_model, feature_extractor
from papers.aouayeb2019.preprocessing import (AouayebInputError, clip_regions, cnn_input, feature_scale,
                                              frame_indices, normalise_clip, pad_features, region_crops)
from common.preprocessing.faces import sample_landmarks
from papers.aouayeb2019.preprocessing import CANVAS_REGIONS, CANVAS_SIZE, face_box, landmark_boxes

logger = logging.getLogger(__name__)

# Table 1 / Sec. 4.1.2: "three classes 0: Negative, 1: positive, 2: surprise" (MEGC 2019 composite).
CLASSES = ("negative", "positive", "surprise")
NOT_ME = "not me"
# Sec. 4.1.2: the region CNN's "dense layer with 4 neurons": the three emotions plus "not me"
# (Sec. 3.2). Every region uses this same 4-way output; index 3 is "not me".
REGION_LABELS = CLASSES + (NOT_ME,)
NOT_ME_INDEX = REGION_LABELS.index(NOT_ME)

# Fig. 3 ("Illustration of the active patches and emotional state", after Zhao & Xu [17]): which
# region expresses which emotion. Fig. 3 is an image; this table is read from the authors' own
# relabelling function (``relabel`` in CNN_SE.py of MouathAb/AnalyseMiE-CNN_LSTM_SE, with the
# MEGC class indices 0 negative, 1 positive, 2 surprise) and agrees with the FACS prototypes:
# brows/eyes AU4 (negative) and AU1+2/AU5 (surprise); nose AU9/AU10 (disgust, negative); cheeks
# AU6 (happiness, positive); mouth AU10/15/17 (negative), AU12 (positive), AU25/26 (surprise).
# A region not listed for an emotion is labelled "not me" for clips of that emotion (Sec. 3.2).
REGION_EMOTIONS: dict[int, tuple[str, ...]] = {
    0: ("negative", "surprise"),  # left eye + eyebrow (Sec. 3.1 region0)
    1: ("negative", "surprise"),  # right eye + eyebrow (region1)
    2: ("negative",),  # nose (region2); Sec. 3.2's example: "happy" on the nose -> "not me"
    3: ("positive",),  # left cheek (region3)
    4: ("positive",),  # right cheek (region4)
    5: ("negative", "positive", "surprise"),  # mouth (region5)
}


# ---------------------------------------------------------------------------------------------
# Labels


def region_labels(labels: Sequence[int] | np.ndarray, region: int, not_me: bool = True) -> np.ndarray:
    """Clip labels (0 negative, 1 positive, 2 surprise) -> the region's labels in ``REGION_LABELS``.

    Fig. 3 / Sec. 3.2: the emotion index is kept when ``region`` expresses it, else it becomes
    ``NOT_ME_INDEX`` (3). ``not_me=False`` keeps every clip label (an ablation, not the paper).
    """
    if region not in REGION_EMOTIONS:
        raise ValueError(f"region={region}: expected 0..{NUM_REGIONS - 1}")
    labels = np.asarray(labels, dtype=int)
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise ValueError(f"clip labels must be in 0..{len(CLASSES) - 1}, got {sorted(set(labels.tolist()))}")
    if not not_me:
        return labels.copy()
    involved = np.array([name in REGION_EMOTIONS[region] for name in CLASSES])
    return np.where(involved[labels], labels, NOT_ME_INDEX)


def focal_alpha(train_labels: Sequence[int] | np.ndarray, num_classes: int) -> list[float]:
    """Sec. 3.4: alpha "set by inverse class frequency", from the fold's TRAINING labels only.

    ``alpha_k = (1 / n_k) / sum_j (1 / n_j)`` over the classes present (sums to 1,
    docs/methods.md §5); a class absent from the training labels gets 0: it is never a target, so its alpha
    enters only Eq. 2's non-target term, as 1 - 0 = 1 (``FocalLossEq2``: the weight on pushing its probability
    down; ``loss.form=keras`` has no such term).
    """
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=num_classes).astype(float)
    if len(counts) > num_classes:
        raise ValueError(f"labels exceed {num_classes} classes: {counts.tolist()}")
    inverse = np.where(counts > 0, 1.0 / np.maximum(counts, 1.0), 0.0)
    if inverse.sum() == 0:
        raise ValueError("focal_alpha: no training labels")
    return (inverse / inverse.sum()).tolist()


class FocalLossEq2(keras.losses.Loss):
    """Sec. 3.4, Eq. 2 as printed, applied to every class of a softmax output (one-vs-rest):

    ``L = sum_c [ y_c * -alpha_c (1 - p_c)^gamma log p_c  +  (1 - y_c) * -(1 - alpha_c) p_c^gamma log(1 - p_c) ]``

    per sample, averaged over the batch (Keras' ``sum_over_batch_size``). The second term is the
    printed "otherwise" branch (Lin et al. [21], Eq. 5 with alpha_t), which Keras's
    ``CategoricalFocalCrossentropy`` (target term only) drops. ``alpha=None``: both terms weigh 1
    (Lin et al.'s focal loss without alpha). ``p`` is clipped to [eps, 1 - eps]. ``keras.ops``
    only; written by hand because no Keras loss has the non-target term.
    """

    def __init__(self, alpha: Sequence[float] | None = None, gamma: float = 2.0, epsilon: float = 1e-7,
                 name: str = "focal_loss_eq2", reduction: str = "sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if alpha is not None and any(not 0.0 <= float(a) <= 1.0 for a in alpha):
            raise ValueError(f"FocalLossEq2: every alpha must lie in [0, 1] (Sec. 3.4), got {list(alpha)}")
        self.alpha = None if alpha is None else [float(a) for a in alpha]
        self.gamma = float(gamma)
        self.epsilon = float(epsilon)

    def call(self, y_true, y_pred):
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        p = ops.clip(y_pred, self.epsilon, 1.0 - self.epsilon)
        if self.alpha is None:
            weight_target, weight_other = 1.0, 1.0
        else:
            weight_target = ops.convert_to_tensor(self.alpha, dtype=p.dtype)
            weight_other = 1.0 - weight_target
        target = -weight_target * ops.power(1.0 - p, self.gamma) * ops.log(p)
        other = -weight_other * ops.power(p, self.gamma) * ops.log(1.0 - p)
        return ops.sum(y_true * target + (1.0 - y_true) * other, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma, "epsilon": self.epsilon}


def focal_loss(train_labels: np.ndarray, num_classes: int, config: AouayebConfig) -> keras.losses.Loss:
    """The focal loss of Sec. 3.4 with per-class alpha and the configured gamma.

    ``loss.form="eq2"`` (paper): ``FocalLossEq2``, Eq. 2 as printed. ``"keras"`` (quick/smoke,
    ledger #10): ``CategoricalFocalCrossentropy``, the target term only; there alpha normalised to
    sum 1 only rescales each class's gradient.
    """
    if config.loss.alpha == "inverse_frequency":
        alpha = focal_alpha(train_labels, num_classes)
    elif config.loss.alpha == "none":
        alpha = None
    else:
        raise ValueError(f"loss.alpha={config.loss.alpha!r}: expected 'inverse_frequency' or 'none'")
    if config.loss.form == "eq2":
        return FocalLossEq2(alpha=alpha, gamma=config.loss.gamma)
    if config.loss.form != "keras":
        raise ValueError(f"loss.form={config.loss.form!r}: expected 'eq2' (Sec. 3.4 as printed) or 'keras'")
    # DEVIATION (quick/smoke only, ledger #10): Keras's focal loss keeps only Eq. 2's target term.
    return keras.losses.CategoricalFocalCrossentropy(alpha=[1.0] * num_classes if alpha is None else alpha,
                                                     gamma=config.loss.gamma)


# ---------------------------------------------------------------------------------------------
# Selection and folds


def select(datasets: Mapping[str, list[Sample]], config: AouayebConfig) -> Selection:
    """The MEGC 2019 composite (Table 1): every sample, labelled 0 negative, 1 positive, 2 surprise."""
    samples = list(datasets["megc2019"])
    labels = []
    for sample in samples:
        if sample.emotion not in CLASSES:
            raise AouayebInputError(f"{sample.key}: emotion {sample.emotion!r} is not a MEGC 2019 composite class "
                                    f"(expected one of {', '.join(CLASSES)})")
        labels.append(CLASSES.index(sample.emotion))
    return Selection(samples=tuple(samples), labels=np.array(labels, dtype=int), class_names=CLASSES)


def folds(selection: Selection, config: AouayebConfig, seed: int) -> list[Fold]:
    """Sec. 4.1.3: leave-one-subject-out over the composite's subjects (68 on the real data)."""
    from common.evaluation.splits import megc_loso

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


# ---------------------------------------------------------------------------------------------
# The fold


# speed, no change to the method: the seven compiled networks are kept across folds
# (``common.training.compiled_like``): each fold still builds them afresh under the same seeds and
# copies that start into the kept ones, so the numbers are those of compiling every fold, without
# tracing the train and predict functions again (about 2-3 s of CPU per network and fold).
# False: build and compile every fold as before (the test compares both).
REUSE_COMPILED = True
_OUTPUTS: dict[int, tuple[keras.Model, keras.Model]] = {}  # id(region CNN) -> (CNN, [features, probabilities] model)


def _features_and_probabilities(cnn: keras.Model) -> keras.Model:
    """One model giving the 20-d ``spatial_feature`` (Sec. 3.2) and the region softmax: one pass per frame."""
    kept = _OUTPUTS.get(id(cnn))
    if kept is not None and kept[0] is cnn:
        return kept[1]
    both = keras.Model(cnn.inputs, [feature_extractor(cnn).outputs[0], cnn.outputs[0]], name=f"{cnn.name}_outputs")
    if REUSE_COMPILED:
        _OUTPUTS[id(cnn)] = (cnn, both)
    return both


def _predict_in_batches(model: keras.Model, inputs, batch_size: int = 256) -> list[np.ndarray]:
    """``model(x, training=False)`` batch by batch, each output concatenated: the arrays ``predict`` gives.

    Called eagerly, not through ``model.predict`` (``common.running.fold.predict_probabilities``):
    a kept model's traced predict function would be traced again for every new last-batch shape
    (every fold has its own frame and clip counts), which is what TensorFlow's retracing warnings
    reported. Same layers, same weights.
    """
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    n = len(inputs[0])
    chunks = []
    for start in range(0, n, batch_size):
        batch = [x[start: start + batch_size] for x in inputs]
        out = model(batch, training=False)  # a list, as the functional model's inputs are
        chunks.append([keras.ops.convert_to_numpy(o) for o in (out if isinstance(out, (list, tuple)) else [out])])
    return [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]


class _Clock:
    """Wall and process-CPU seconds per stage of one fold (``FoldOutcome.extra["seconds"]``)."""

    def __init__(self):
        self.seconds: dict[str, list[float]] = {}
        self._mark = (time.perf_counter(), time.process_time())

    def lap(self, stage: str) -> float:
        """Add the time since the previous lap to ``stage``; returns the wall clock (``perf_counter``) now."""
        now = (time.perf_counter(), time.process_time())
        total = self.seconds.setdefault(stage, [0.0, 0.0])
        total[0] += now[0] - self._mark[0]
        total[1] += now[1] - self._mark[1]
        self._mark = now
        return now[0]

    def report(self) -> dict[str, dict[str, float]]:
        return {stage: {"wall": round(w, 3), "cpu": round(c, 3)} for stage, (w, c) in self.seconds.items()}


def _frame_labels(labels: np.ndarray, lengths: Mapping[int, int], clips: np.ndarray, region: int,
                  config: AouayebConfig) -> np.ndarray:
    """Region ``region``'s label of every frame of ``clips`` (Sec. 3.2: each frame carries its clip's label,
    "not me" where the region does not express it, Fig. 3)."""
    frames = np.concatenate([np.full(lengths[i], labels[i]) for i in clips])
    return region_labels(frames, region, config.model.not_me)


def kept_across_folds(config: AouayebConfig) -> bool:
    """Whether ``run_fold``'s networks are kept compiled across folds (``compiled_like``), so that only the
    first fold traces their train functions (``TrainingStage.traced_once``): with ``REUSE_COMPILED``, on
    TensorFlow, and with Keras's focal loss (``loss.form="keras"``, quick/smoke), whose alpha
    ``compiled_like`` holds in a variable. ``FocalLossEq2`` (``loss.form="eq2"``, the paper profile) keeps
    its alpha as constants of the graph: ``compiled_like`` then compiles, and the fold traces, every network
    afresh in every fold (the numbers are the same either way)."""
    return REUSE_COMPILED and keras.backend.backend() == "tensorflow" and config.loss.form == "keras"


# ---------------------------------------------------------------------------------------------
# Stage 1 as one graph (``model.train_regions_together``)

REGION_LOSS = "region_loss"  # the per-output metric holding each region's focal loss (see together_metrics)


def regions_together(cnns: Sequence[keras.Model]) -> keras.Model:
    """The region CNNs as ONE Keras model: input k feeds CNN k (nested as it is, so its weights are the same
    objects and its parameter count unchanged), output k is CNN k's softmax (output name: the CNN's name).

    Compiled with one loss per output (loss weights 1: Keras sums them), the gradient of the sum
    with respect to CNN k's parameters is CNN k's own loss's gradient (the parameters are disjoint), and
    Adam (or SGD) updates each parameter from its own gradient alone: every CNN gets the updates separate
    training gives on the same batches. Their dropout layers keep their own seed states, so the masks are
    separate training's too (``tests/test_aouayeb2019.py`` compares the weights).
    """
    inputs = [keras.Input(shape=tuple(cnn.input_shape[1:]), name=f"{cnn.name}_input") for cnn in cnns]
    return keras.Model(inputs, [cnn(x) for cnn, x in zip(cnns, inputs)], name="region_cnns_together")


def together_metrics(losses: Sequence[keras.losses.Loss]) -> list[list]:
    """Per output: ``accuracy`` and the output's own loss as a metric (``REGION_LOSS``), the per-epoch mean
    over samples that separate training reports as ``loss``. Keras's own per-output loss entries weigh a
    partial last batch as a full one (measured: Keras 3.15), which would make the histories differ."""
    return [["accuracy", keras.metrics.MeanMetricWrapper(loss.call, name=REGION_LOSS)] for loss in losses]


def fit_regions_together(model: keras.Model, x_train: Sequence[np.ndarray], y_train: Sequence[np.ndarray],
                         num_labels: int, cfg, *, work_dir=None,
                         label: str = "stage1_together") -> list[dict[str, list[float]]]:
    """One ``common.training.fit`` of :func:`regions_together` (compiled with one focal loss per region and
    :func:`together_metrics`) on the frames' six crops and six label arrays: one shuffle order for the six.
    Returns each region's history under the keys separate training gives (``loss``, ``accuracy``)."""
    hist = fit(model, list(x_train), [one_hot(y, num_labels) for y in y_train], cfg, work_dir=work_dir, label=label)
    return [{"loss": hist[f"{name}_{REGION_LOSS}"], "accuracy": hist[f"{name}_accuracy"]}
            for name in model.output_names]


# ---------------------------------------------------------------------------------------------
# The test clips' path, shared by run_fold and predict_clips


def region_input(clips: Sequence[Sequence[np.ndarray]], r: int, config: AouayebConfig) -> np.ndarray:
    """Region r's crop of every frame of ``clips`` (each clip's six region arrays, :func:`clip_regions`), as the
    CNN sees it: "none" (Sec. 3.2) or "minus_first_frame" (quick/smoke, ledger #16), clip after clip."""
    return np.concatenate([cnn_input(regions[r], config.data.motion_input) for regions in clips])


def spatial_features(cnn: keras.Model, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sec. 3.2: "we remove the last layers of the FCL and save the results as the spatial features": the
    20-d features and the region softmax of ``frames`` (one forward pass per frame)."""
    feats, probs = _predict_in_batches(_features_and_probabilities(cnn), frames)
    return feats, probs


def split_frames(rows: np.ndarray, lengths: Sequence[int]) -> list[np.ndarray]:
    """``rows`` (one per frame, clip after clip) cut into the clips' ``lengths``."""
    return np.split(rows, np.cumsum(lengths)[:-1]) if len(lengths) else []


def lstm_inputs(clips: Sequence[Sequence[np.ndarray]], config: AouayebConfig) -> list[np.ndarray]:
    """Sec. 3.3: the six LSTMs' inputs of ``clips`` (each six (T, 20) normalised feature sequences), zero-padded
    to ``data.seq_len``."""
    return [pad_features([clip[r] for clip in clips], config) for r in range(NUM_REGIONS)]


def stage2_probabilities(lstm: keras.Model, clips: Sequence[Sequence[np.ndarray]], scale,
                         config: AouayebConfig) -> np.ndarray:
    """The class probabilities of ``clips`` (each its six (T, 20) spatial-feature sequences from stage 1): the
    fold's feature normalisation (``scale``: :func:`feature_scale` of its training clips), the padding, the
    LSTM stage's forward pass. ``run_fold``'s test clips and ``predict_clips`` both."""
    mode = config.data.feature_normalisation
    (probabilities,) = _predict_in_batches(lstm, lstm_inputs([normalise_clip(c, scale, mode) for c in clips], config))
    return probabilities


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Stage 1 (six region CNNs) then stage 2 (six LSTMs + FCL) on the fold's training clips.

    Inputs: the six region crops of every clip the fold uses (:func:`clip_regions`, cached per clip).
    Stage 1 (Sec. 3.2): each region CNN learns its region labels from the training clips' frames;
    its 20-d ``spatial_feature`` of every frame (training and test clips) is kept. Stage 2 (Sec. 3.3):
    the six padded feature sequences of each training clip train the LSTM stage, which predicts the
    test clips. Both losses: the focal loss of Sec. 3.4 with alpha from the fold's training labels.
    ``set_seed(seed + k)`` before building network k (k = region, 6 for the LSTM stage) keeps each
    network's start independent of the others' training. ``model.train_regions_together`` (an
    option): the six CNNs so built are trained in one fit as :func:`regions_together` (the same updates,
    one shuffle order for the six); features, histories and parameters are per CNN as without it.
    """
    started = time.perf_counter()
    clock = _Clock()
    config: AouayebConfig = ctx.config
    selection, fold = ctx.selection, ctx.fold
    if not REUSE_COMPILED:
        keras.backend.clear_session()
    train_idx, test_idx = np.asarray(fold.train, dtype=int), np.asarray(fold.test, dtype=int)
    used = np.concatenate([train_idx, test_idx])
    # Inputs of every clip the fold uses (cached per clip, shared by all folds).
    regions = {int(i): clip_regions(selection.samples[i], config, ctx.cache_dir) for i in used}
    lengths = {i: len(regions[i][0]) for i in regions}
    y_clip = selection.labels
    history: dict[str, list[float]] = {}
    parameters: dict[str, int] = {}
    stage1_accuracy: dict[str, float] = {}  # region -> test-frame accuracy of its CNN (a diagnostic)
    extra: dict[str, object] = {"train_clips": class_counts(selection, train_idx),
                                "stage1_test_frame_accuracy": stage1_accuracy}
    fit_started = clock.lap("regions")

    # Stage 1 (Sec. 3.2): one CNN per region on the frames of the training clips.
    features: dict[int, list[np.ndarray]] = {i: [] for i in regions}  # clip -> list of (T, 20) per region
    test_frames = sum(lengths[i] for i in test_idx)  # ``used`` ends with the test clips

    def region_frames(r: int) -> np.ndarray:
        """Region r's crop of every frame of the fold (:func:`region_input`), the training clips' frames first."""
        return region_input([regions[i] for i in used], r, config)

    trained: dict[int, tuple[keras.Model, np.ndarray, dict]] = {}  # region -> (CNN, its frames, its history)
    if config.model.train_regions_together:
        # The six CNNs, built as below (same seeds), trained as one graph on the sum of their six
        # focal losses, in one fit over the same frames: the updates of separate training on the same batches.
        # DEVIATION (option, off in every profile; ledger #21): one shuffle order shared by the six CNNs
        # instead of six; the paper states no batch order.
        x_regions = [region_frames(r) for r in range(NUM_REGIONS)]
        y_regions = [_frame_labels(y_clip, lengths, train_idx, r, config) for r in range(NUM_REGIONS)]
        fresh = []
        for r in range(NUM_REGIONS):
            set_seed(ctx.seed + r)
            fresh.append(build_region_model(config=config, region=r))
        losses = [focal_loss(y, config.model.region_labels, config) for y in y_regions]
        together = compiled_like(("aouayeb2019", "region_cnns_together", tuple(tuple(c.input_shape[1:]) for c in fresh),
                                  config.model, config.data.input_scale, config.stage1),
                                 regions_together(fresh), config.stage1, loss=losses,
                                 metrics=together_metrics(losses),
                                 reuse=REUSE_COMPILED)
        clock.lap("stage1_build")
        hists = fit_regions_together(together, [x[: len(x) - test_frames] for x in x_regions], y_regions,
                                     config.model.region_labels, config.stage1, work_dir=ctx.work_dir,
                                     label="stage1_together")
        clock.lap("stage1_fit")
        for r in range(NUM_REGIONS):
            trained[r] = (together.get_layer(f"region_cnn_{r}"), x_regions[r], hists[r])
        del x_regions
    for r in range(NUM_REGIONS):
        if r in trained:
            cnn, x_all, hist = trained.pop(r)
            n_train = len(x_all) - test_frames
        else:
            set_seed(ctx.seed + r)
            x_all = region_frames(r)
            x_train = x_all[: len(x_all) - test_frames]
            y_train = _frame_labels(y_clip, lengths, train_idx, r, config)
            fresh = build_region_model(config=config, region=r)
            cnn = compiled_like(("aouayeb2019", "region_cnn", r, tuple(fresh.input_shape[1:]), config.model,
                                 config.data.input_scale, config.stage1),
                                fresh, config.stage1, loss=focal_loss(y_train, config.model.region_labels, config),
                                reuse=REUSE_COMPILED)
            clock.lap("stage1_build")
            hist = fit(cnn, x_train, one_hot(y_train, config.model.region_labels), config.stage1,
                       work_dir=ctx.work_dir, label=f"stage1_r{r}")
            clock.lap(f"stage1_fit_r{r}")
            n_train = len(y_train)
            del x_train
        history.update({f"stage1_r{r}_{k}": v for k, v in hist.items()})
        parameters[f"region_cnn_{r}"] = trainable_parameters(cnn)
        # Sec. 3.2: "we remove the last layers of the FCL and save the results as the spatial features";
        # the region softmax of the test frames (a diagnostic) comes from the same forward pass.
        feats, probs = spatial_features(cnn, x_all)
        probs = probs[len(x_all) - test_frames:]
        clock.lap(f"stage1_features_r{r}")
        y_test_frames = _frame_labels(y_clip, lengths, test_idx, r, config)
        stage1_accuracy[f"r{r}"] = float(np.mean(probs.argmax(1) == y_test_frames))
        for i, part in zip(used, split_frames(feats, [lengths[i] for i in used])):
            if len(features[i]) == r:  # once per clip: an export fold's clips are both training and test clips
                features[i].append(part)
        if ctx.export is not None:  # an export keeps every network the prediction needs
            ctx.export.keep(f"region_cnn_{r}", cnn)
        logger.info(f"  stage 1 region {r}: {n_train} training frames, last epoch's training loss "
                    f"{hist.get('loss', [float('nan')])[-1]:.4f}")
        del x_all, feats

    # Stage 2 (Sec. 3.3): six sequences of 20-d features per clip, zero-padded to seq_len.
    mode = config.data.feature_normalisation
    scale = feature_scale(features, train_idx, mode)  # from the training clips only
    if ctx.export is not None:
        ctx.export.record("feature_scale", None if scale is None else [s.tolist() for s in scale])

    set_seed(ctx.seed + NUM_REGIONS)
    fresh = build_model(config=config, num_classes=n_classes(ctx))
    y_train_clips = y_clip[train_idx]
    lstm = compiled_like(("aouayeb2019", "lstm_stage", config.data.seq_len, config.model, config.stage2), fresh,
                         config.stage2, loss=focal_loss(y_train_clips, n_classes(ctx), config), reuse=REUSE_COMPILED)
    x_train_clips = lstm_inputs([normalise_clip(features[i], scale, mode) for i in train_idx], config)
    clock.lap("stage2_build")
    test_clips = [features[i] for i in test_idx]
    # The gauge watches the network that makes the fold's prediction: the LSTM stage (docs/methods.md §9.4),
    # after every epoch, through the traced predict function (predict_on_batches): the eager call that
    # stage2_probabilities makes once costs about 0.1 s an epoch for six LSTMs, a tenth of the demo's time.
    test_inputs = lstm_inputs([normalise_clip(c, scale, mode) for c in test_clips], config)
    recorder = epoch_recorder(ctx, lambda trained: predict_on_batches(trained, test_inputs, batch_size=256))
    hist = fit(lstm, x_train_clips, one_hot(y_train_clips, n_classes(ctx)), config.stage2,
               work_dir=ctx.work_dir, label="stage2", epoch_predictions=recorder)
    predict_started = clock.lap("stage2_fit")
    history.update({f"stage2_{k}": v for k, v in hist.items()})
    parameters["lstm_stage"] = trainable_parameters(lstm)
    if ctx.export is not None:
        ctx.export.keep("lstm_stage", lstm)
    probabilities = stage2_probabilities(lstm, test_clips, scale, config)
    predict_ended = clock.lap("stage2_predict")
    logger.info(f"  stage 2: {len(train_idx)} training clips, last epoch's training loss "
                f"{hist.get('loss', [float('nan')])[-1]:.4f}")
    extra["seconds"] = clock.report()
    # The benchmark's cost columns: "predict" is the LSTM stage's pass (the test clips' features come
    # from stage 1's feature pass over every frame of the fold, counted with the training).
    extra["timing"] = timing_extra(fit_started, predict_started, predict_ended, len(test_idx), started)
    extra.update(epoch_extra(recorder, "lstm_stage"))
    return outcome(ctx, probabilities, history, parameters, started, extra)  # a NaN loss: the runner's "nan"


# ---------------------------------------------------------------------------------------------
# --export / --predict hooks


def predict_clips(ctx: PredictContext) -> np.ndarray:
    """``Experiment.predict_clips``: the probabilities of ``ctx.samples`` as ``run_fold`` predicts its test
    clips: the six region crops (:func:`clip_regions`), each region CNN's spatial features of every frame
    (:func:`region_input`, :func:`spatial_features`), then :func:`stage2_probabilities` with the export
    fold's ``feature_scale``. Models: ``region_cnn_0`` .. ``region_cnn_5`` and ``lstm_stage``."""
    config: AouayebConfig = ctx.config
    regions = [clip_regions(sample, config, ctx.cache_dir) for sample in ctx.samples]
    lengths = [len(clip[0]) for clip in regions]
    features: list[list[np.ndarray]] = [[] for _ in regions]
    for r in range(NUM_REGIONS):
        feats, _ = spatial_features(ctx.models[f"region_cnn_{r}"], region_input(regions, r, config))
        for clip, part in zip(features, split_frames(feats, lengths)):
            clip.append(part)
    scale = ctx.state.get("feature_scale")
    scale = None if scale is None else [np.asarray(s, dtype=np.float32) for s in scale]
    return stage2_probabilities(ctx.models["lstm_stage"], features, scale, config)


def _canvas_boxes_in_frame(points: np.ndarray, config: AouayebConfig) -> list[tuple[float, float, float, float]]:
    """The authors' fixed canvas boxes (``data.regions="canvas"``) mapped back onto the frame: the letterbox's
    scale (``data.fit_face`` enlargement, then ``thumbnail``'s shrink) and offset undone (to a pixel or so)."""
    left, top, right, bottom = face_box(points)
    width, height = max(right - left, 1), max(bottom - top, 1)
    enlarge = min(CANVAS_SIZE[0] / width, CANVAS_SIZE[1] / height) if config.data.fit_face else 1.0
    enlarge = max(enlarge, 1.0)
    shrink = min(1.0, CANVAS_SIZE[0] / (width * enlarge), CANVAS_SIZE[1] / (height * enlarge))
    scale = enlarge * shrink
    off_x = np.ceil((CANVAS_SIZE[0] - width * scale) / 2)
    off_y = np.ceil((CANVAS_SIZE[1] - height * scale) / 2)
    return [(left + (b.x1 - off_x) / scale, top + (b.y1 - off_y) / scale, left + (b.x2 - off_x) / scale,
             top + (b.y2 - off_y) / scale) for b in CANVAS_REGIONS]


def predict_views(ctx: PredictContext, i: int) -> PredictViews:
    """``Experiment.predict_views``: the frames used, the face box and the six regions of Sec. 3.1 on the first
    frame (placed by its 68 landmarks), and each region's crop as its CNN saw it at the frame nearest the apex."""
    config: AouayebConfig = ctx.config
    sample = ctx.samples[i]
    used = frame_indices(len(sample.frames), config.data.frames_per_clip)
    points = sample_landmarks(sample, mode="first").points[0]  # Sec. 3.1: the first frame's 68 points
    boxes: Sequence[tuple[float, float, float, float]]
    if config.data.regions == "landmarks":
        boxes = landmark_boxes(points, config.data.region_margin)
        notes = ["regions placed on the first frame's landmarks (Sec. 3.1)"]
    else:
        boxes = _canvas_boxes_in_frame(points, config)
        notes = ["regions: the authors' fixed boxes in the 240 x 280 letterboxed face, drawn back on the frame"]
    regions = tuple((region.name, np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=float))
                    for region, (left, top, right, bottom) in zip(CANVAS_REGIONS, boxes))
    crops = clip_regions(sample, config, ctx.cache_dir)
    k = int(np.argmin(np.abs(used - sample.apex_position)))
    inputs = []
    for region, crop in zip(CANVAS_REGIONS, crops):
        seen = cnn_input(crop, config.data.motion_input)[k][..., :3]
        if config.data.motion_input == "minus_first_frame":  # signed change, shown about mid-grey
            seen = np.clip(128 + seen.mean(axis=-1), 0, 255)
        inputs.append((f"{region.name} (frame {sample.frame_numbers[int(used[k])]})", seen.astype(np.uint8)))
    if config.data.motion_input == "minus_first_frame":
        notes.append("region inputs: each crop minus the clip's first crop (quick/smoke), shown about mid-grey")
    notes.append(f"{len(used)} frames, features zero-padded to {config.data.seq_len} (Sec. 4.1.2)")
    return PredictViews(frames=tuple(int(f) for f in used), face_box=face_box(points),  # face_box: ints
                        regions=regions, inputs=tuple(inputs), notes=tuple(notes))


def frame_rate(config: AouayebConfig) -> FrameRateNeed:
    """``Experiment.frame_rate``: every frame of a clip feeds the LSTM stage (Sec. 3.1), its sequence padded
    or cut to ``data.seq_len`` frames (Sec. 4.1.2) whatever the rate. Any rate is taken."""
    data = config.data
    sampled = (f"; {data.frames_per_clip} frames are sampled uniformly per clip (data.frames_per_clip)"
               if data.frames_per_clip else "")
    return FrameRateNeed(in_frames=(f"every frame feeds the LSTM (Sec. 3.1), zero-padded or cut ({data.truncating}) to "
                                    f"{data.seq_len} frames (Sec. 4.1.2) whatever the rate{sampled}"))


# ---------------------------------------------------------------------------------------------
# --estimate


def training_stages(config: AouayebConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """What one fold trains: the six region CNNs (stage 1, each on every frame of the fold's training
    clips, after ``data.frames_per_clip``; with ``model.train_regions_together`` one model of the six,
    ``region_cnns_together``, on the same frames) and the LSTM stage (stage 2, one sequence set per training
    clip). ``traced_once`` where ``run_fold`` keeps the compiled networks across folds (:func:`kept_across_folds`)."""
    train_idx = np.asarray(fold.train, dtype=int)
    lengths = {int(i): len(frame_indices(len(selection.samples[i].frames), config.data.frames_per_clip))
               for i in train_idx}
    frames = int(sum(lengths.values()))
    # the feature pass after stage 1 runs over every frame of the fold (Sec. 3.2), the test clips' too
    passed = frames + sum(len(frame_indices(len(selection.samples[int(i)].frames), config.data.frames_per_clip))
                          for i in fold.test)
    num_classes = len(selection.class_names)
    kept = kept_across_folds(config)

    def region_loss(r: int) -> keras.losses.Loss:
        return focal_loss(_frame_labels(selection.labels, lengths, train_idx, r, config), config.model.region_labels,
                          config)

    stages = []
    if config.model.train_regions_together:
        def build_together():
            losses = [region_loss(r) for r in range(NUM_REGIONS)]
            cnns = [build_region_model(config=config, region=r) for r in range(NUM_REGIONS)]
            return compile_model(regions_together(cnns), config.stage1, loss=losses,
                                 metrics=together_metrics(losses))
        stages.append(TrainingStage(model="region_cnns_together", build=build_together, samples=frames,
                                    epochs=config.stage1.epochs, batch_size=config.stage1.batch_size, traced_once=kept,
                                    predict_samples=passed))
    else:
        for r in range(NUM_REGIONS):
            def build(r=r):
                return compile_model(build_region_model(config=config, region=r), config.stage1, loss=region_loss(r))
            stages.append(TrainingStage(model=f"region_cnn_{r}", build=build, samples=frames,
                                        epochs=config.stage1.epochs, batch_size=config.stage1.batch_size,
                                        traced_once=kept, predict_samples=passed))

    def build_lstm():
        return compile_model(build_model(config=config, num_classes=num_classes), config.stage2,
                             loss=focal_loss(selection.labels[train_idx], num_classes, config))
    stages.append(TrainingStage(model="lstm_stage", build=build_lstm, samples=len(train_idx),
                                epochs=config.stage2.epochs, batch_size=config.stage2.batch_size, traced_once=kept))
    return stages


# --preprocess-workers: the cached regions of every clip the folds read (common.running.first_pass)
first_pass = per_clip(clip_regions)


def preprocess_clip(sample: Sample, config: AouayebConfig) -> list[np.ndarray]:
    """The per-clip preprocessing ``run_fold`` caches (:func:`clip_regions`), computed uncached."""
    return region_crops(sample, config)


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
