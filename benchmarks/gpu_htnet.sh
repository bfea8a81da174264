#!/usr/bin/env bash
# HTNet (wang2024 `paper`) on the authors' released inputs, on a lent card, a bounded time at a time: every fold
# that finishes is shipped into docs/predictions/wang2024-paper-seed0.folds/ (benchmarks/gpu_check.py, part 4),
# and the next call resumes from the folds shipped there (they are not trained again). When all 68 are in, the
# run's predictions.csv is written beside them as docs/predictions/wang2024-paper-seed0.csv, with its per-epoch
# record as wang2024-paper-seed0.epochs.csv.
#
# Two steps, the first on this (CPU) machine, the second on the card:
#
#   benchmarks/gpu_htnet.sh prepare [RELEASED]
#       RELEASED: HTNet's released tree (default ../shared/released/htnet). Writes .gpu/ (git-ignored, about
#       10 MB): htnet.tar (the released inputs; a tar keeps the files' modification times, which the stage cache's
#       keys hold), cache/ (HTNet's five points of every apex crop, found by the Keras MTCNN, which needs the
#       TensorFlow of .venv: the card has none) and whl/ (Keras, the two packages it needs and simplejpeg, which the
#       card's image lacks). About a minute of CPU. The stage cache's keys also hold the suite's source (every .py
#       file under common/ and papers/, recorded in .gpu/source.sha256): prepare again after any change to it, or
#       run refuses at once (the card would otherwise find none of the points in the cache).
#
#   then the device tool's run, one call (its 10-minute limit; the session's 15 minutes of card time):
#       command:   bash benchmarks/gpu_htnet.sh run
#       carry:     [".gpu"]
#       timeout_s: 600
#   It trains for HTNET_SECONDS (default 420) with HTNET_WORKERS processes sharing the card (default 5), XLA's
#   settings HTNET_XLA_FLAGS (default: matrix products on cuBLAS, not autotuned Triton fusions; see below), stops
#   the run (the folds finished are kept), and returns in $OUT: wang2024-paper-seed0.tar (the shipped folds, and
#   the two csv once complete), gpu_htnet.log (this script's output) and run.log (run_all.py's). Then, here:
#       tar -xf FILES_AT/wang2024-paper-seed0.tar -C docs/predictions
#       .venv/bin/python benchmarks/reproductions.py --readme   # docs/reproductions.md's HTNet block, scored anew
#       git add docs/predictions/wang2024-paper-seed0.folds; git commit -m "..." -- docs/predictions/wang2024-paper-seed0.* \
#           docs/reproductions.md README.md docs/reproductions.png
#   (FILES_AT: the reply's files_at). A fresh card compiles for about 4 min 40 s before its first folds finish,
#   then a fold takes about a minute a worker: on an H100 (2026-11-27) a fresh call shipped 6 folds in 420 s, and a
#   second call on the still-warm machine 15 in 300 s (docs/performance.md, "HTNet on a lent card").
#   A fresh card's JAX compilation cache (26 to 31 MB) stays on that card: it does not come back, and a later card
#   starts without it (the tree, 21 MiB on 2026-11-27 and growing as folds land, and .gpu/, 11 MiB, would leave
#   room to carry it, but nothing outside the repository is kept from one session to the next). So make a
#   session's second call at once, on the warm machine (it is given back after 30 s idle): untar the first call's
#   folds here, then run again with HTNET_SECONDS about 100 s under the budget_left_s the first reply gave, and
#   timeout_s about 90 s over it.
#   Those times are of XLA's default settings, whose autotuning of Triton GEMM fusions is the usual cause of such
#   compiles; no card has yet run the cuBLAS default (HTNET_XLA_FLAGS). The first that does: compare its first and
#   its steady folds' times (run.log) with these, and say so in docs/performance.md; where its steady folds take
#   longer than about a minute a worker, make the second call with HTNET_XLA_FLAGS= (empty: XLA's defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
GPU=.gpu
NAME=wang2024-paper-seed0

case "${1:-}" in
prepare)
    released="${2:-../shared/released/htnet}"
    [ -f "$released/combined_3_class2_for_optical_flow.csv" ] || {
        echo "gpu_htnet.sh: $released: expected HTNet's released tree (combined_3_class2_for_optical_flow.csv)" >&2
        exit 2
    }
    rm -rf "$GPU"
    mkdir -p "$GPU/whl" "$GPU/data"
    # the tree as htnet/ in the tar, whatever its folder's name here (a clone named HTNet, say): run reads that name
    (cd "$released" && tar -cf - --transform 's,^\.,htnet,' .) >"$GPU/htnet.tar"
    tar -xf "$GPU/htnet.tar" -C "$GPU/data"  # the copy whose modification times the card's copy will have
    MERSUITE_CACHE="$PWD/$GPU/cache" .venv/bin/python benchmarks/gpu_check.py --fill-points --released "$GPU/data/htnet"
    rm -rf "$GPU/data"
    keras=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('keras'))")
    namex=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('namex'))")
    optree=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('optree'))")
    simplejpeg=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('simplejpeg'))")
    # the card machine's image: Python 3.12 on x86-64
    .venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$GPU/whl" "keras==$keras" "namex==$namex" "optree==$optree" "simplejpeg==$simplejpeg"
    .venv/bin/python -c "from common.preprocessing.cache import source_digest; print(source_digest())" \
        >"$GPU/source.sha256"
    du -sh "$GPU"
    ;;
run)
    [ -f "$GPU/htnet.tar" ] && [ -d "$GPU/cache" ] || {
        echo "gpu_htnet.sh: $GPU/ is missing or incomplete: run 'benchmarks/gpu_htnet.sh prepare' first, then carry .gpu" >&2
        exit 2
    }
    : "${OUT:?gpu_htnet.sh run: OUT, the folder of files the device tool returns, is not set}"
    source=$(python3 -c "from common.preprocessing.cache import source_digest; print(source_digest())" 2>&1) || {
        echo "gpu_htnet.sh: cannot compute this tree's source digest: $(echo "$source" | tail -1)" \
            | tee "$OUT/gpu_htnet.log" >&2
        exit 2
    }
    [ "$source" = "$(cat "$GPU/source.sha256" 2>/dev/null)" ] || {
        echo "gpu_htnet.sh: $GPU/cache was filled by other code than this tree's (common/ or papers/ changed since" \
            "'prepare'): run 'benchmarks/gpu_htnet.sh prepare' again, then carry .gpu" | tee "$OUT/gpu_htnet.log" >&2
        exit 2
    }
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$GPU"/whl/*.whl
    export PYTHONPATH=/tmp/site KERAS_BACKEND="${KERAS_BACKEND:-jax}" PYTHONUNBUFFERED=1
    export MERSUITE_CACHE="$PWD/$GPU/cache" JAX_COMPILATION_CACHE_DIR=/tmp/jax-compilation-cache
    # XLA's compiler settings (HTNET_XLA_FLAGS; empty: XLA's defaults). By default every matrix product goes to
    # cuBLAS instead of XLA's Triton GEMM fusions, whose autotuning is the usual cause of minutes-long GPU
    # compiles: a fresh card spent about 4 min 40 s compiling HTNet's steps before its first folds, and a fold
    # with a partial batch of a new size about 50 s more (docs/performance.md). The products stay float32 under
    # JAX's default precision (TF32 on the card) either way: only the kernels that compute them differ. A flag
    # this JAX does not know would abort every worker, so a one-line product checks them first and the run goes
    # on with XLA's defaults if they fail.
    xla_flags="${HTNET_XLA_FLAGS---xla_gpu_enable_triton_gemm=false}"
    if [ -n "$xla_flags" ] && ! XLA_FLAGS="$xla_flags" python3 -c \
            "import jax.numpy as j; print(float((j.ones((64, 64)) @ j.ones((64, 64))).sum()))" >/dev/null 2>&1; then
        echo "gpu_htnet.sh: XLA_FLAGS='$xla_flags' refused by this JAX; running with XLA's defaults" | tee "$OUT/gpu_htnet.log"
        xla_flags=""
    fi
    export XLA_FLAGS="$xla_flags"
    echo "XLA_FLAGS='$XLA_FLAGS'" | tee -a "$OUT/gpu_htnet.log"
    mkdir -p /tmp/htnet-data
    tar -xf "$GPU/htnet.tar" -C /tmp/htnet-data
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    status=0
    python3 benchmarks/gpu_check.py --released-only --released /tmp/htnet-data/htnet \
        --workers "${HTNET_WORKERS:-5}" --time-limit "${HTNET_SECONDS:-420}" --out /tmp/htnet-run \
        2>&1 | tee -a "$OUT/gpu_htnet.log" || status=$?
    cp /tmp/htnet-run/released/run.log "$OUT/run.log" 2>/dev/null || true
    mkdir -p "docs/predictions/$NAME.folds"
    files=("$NAME.folds")
    [ -f "docs/predictions/$NAME.csv" ] && files+=("$NAME.csv")
    [ -f "docs/predictions/$NAME.epochs.csv" ] && files+=("$NAME.epochs.csv")
    tar -cf "$OUT/$NAME.tar" -C docs/predictions "${files[@]}"
    echo "$(ls docs/predictions/$NAME.folds | wc -l) fold(s) in $OUT/$NAME.tar; exit $status"
    exit "$status"
    ;;
*)
    echo "usage: benchmarks/gpu_htnet.sh prepare [RELEASED] | run   (the header of this file)" >&2
    exit 2
    ;;
esac
