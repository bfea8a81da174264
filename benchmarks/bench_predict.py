"""Predict latency per clip, per paper, on the CPU: the first clip and with a warm model.

    python benchmarks/bench_predict.py [--papers aouayeb2019,le2020] [--clips 3] [--models DIR]

For each paper whose first experiment has ``predict_clips``: export it (smoke profile, on the synthetic
smoke corpus; or reuse ``--models DIR/<paper>`` from an earlier run), then, in this process, on the CPU
(``CUDA_VISIBLE_DEVICES=-1``), with an empty preprocessing cache for every timed clip so that the face
detection and the preprocessing are always paid:

- ``load``: the export folder checked (manifest, sha256 of every file, config hash) and its models loaded;
- ``first``: the first clip after the load (the clip as a Sample, the face check, the method's
  preprocessing and the model call, its graph traced on this first call);
- ``warm``: the mean over ``--clips`` further clips with the model already loaded and traced.

A clip is one training clip folder of the smoke corpus with its onset/apex/offset (a CAS(ME)^2 clip: its
whole long video with the apex; the smoke frames are 160x160). The page (PDF/PNG) is not timed. Prints a
table; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _clip(sample, cache_root: Path):
    from common.deployment.recording import ClipRequest, clip_sample

    apex = None if sample.apex is None else str(sample.apex)
    if sample.dataset == "casme_sq":  # a span of a long video: the recording is the whole video, its apex given
        return clip_sample(ClipRequest(sample.frames[0].parent, None, apex, None), cache_root=cache_root,
                           fps=sample.fps)
    request = ClipRequest(sample.frames[0].parent, str(sample.frame_numbers[0]), apex, str(sample.frame_numbers[-1]))
    return clip_sample(request, cache_root=cache_root, fps=sample.fps)


def time_paper(paper_id: str, corpus: Path, work: Path, clips: int, models: Path | None) -> dict | None:
    import papers
    from common.datasets import load
    from common.deployment.export import export_experiment, read_training_predictions
    from common.running.profiles import resolve_run
    from common.deployment.predict import load_export, predict_samples

    experiment = papers.get_paper(paper_id).EXPERIMENTS[0]
    if experiment.predict_clips is None:
        print(f"{paper_id}: {experiment.name} has no predict_clips; skipped")
        return None
    folder = (models or work) / paper_id
    if not (folder / "manifest.json").is_file():
        started = time.perf_counter()
        export_experiment(paper_id, experiment, resolve_run(data_root=corpus, profile="smoke"), out_dir=folder)
        print(f"{paper_id}: exported {experiment.name} in {time.perf_counter() - started:.1f} s")
    keys = [row["key"] for row in read_training_predictions(folder)][:clips + 1]
    samples = {s.key: s for name in experiment.datasets
               for s in load(name, corpus, **dict(experiment.loader_options.get(name, {})))}

    def one(exported, key: str) -> float:
        os.environ["MERSUITE_CACHE"] = tempfile.mkdtemp(dir=work)  # nothing cached: face check and preprocessing paid
        started = time.perf_counter()
        sample = _clip(samples[key], Path(os.environ["MERSUITE_CACHE"]))
        predict_samples(exported, [sample], views=False)
        return time.perf_counter() - started

    started = time.perf_counter()
    exported = load_export(folder, papers)
    load_seconds = time.perf_counter() - started
    first = one(exported, keys[0])
    warm = [one(exported, key) for key in keys[1:]]
    return {"paper": paper_id, "experiment": experiment.name, "load": load_seconds, "first": first,
            "warm": sum(warm) / max(len(warm), 1), "n_warm": len(warm)}


def main() -> None:
    import papers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default=",".join(papers.PAPER_IDS), help="comma-separated paper ids")
    parser.add_argument("--clips", type=int, default=3, help="clips timed with a warm model (default 3)")
    parser.add_argument("--models", type=Path, help="keep the exports here and reuse them on a later run")
    args = parser.parse_args()
    from common.datasets.synthetic import default_corpus

    corpus = Path(default_corpus("smoke"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for paper_id in args.papers.split(","):
            row = time_paper(paper_id.strip(), corpus, Path(tmp), args.clips, args.models)
            if row:
                rows.append(row)
    print()
    print(f"{'paper':<13} {'experiment':<34} {'load s':>7} {'first clip s':>13} {'warm s/clip':>12}")
    for r in rows:
        print(f"{r['paper']:<13} {r['experiment']:<34} {r['load']:7.2f} {r['first']:13.2f} {r['warm']:12.2f}"
              f"  (warm: mean of {r['n_warm']})")


if __name__ == "__main__":
    main()
