#!/usr/bin/env python
"""Training throughput of every model of every paper at its paper input size and batch size:
samples per second and the fraction of this device's float32 matmul rate, on the current Keras
backend, or side by side on several backends.

    .venv/bin/python benchmarks/bench_models.py                                   # every model, this backend
    .venv/bin/python benchmarks/bench_models.py --papers talluri2022 reddy2019    # the 3D CNNs
    .venv/bin/python benchmarks/bench_models.py --backends tensorflow jax torch --papers talluri2022

Models: each paper's ``PAPER.models``, built one at a time by ``build_paper_model`` (the networks at
the paper's sizes, the ones the parameter-count tests check) with the paper's own training recipe
(``recipe(paper_id, model_name)``: optimiser, batch size); loss categorical cross-entropy for all (the loss is a
negligible share of a step). Each model is timed by ``common.estimate.timing.time_model``, the code
``--estimate`` projects with: random inputs, two untimed steps (tracing, warm-up), then the median of at
least 3 ``train_on_batch`` steps; wall and process CPU time. Then the two training paths a fold takes,
each one epoch of ``--fit-steps`` batches of
random data through ``common.training.fit`` after one untimed epoch (tracing): the ``fit`` path
(``model.fit`` slicing numpy on the host) and the device path (``TrainConfig.device_data``: the arrays on
the device once, each batch gathered there); columns "fit/s" and "device/s" (samples per second).
Training FLOPs per sample: ``common.flops.training_flops`` (convolutions, Dense,
recurrent cells; forward, weight and input gradients). The matmul rate: ``common.flops.matmul_rate``
(on the CPU 2048^2 float32 through the backend; on an accelerator a device-resident 8192^2 product,
synchronised; and, for a model in mixed precision, also in its compute dtype), measured in the same
process just before each model. Two
fractions: per wall second (what a user waits for; on a shared machine other processes move both the
model's and the matmul's wall rate) and per CPU second (the model's FLOPs per second of process CPU
time over the matmul's: how well the model uses the cores it gets, hardly moved by the load; on a GPU
only the wall fraction means anything).

``--backends``: each backend runs in its own process with ``KERAS_BACKEND`` set and its own venv
(``.venv`` for TensorFlow, ``.venv-jax``, ``.venv-torch``: ``make .venv-jax/.installed``), and the
table puts them side by side. Figures are printed, never asserted (a shared machine: quote ratios).
Memory: reddy2019's FuseNets hold 177 M parameters, le2020's VGG19 139 M; a step of le2020's and
kumar2019's 224-px backbones takes 5-25 s of CPU at their paper batch sizes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENVS = {"tensorflow": ".venv", "jax": ".venv-jax", "torch": ".venv-torch"}
from papers import PAPER_IDS as PAPERS  # noqa: E402 (after the path above): every registered paper
THREE_D = ("model_a", "split_model", "model_b", "model_c", "microexpstcnn", "microexpfusenet_intermediate",
           "microexpfusenet_late")


def recipe(paper_id: str, model_name: str):
    """The paper's TrainConfig for ``model_name`` (its optimiser and batch size), from the paper's config."""
    if paper_id == "aouayeb2019":
        from papers.aouayeb2019.config import default_config
        config = default_config()
        return config.stage2 if model_name == "lstm_stage" else config.stage1  # Sec. 4.1.2: batch 244 / 64
    if paper_id == "talluri2022":
        from papers.talluri2022.config import train_config_for
        return train_config_for(model_name)  # Sec. 6
    if paper_id == "reddy2019":
        from papers.reddy2019.config import ReddyConfig
        return ReddyConfig().train  # Sec. IV-B: batch 8
    if paper_id == "le2020":
        from papers.le2020.config import Le2020Config
        return Le2020Config().train  # batch 32 (a choice; ledger)
    if paper_id == "kumar2019":
        from papers.kumar2019.config import Kumar2019Config
        return Kumar2019Config().train  # Sec. 3.5: batch 128
    from papers import get_paper
    config = get_paper(paper_id).EXPERIMENTS[0].config  # another paper: its first experiment's recipe
    if hasattr(config, "train"):
        return config.train
    raise ValueError(f"paper {paper_id!r}: no TrainConfig at EXPERIMENTS[0].config.train; add its recipe here")


def time_training_paths(model, cfg, steps: int) -> dict[str, float]:
    """Seconds per step of one epoch of ``steps`` batches through ``common.training.fit``, on the ``fit``
    path and on the device path (``TrainConfig.device_data``), each after one untimed epoch (tracing)."""
    import dataclasses
    import time

    from common.estimate.timing import one_or_list, random_batch
    from common.training import fit

    xs, ys = random_batch(model, cfg.batch_size * steps)
    x, y = one_or_list(xs), one_or_list(ys)
    seconds = {}
    for path, device_data in (("fit", False), ("device", True)):
        run = dataclasses.replace(cfg, epochs=1, one_pass=False, lr_step_epochs=0, device_data=device_data)
        fit(model, x, y, run)  # tracing, warm-up
        started = time.perf_counter()
        fit(model, x, y, run)
        seconds[path] = (time.perf_counter() - started) / steps
    return seconds


def bench_backend(papers, only, log=print, fit_steps: int = 8) -> dict:
    """Every selected model timed on the current backend: a JSON-ready dict."""
    from common.environment import device_label
    from common.estimate.timing import time_model
    from common.experiment import TrainingStage
    from common.harness import build_paper_model
    from common.flops import accelerator, matmul_rate, matmul_rates, model_dtype, training_flops
    from common.training import compile_model
    from papers import get_paper

    device, backend = device_label()
    peak = matmul_rate()
    how = "device-resident 8192^2, synchronised" if accelerator() else "2048^2"
    log(f"{backend} on {device}: float32 matmul {how} {peak / 1e9:.1f} GFLOP/s (measured again before each model)")
    rows, known = [], set()
    for paper_id in papers:
        paper = get_paper(paper_id).PAPER
        known.update(paper.models)
        for name in paper.models:
            if only and name not in only:
                continue
            model = build_paper_model(paper, name)  # one at a time, dropped once timed
            cfg = recipe(paper_id, name)
            compile_model(model, cfg)
            flops = training_flops(model)
            matmul_now, matmul_cpu = matmul_rates(repeats=3)  # next to the model: the load changes over minutes
            dtype = model_dtype(model)  # a model in mixed precision: its own yardstick too
            matmul_dtype = matmul_now if dtype == "float32" else matmul_rates(repeats=3, dtype=dtype)[0]
            paths = time_training_paths(model, cfg, fit_steps) if fit_steps > 0 else {}
            # build binds this iteration's model (time_model takes model= and does not call it; `del model` below)
            timing = time_model(TrainingStage(model=name, build=lambda model=model: model, samples=cfg.batch_size,
                                              epochs=1, batch_size=cfg.batch_size), model=model, build_s=0.0)
            del model
            rate = flops * timing.batch_size / timing.step_s
            rows.append({"paper": paper_id, "model": name, "inputs": timing.inputs, "batch": timing.batch_size,
                         "parameters": timing.parameters, "step_s": timing.step_s, "step_cpu_s": timing.step_cpu_s,
                         "samples_per_s": timing.batch_size / timing.step_s, "gflop_per_sample": flops / 1e9,
                         "gflops": rate / 1e9, "matmul_gflops": matmul_now / 1e9,
                         "fraction": rate / matmul_now,
                         # per core-second: the model's FLOPs per CPU second over the matmul's (load-proof)
                         "fraction_cpu": flops * timing.batch_size / timing.step_cpu_s / matmul_cpu,
                         "compute_dtype": dtype, "matmul_dtype_gflops": matmul_dtype / 1e9,
                         "fit_samples_per_s": timing.batch_size / paths["fit"] if paths else None,
                         "device_samples_per_s": timing.batch_size / paths["device"] if paths else None,
                         "three_d": name in THREE_D})
            r = rows[-1]
            log(f"  {paper_id}/{name}: {r['samples_per_s']:.2f} samples/s, {r['fraction']:.1%} of matmul, "
                f"{r['fraction_cpu']:.1%} per CPU-second "
                f"({r['step_s']:.3f} s/step, CPU {r['step_cpu_s']:.3f} s)"
                + (f"; fit path {r['fit_samples_per_s']:.2f}, device path {r['device_samples_per_s']:.2f} samples/s"
                   if paths else ""))
    unknown = sorted(set(only or ()) - known)
    if unknown:  # a mistyped name would otherwise leave its row out silently
        raise SystemExit(f"--models {' '.join(unknown)}: not a model of {', '.join(papers)} "
                         f"(models: {', '.join(sorted(known))})")
    return {"backend": backend, "device": device, "matmul_gflops": peak / 1e9, "fit_steps": fit_steps, "rows": rows}


def _shape(inputs) -> str:
    return "+".join("x".join(map(str, s)) for s in inputs)


def print_table(result: dict) -> None:
    print(f"\n{result['backend']} on {result['device']}; float32 matmul {result['matmul_gflops']:.1f} GFLOP/s at "
          "the start, then before each model (column 'matmul')")
    print(f"{'paper/model':<42}{'input x batch':>24}{'params':>13}{'s/step':>9}{'samples/s':>11}"
          f"{'GFLOP/sample':>14}{'GFLOP/s':>9}{'matmul':>8}{'of matmul':>11}{'per CPU-s':>11}{'fit/s':>10}"
          f"{'device/s':>10}")
    for r in result["rows"]:
        print(f"{r['paper'] + '/' + r['model']:<42}{_shape(r['inputs']) + ' x ' + str(r['batch']):>24}"
              f"{r['parameters']:>13,}{r['step_s']:>9.3f}{r['samples_per_s']:>11.2f}{r['gflop_per_sample']:>14.3f}"
              f"{r['gflops']:>9.1f}{r['matmul_gflops']:>8.0f}{r['fraction']:>10.1%}{r['fraction_cpu']:>10.1%}"
              f"{_rate(r.get('fit_samples_per_s')):>10}{_rate(r.get('device_samples_per_s')):>10}")


def _rate(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_side_by_side(results: list[dict]) -> None:
    print("\nside by side: samples/s (fraction of that backend's matmul rate per CPU-second); * best backend per model")
    head = "".join(f"{r['backend'].split()[0]:>24}" for r in results)
    print(f"{'paper/model':<42}{head}")
    keys = [(r["paper"], r["model"]) for r in results[0]["rows"]]
    for key in keys:
        cells = []
        for result in results:
            row = next((r for r in result["rows"] if (r["paper"], r["model"]) == key), None)
            cells.append(row)
        best = max((c["samples_per_s"] for c in cells if c), default=0)
        text = ""
        for c in cells:
            cell = "-" if c is None else "{}{:.2f} ({:.1%})".format(
                "*" if c["samples_per_s"] == best else "", c["samples_per_s"], c["fraction_cpu"])
            text += f"{cell:>24}"
        print(f"{key[0] + '/' + key[1]:<42}{text}")
    for result in results:
        print(f"  {result['backend']}: matmul {result['matmul_gflops']:.1f} GFLOP/s, {result['device']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", nargs="+", default=list(PAPERS), choices=PAPERS,
                        help="whose models to time (default: every paper)")
    parser.add_argument("--models", nargs="+", default=None, help="only these model names (e.g. model_b microexpstcnn)")
    parser.add_argument("--backends", nargs="+", default=None, choices=sorted(VENVS),
                        help="run each in its own process and venv and print them side by side")
    parser.add_argument("--json", default=None, help="write the figures to this JSON file")
    parser.add_argument("--fit-steps", type=int, default=8, metavar="N",
                        help="batches per timed epoch of the fit and device paths (0: skip them)")
    args = parser.parse_args(argv)
    if not args.backends:
        result = bench_backend(args.papers, args.models, log=lambda m: print(m, file=sys.stderr, flush=True),
                               fit_steps=args.fit_steps)
        print_table(result)
        results = [result]
    else:
        results = []
        scratch = Path(tempfile.mkdtemp(prefix="bench-models-"))  # each backend's figures, read back here
        for backend in args.backends:
            python = ROOT / VENVS[backend] / "bin" / "python"
            if not python.exists():
                print(f"{backend}: {python} missing (make {VENVS[backend]}/.installed); skipped", file=sys.stderr)
                continue
            out = scratch / f"{backend}.json"
            command = [str(python), __file__, "--papers", *args.papers, "--json", str(out),
                       "--fit-steps", str(args.fit_steps)]
            if args.models:
                command += ["--models", *args.models]
            code = subprocess.call(command, cwd=ROOT, env={**os.environ, "KERAS_BACKEND": backend})
            if code != 0 or not out.exists():
                print(f"{backend}: the benchmark failed (exit {code})", file=sys.stderr)
                continue
            results.append(json.loads(out.read_text()))
            out.unlink()
        shutil.rmtree(scratch, ignore_errors=True)
        if results:
            print_side_by_side(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
