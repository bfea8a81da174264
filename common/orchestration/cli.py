"""The command line (``python run_all.py``, or the ``mersuite`` script): run a paper's experiments under its
protocol and write the report.

    python run_all.py --list
    python run_all.py --paper aouayeb2019                      # synthetic corpus, quick profile
    python run_all.py --paper aouayeb2019 --data-root /data    # real databases, paper profile
    python run_all.py --paper le2020 --experiment casme2_10fold_vgg19 --set train.epochs=2
    python run_all.py --paper aouayeb2019 --architectures --json
    python run_all.py --paper aouayeb2019 --data-root /data --estimate   # projected time and memory, trains nothing
    python run_all.py --check-data /data
    python run_all.py --check-data /data --faces               # also list clips without a steady face
    python run_all.py --benchmark megc2019                     # every method on a shared track
    python run_all.py --benchmark all --data-root /data --seeds 3 --methods aouayeb2019,le2020:resnet50
    python run_all.py --score theirs.csv --benchmark megc2019 --data-root /data   # anyone's predictions, scored as ours
    python run_all.py --site site/                              # the results site: static HTML from the shipped files
    python run_all.py --paper aouayeb2019 --data-root /data --workers 4   # folds in 4 processes (or --cluster ADDRESS)
    python run_all.py --paper le2020 --experiment casme2_10fold_vgg19 --export models/le2020   # train, save
    python run_all.py --predict my_clip.mp4 --model models/le2020 --json                    # apply it

Outputs go to ``--out`` (default ``reports/``): ``<paper>/report.pdf``, ``<paper>/results.json``
and per experiment ``<paper>/<experiment>/{results.json,predictions.csv,folds/}`` (``<paper>-<tag>/`` for
another kind of run of the paper: ``common.orchestration.run_folders``). A rerun of
the same command resumes: finished folds are reused (``--fresh`` recomputes them).

``--export DIR`` trains one experiment's final model(s) on all of its data and writes a self-contained
folder (``common.deployment.export``); ``--predict CLIP --model DIR`` applies it to a folder of frames,
a video, a folder of clips or a CSV of clips and writes ``predictions.csv``, ``predict.pdf`` and
``predict.png`` to ``--out`` (default ``reports/predict/``; ``<out>-2`` where it holds an earlier prediction)
(``common.deployment.predict``).

Benchmark outputs go to ``<out>/benchmark/<track>/`` (``<track>-<tag>/`` for another kind of benchmark:
``common.orchestration.run_folders``): ``report.pdf``, ``results.json``, ``leaderboard.csv``, ``predictions.csv``
and per method x seed ``<method>/seed<k>/{results.json,predictions.csv,folds/}``.

``--score FILE --benchmark TRACK`` scores predictions made elsewhere (a CSV ``clip,subject,database,true,pred``
or the STSTNet log format) on the track's clips and folds exactly as a benchmark method is scored; a file
whose clips differ from the track's is refused in one line unless ``--partial``; ``--against DIR`` adds the
paired test against one of our runs. Outputs in ``<out>/score/<track>/<file name>/``: ``results.json``,
``predictions.csv``, ``report.pdf`` (``common.orchestration.score_runs``).

Exit status (README "Exit status"): 0 every fold trained and is in the scores; 2 the run could not start or go on
(an option unknown, abbreviated, given twice (but ``--set``, ``--experiment``) or with an empty path, unknown paper
or experiment, unimplemented paper, a ``--set`` name, type, range or choice that does not fit, a seed out of range,
a fold count or size the data or a model cannot take, an option the command does not use, missing or unreadable
data, an ``--out`` or cache folder that is not a writable folder, an output folder another run is writing into; a
clip or model folder ``--predict`` refuses; a ``--score`` file with a bad line, or whose clips differ from the
track's without ``--partial``), one line on stderr, nothing trained; 3 the run completed and wrote its report but
some folds are not in the scores (failed, diverged: status ``nan``, or refused), or a write failed after folds
finished (what is saved named, the same command reuses it), one line on stderr; 130 Ctrl-C; 1 an unexpected error (a
Python traceback: a bug).
"""
from __future__ import annotations

import os
from common.config import ConfigError, parse_assignments, set_arguments
from common.environment import keras_backend_problem
from common.errors import DeclarationError, MersuiteError, one_line, RunError, WorkSavedError
from common.evaluation.references import with_recomputed, with_runs_as
from common.evaluation import published
from common.files import terminal_text
from common.leaderboard import TRACK_NAMES
from common.orchestration.logs import Console, lines_to, quiet_tensorflow_log
from common.paths import reports_root

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before anything imports TensorFlow

import argparse
import contextlib
import importlib
import itertools
import json
import logging
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn
from collections.abc import Mapping, Sequence

# The name in every message and in the command recorded with a run: run_all.py, whichever entry started it
# (the mersuite script calls the same main), so that a recorded command reruns from a checkout too.
PROG = "run_all.py"
logger = logging.getLogger(__name__)
EXIT_USER_ERROR = 2  # nothing ran: one line on stderr
EXIT_FOLDS_NOT_SCORED = 3  # the run completed, but some folds failed, diverged (nan) or were refused: not in the scores


class CliError(Exception):
    """A user error: printed as one line on stderr, exit status 2, no traceback."""


# The options that may be given more than once, each adding a value; any other option given twice is refused (a
# setting that silently wins over another is a run nobody asked for, as for a --set field given twice).
REPEATABLE = ("--experiment", "--set")


class Parser(argparse.ArgumentParser):
    """argparse's parser with its refusals on one line (argparse prints its usage block before them) and without
    abbreviations (``--scor`` taken as ``--score``: a typo that happens to match is a guess)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        _err(f"{message} ({PROG} --help lists the options)")
        sys.exit(EXIT_USER_ERROR)


def path_argument(text: str) -> Path:
    """A path option's value: an empty one is refused (``Path("")`` is the working folder: ``--out ""`` wrote into
    it, ``--data-root ""`` read it)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty or blank value")
    return Path(text)


def repeated_options(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """The options of ``argv`` that take a value, are not :data:`REPEATABLE` and are given more than once (as
    ``--opt value`` or ``--opt=value``; nothing after ``--``)."""
    takes_value = {s for action in parser._actions if action.nargs != 0 for s in action.option_strings}
    seen: dict[str, int] = {}
    for token in argv:
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if name in takes_value and name not in REPEATABLE:
            seen[name] = seen.get(name, 0) + 1
    return [name for name, count in seen.items() if count > 1]


def build_parser() -> argparse.ArgumentParser:
    """The options, grouped by mode; each group's description shows one example command. Options are
    added in a fixed order (``parser._actions``), which the one-line refusals of unused options follow."""
    parser = Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Reproduce micro-expression recognition papers "
                    "and write reports beside the papers' numbers.")
    run = parser.add_argument_group(
        "run a paper", f"  {PROG} --paper talluri2022 --profile smoke     # its experiments, then its report")
    benchmark = parser.add_argument_group(
        "benchmark (every method on one shared track)",
        f"  {PROG} --benchmark megc2019 --profile smoke --max-folds 2\n"
        f"  {PROG} --score theirs.csv --benchmark megc2019 --against reports/benchmark/megc2019/see2019/seed0\n"
        "(with the run options too, except --paper, --experiment, --allow-faces and --preprocess-workers; --score "
        "takes --data-root, --profile and --out)")
    check = parser.add_argument_group("check data", f"  {PROG} --check-data /data/mer --faces")
    estimate = parser.add_argument_group(
        "estimate (added to a run's or a benchmark's command line)",
        f"  {PROG} --paper kumar2019 --data-root /data/mer --estimate   # projected time and memory")
    describe = parser.add_argument_group("list and architectures", f"  {PROG} --paper le2020 --architectures")
    deploy = parser.add_argument_group(
        "export a trained method, predict on a recording",
        f"  {PROG} --paper kumar2019 --data-root /data/mer --export models/kumar2019   # with --experiment, "
        f"--profile, --set, --seed\n"
        f"  {PROG} --predict clip.mp4 --model models/kumar2019 --apex 1.2s --out predictions/   # or --json")
    run.add_argument("--paper", help="paper id (see --list) or 'all'")
    describe.add_argument("--list", action="store_true", help="list papers, experiments and implementation status")
    run.add_argument("--experiment", action="append", default=[], metavar="NAME",
                     help="run only this experiment (repeatable)")
    run.add_argument("--data-root", type=path_argument, metavar="DIR",
                     help="folder holding the databases (default: the synthetic corpus, generated on first use)")
    run.add_argument("--profile", metavar="{paper,quick,smoke,...}",
                     help="paper: the paper's hyperparameters; quick: fewer epochs; smoke: seconds; a paper may "
                          "declare its own (liong2019: port, the authors' PyTorch port) "
                          "(default: paper on real databases, quick on a synthetic corpus)")
    run.add_argument("--seed", type=int, default=0,
                     help="the seed of every random draw of the run (initial weights, training order, dropout, a "
                          "random split), 0 .. 2^32 - 1; a run of another seed writes its own folder (default 0)")
    run.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                     help="override a config field (repeatable), e.g. train.epochs=2")
    run.add_argument("--out", type=path_argument, metavar="DIR", help="output folder (default: reports/)")
    run.add_argument("--weights", type=path_argument, metavar="DIR",
                     help="evaluate the authors' released per-fold weights in DIR instead of training (one file "
                          "per left-out subject; liong2019 --profile port: STSTNet_Weights/<subject>.pth)")
    run.add_argument("--fresh", action="store_true",
                     help="recompute every fold instead of reusing finished ones (e.g. after a change to the "
                          "training code); the preprocessing cache is kept: its keys hold the suite's source, so a "
                          "change to it recomputes the stages a run reads anyway")
    run.add_argument("--no-epoch-gauge", dest="epoch_gauge", action="store_false",
                     help="do not record the test part's predictions after every epoch (the epoch-selection "
                          "gauge, docs/methods.md §9.4); the scores and predictions are the same either way")
    run.add_argument("--allow-faces", action="store_true",
                     help="let reports made from licensed databases embed face images (private use only)")
    run.add_argument("--faces-policy", choices=("exclude", "keep", "refuse"), default="exclude",
                     help="what a run does with a clip in which no face is found: exclude it and say so "
                          "(default), keep it (flagged), or refuse to run")
    run.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                     help="compute the folds in N local processes, dealt round-robin over the GPUs in "
                          "CUDA_VISIBLE_DEVICES (N may exceed them: workers then share a card, with memory "
                          "settings that allow it); same results as the default, 1 (sequential, in this process)")
    run.add_argument("--fold-parallel", type=_positive_int, default=1, metavar="N",
                     help="train N folds at once as one computation (TrainConfig.fold_parallel; liong2019 and "
                          "gan2019, TensorFlow or JAX backend): the same numbers as one by one (default 1), refused in "
                          "one line for a method that cannot or when N folds would not fit in memory")
    run.add_argument("--preprocess-workers", type=_positive_int, metavar="N",
                     help="before an experiment's folds, compute the first pass of its preprocessing (what the "
                          "stage cache lacks) in N processes (default: the --workers N; 1: each fold computes "
                          "what it reads, in its own process); the same cache, byte for byte")
    run.add_argument("--cluster", metavar="ADDRESS",
                     help="compute the folds on the Dask cluster whose scheduler is at ADDRESS "
                          "(e.g. tcp://host:8786; needs the 'cluster' extra); same results")
    check.add_argument("--check-data", type=path_argument, metavar="ROOT",
                       help="check the databases under ROOT and exit")
    check.add_argument("--faces", action="store_true",
                       help="with --check-data: also check every clip for a face (dlib; cached) and list the "
                            "flagged ones")
    benchmark.add_argument("--benchmark", metavar="TRACK",
                           help="run every method on a shared benchmark track or 'all': "
                                + ", ".join(TRACK_NAMES))
    benchmark.add_argument("--methods", metavar="PAPER[:MODEL],...",
                           help="with --benchmark: the methods (default: every paper that can enter a track, its "
                                "default model)")
    benchmark.add_argument("--seeds", type=int, default=1, metavar="N",
                           help="with --benchmark: run every method with seeds SEED..SEED+N-1 (default 1)")
    benchmark.add_argument("--max-folds", type=int, metavar="N",
                           help="with --benchmark: only the first N folds of the track (a smoke benchmark)")
    benchmark.add_argument("--score", type=path_argument, metavar="FILE",
                           help="with --benchmark TRACK: score predictions made elsewhere (a CSV or the STSTNet log, "
                                "docs/running.md) as the benchmark scores its methods; refused if its clips differ")
    benchmark.add_argument("--partial", action="store_true",
                           help="with --score: score the clips that match and count the others, rather than refuse")
    benchmark.add_argument("--against", type=path_argument, metavar="RUN",
                           help="with --score: add the paired test against one of our runs on the same clips (the "
                                "folder holding its predictions.csv, e.g. reports/benchmark/megc2019/<method>/seed0, "
                                "or such a file, e.g. docs/predictions/liong2019-paper-seed0.csv)")
    benchmark.add_argument("--site", type=path_argument, metavar="DIR",
                           help="write the results site into DIR (static HTML, opened from the file system): the "
                                "shipped predictions in docs/predictions/, the published numbers and every run and "
                                "score under --out (default reports/), scored by the suite's statistics")
    describe.add_argument("--architectures", action="store_true", help="print every model of the paper as built")
    describe.add_argument("--json", action="store_true",
                          help="with --architectures or --predict: print JSON only (progress goes to stderr)")
    deploy.add_argument("--export", type=path_argument, metavar="DIR",
                        help="with --paper ID [--experiment NAME]: train the experiment's final model(s) on all of "
                             "its selected data with the profile's recipe (and --set) and write them, a manifest "
                             "(with this code's source digest), the training run's own predictions "
                             "(training_predictions.csv: --predict on one of those clips, given its onset, apex, "
                             "offset and fps from that file, gives the same numbers) and training/ (its history, "
                             "where the method writes one) to DIR (a new or empty folder, or an earlier export: "
                             "replaced; checked before the training)")
    deploy.add_argument("--predict", type=path_argument, metavar="CLIP",
                        help="predict a clip (a folder of frames or a .mp4/.avi/.mov video), a folder of clips or a "
                             "CSV of clips (path,onset,apex,offset; a relative path from the CSV's folder, an "
                             "absolute one as it is) with the model of --model; exit status 0 when at least one "
                             "clip is predicted, even with others skipped or excluded: the counts are stdout's last "
                             "line and the JSON's 'counts', each entry's status a row of predictions.csv; an export "
                             "trained by other code is predicted with a warning")
    deploy.add_argument("--model", type=path_argument, metavar="DIR",
                        help="with --predict: a folder written by --export")
    deploy.add_argument("--onset", metavar="N|Ss", help="with --predict: first frame of the expression, a frame "
                        "number (12) or seconds (0.4s); default: the clip's first")
    deploy.add_argument("--apex", metavar="N|Ss", help="with --predict: the apex frame; default: the method's own "
                        "rule, else the frame that differs most from the first on the face (README)")
    deploy.add_argument("--offset", metavar="N|Ss", help="with --predict: last frame of the expression; default: "
                        "the clip's last")
    deploy.add_argument("--fps", type=float, metavar="FPS", help="with --predict: the clip's frame rate (default: "
                        "the video's own; for a folder of frames, or a video whose container gives no usable rate, "
                        "the training corpus's when it has one)")
    estimate.add_argument("--estimate", action="store_true",
                          help="train nothing: count the work, time a few training steps of each model and the "
                               "preprocessing of a few clips here, and print the projected time and memory "
                               "(about a minute)")
    return parser


# The options each mode reads (argparse names). Any other option given is refused in one line, except
# with --estimate, which is meant to be added to a run's or a benchmark's command line: there the
# options it does not use are named as ignored and the projection goes on.
_RUN = {"paper", "experiment", "data_root", "profile", "seed", "set", "out", "fresh", "allow_faces", "faces_policy",
        "workers", "preprocess_workers", "cluster", "epoch_gauge", "weights", "fold_parallel"}
# A benchmark reads the run's options but these: it has no --paper/--experiment, never shows faces, and its
# tracks do not run the parallel first pass of preprocessing.
_NOT_BENCHMARK = {"paper", "experiment", "allow_faces", "preprocess_workers"}
_MODE_OPTIONS = {
    "check_data": ({"check_data", "faces"}, "--check-data"),
    "list": ({"list"}, "--list"),
    "architectures": ({"paper", "architectures", "json"}, "--architectures (each model at the paper's default config)"),
    "run": (_RUN, "a run of --paper"),
    "estimate": (_RUN | {"estimate"}, "--estimate"),
    "benchmark": ((_RUN - _NOT_BENCHMARK) | {"benchmark", "methods", "seeds", "max_folds"}, "--benchmark"),
    "export": ({"paper", "experiment", "data_root", "profile", "seed", "set", "faces_policy", "export"}, "--export"),
    "predict": ({"predict", "model", "onset", "apex", "offset", "fps", "json", "out", "faces_policy"}, "--predict"),
    "benchmark_estimate": ((_RUN - _NOT_BENCHMARK) | {"benchmark", "methods", "seeds", "max_folds", "estimate"},
                           "--benchmark --estimate"),
    "score": ({"score", "benchmark", "partial", "against", "data_root", "profile", "out"}, "--score"),
    "site": ({"site", "out"}, "--site"),
}
# Read by the run an --estimate projects, not by the projection itself.
_ESTIMATE_IGNORES = {"out", "fresh", "weights",
                     "allow_faces", "faces_policy", "workers", "preprocess_workers", "cluster", "seeds"}


def _given_options(args, parser: argparse.ArgumentParser) -> list[str]:
    """The argparse names of the options given with a value other than their default."""
    return [action.dest for action in parser._actions
            if action.dest not in ("help",) and getattr(args, action.dest, None) != action.default]


def _flag(parser: argparse.ArgumentParser, dest: str) -> str:
    return next(a.option_strings[0] for a in parser._actions if a.dest == dest)


# Why a mode that loads no released weights refuses --weights (the option means one thing everywhere: the
# authors' per-fold weights evaluated instead of training, by --paper and --benchmark; never ignored).
_NO_WEIGHTS = {
    "export": "--export trains the experiment's final model on all of its data, and the released weights are "
              "one network per left-out subject; evaluate them with --paper ID --weights DIR, or export without them",
    "predict": "--predict applies the model of --model, a folder written by --export; released weights are "
               "evaluated with --paper ID --weights DIR",
}


def check_mode_options(args, parser: argparse.ArgumentParser, mode: str) -> str:
    """Refuse, in one line, the options ``mode`` does not use (:data:`_MODE_OPTIONS`; ``--weights`` with why,
    :data:`_NO_WEIGHTS`); under --estimate return the note naming the run's options it ignores (:func:`estimate`
    prints it once the projection is made, so that a refusal is never preceded by it), else ""."""
    used, words = _MODE_OPTIONS[mode]
    unused = [dest for dest in _given_options(args, parser) if dest not in used]
    if "weights" in unused and mode in _NO_WEIGHTS:
        raise CliError(f"--weights is not used by {words}: {_NO_WEIGHTS[mode]}")
    if unused:
        flags = ", ".join(_flag(parser, d) for d in unused)
        raise CliError(f"{flags} {'is' if len(unused) == 1 else 'are'} not used by {words}; remove "
                       f"{'it' if len(unused) == 1 else 'them'}")
    ignored = ([dest for dest in _given_options(args, parser) if dest in _ESTIMATE_IGNORES]
               if mode in ("estimate", "benchmark_estimate") else [])
    if not ignored:
        return ""
    return (f"{PROG}: note: --estimate trains nothing and projects one seed over the folds the run would train; "
            "ignored: " + ", ".join(_flag(parser, d) for d in ignored))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _err(message: str) -> None:
    # one line, whatever a file's or a clip's name in it holds (a line end, ESC, CR: written escaped)
    print(f"{PROG}: error: {terminal_text(message)}", file=sys.stderr)


def _registry(registry: Any):
    """``registry``, else the papers' (``papers``), found by its module name as the fold workers find it
    (``common.orchestration.parallel.ExperimentRef.registry``): common imports no paper."""
    if registry is not None:
        return registry
    return importlib.import_module("papers")


# Lines TensorFlow 2.21 writes to stderr at import although TF_CPP_MIN_LOG_LEVEL=3 (absl logs
# written before absl::InitializeLog): dropped so that an error stays one line.
_TF_IMPORT_NOISE = ("before absl::InitializeLog", "oneDNN custom operations", "cudart_stub.cc",
                    "Could not find cuda drivers", "cuda_platform.cc", "rebuild TensorFlow with the appropriate",
                    "This TensorFlow binary is optimized")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow (the papers' backend) with its import-time log lines filtered out of stderr, and
    its retracing warning out of its log."""
    quiet_tensorflow_log()
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # a backend without TensorFlow; the paper's own import says what is missing
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode(errors="replace")
    for line in text.splitlines():
        if line.strip() and not any(noise in line for noise in _TF_IMPORT_NOISE):
            print(line, file=sys.stderr)


def _load_paper(registry: Any, paper_id: str):
    """The paper's module, or CliError (one line) for an unknown or unimplemented paper, a package refused where it
    is imported or declared (``papers.get_paper``), or a network that does not take its declared inputs (built
    once: ``Pipeline.input_problem``)."""
    if paper_id not in registry.PAPER_IDS:
        raise CliError(f"unknown paper {paper_id!r}; known papers: {', '.join(registry.PAPER_IDS)}")
    _import_tensorflow_quietly()
    try:
        module = registry.get_paper(paper_id)
    except KeyError:
        raise CliError(f"unknown paper {paper_id!r}; known papers: {', '.join(registry.PAPER_IDS)}") from None
    except DeclarationError as exc:  # the package's own declaration, named in one line (papers.get_paper)
        raise CliError(str(exc)) from None
    except ImportError as exc:
        from common.environment import keras_backend_name

        _check_backend()  # a backend that imports but breaks is not the paper's fault
        if (exc.name or "").split(".")[0] in ("keras", "tensorflow", "jax", "jaxlib", "torch"):
            raise CliError(f"paper {paper_id!r} cannot be imported: the Keras backend {keras_backend_name()!r} "
                           f"fails to load ({exc}); reinstall it, or set KERAS_BACKEND to another installed "
                           "backend") from None
        raise CliError(f"paper {paper_id!r} is not implemented yet (importing it failed: {exc})") from None
    paper = getattr(module, "PAPER", None)
    if paper is None or not hasattr(module, "EXPERIMENTS"):
        raise CliError(f"paper {paper_id!r} is not implemented yet (its package has no PAPER/EXPERIMENTS)")
    if paper.status == "planned":
        raise CliError(f"paper {paper_id!r} is planned, not implemented yet")
    # a Pipeline's check (common.experiment); a package without one declares no network to build
    input_problem = getattr(getattr(module, "PIPELINE", None), "input_problem", None)
    problem = input_problem() if callable(input_problem) else ""
    if problem:
        raise CliError(problem)
    return module


def _selected_papers(registry: Any, paper: str) -> list[tuple[str, Any]]:
    if paper != "all":
        return [(paper, _load_paper(registry, paper))]
    chosen = []
    for paper_id in registry.PAPER_IDS:
        try:
            chosen.append((paper_id, _load_paper(registry, paper_id)))
        except CliError as exc:
            print(f"{PROG}: skipping: {exc}", file=sys.stderr)
    if not chosen:
        raise CliError("no paper is implemented yet")
    return chosen


def list_papers(registry: Any) -> int:
    for paper_id in registry.PAPER_IDS:
        try:
            module = _load_paper(registry, paper_id)
        except CliError as exc:
            print(f"{paper_id}: not available: {exc}")
            continue
        print(f"{paper_id} [{module.PAPER.status}] {module.PAPER.title}")
        for experiment in module.EXPERIMENTS:
            print(f"  {experiment.name}: {experiment.title}  (databases: {', '.join(experiment.datasets)}; "
                  f"profiles: paper, {', '.join(p for p in experiment.profiles if p != 'paper') or '-'})")
        options = getattr(getattr(module, "PIPELINE", None), "options", {}) or {}
        for name, overrides in options.items():  # Pipeline.options: each off in every profile
            print(f"  option {name} (off by default): {' '.join(set_arguments(overrides))}")
    return 0


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send everything written to stdout (Python and C level) to stderr, to keep --json output pure."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout
        saved = None
    if saved is not None:
        os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def _architecture_json(summary: dict) -> dict:
    return {"trainable_params": summary["trainable_params"], "non_trainable_params": summary["non_trainable_params"],
            "layers": [{"name": layer["name"], "class": layer["class"], "output_shape": layer["output_shape"]}
                       for layer in summary["layers"]]}


def architectures(chosen: list[tuple[str, Any]], as_json: bool) -> int:
    from common.orchestration.architectures import paper_architectures

    everything = {}
    for paper_id, module in chosen:
        with _stdout_to_stderr():
            try:
                import absl.logging

                absl.logging.set_verbosity("error")
            except ImportError:
                pass
            summaries = paper_architectures(module.PAPER)
        everything[paper_id] = summaries
        if not as_json:
            for name, summary in summaries.items():
                print(f"{paper_id} / {name}: trainable {summary['trainable_params']:,}, "
                      f"non-trainable {summary['non_trainable_params']:,}")
                for layer in summary["layers"]:
                    print(f"  {layer['name']:<32} {layer['class']:<24} {str(layer['output_shape']):<28} "
                          f"{layer['params']:>10,}")
            total = sum(s["trainable_params"] for s in summaries.values())
            print(f"{paper_id}: {len(summaries)} models, {total:,} trainable parameters in all")
    if as_json:
        if len(chosen) == 1:
            payload = {"models": {n: _architecture_json(s) for n, s in everything[chosen[0][0]].items()}}
        else:
            payload = {"papers": {p: {"models": {n: _architecture_json(s) for n, s in m.items()}}
                                  for p, m in everything.items()}}
        print(json.dumps(payload, indent=1))
    return 0


def _experiments(chosen: Sequence[tuple[str, Any]], names: list[str]) -> list[tuple[str, Any, list]]:
    """(paper_id, module, experiments) with --experiment applied; unknown names are a CliError."""
    plan = []
    known: set[str] = set()
    for paper_id, module in chosen:
        experiments = list(module.EXPERIMENTS)
        known.update(e.name for e in experiments)
        if names:
            experiments = [e for e in experiments if e.name in names]
        if experiments:
            plan.append((paper_id, module, experiments))
    unknown = [n for n in names if n not in known]
    if unknown:
        listing = ", ".join(sorted(known)) or "none"
        raise CliError(f"unknown experiment {', '.join(map(repr, unknown))}; experiments: {listing}")
    return plan


def _settings(args):
    """The run's ``common.orchestration.paper_runs.RunSettings`` from the CLI's options (``ConfigError`` for a
    bad --set)."""
    from common.orchestration.paper_runs import RunSettings

    overrides = parse_assignments(args.set)
    if args.weights is not None:  # TrainConfig.weights: the fold evaluates the files instead of training
        if "train.weights" in overrides:
            raise CliError("give --weights DIR or --set train.weights=DIR, not both")
        overrides["train.weights"] = str(Path(args.weights).expanduser().resolve())
    overrides.update(_fold_parallel(args, overrides))
    return RunSettings(data_root=args.data_root, profile=args.profile, seed=args.seed,
                       overrides=overrides, out=args.out, fresh=args.fresh,
                       epoch_gauge=args.epoch_gauge,
                       faces_policy=args.faces_policy, allow_faces=args.allow_faces,
                       workers=args.workers, cluster=args.cluster, preprocess_workers=args.preprocess_workers,
                       **_loader(args),
                       command=" ".join(shlex.quote(a) for a in [PROG, *(args._argv or [])]))


def _fold_parallel(args, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"train.fold_parallel": N}`` for ``--fold-parallel N`` > 1 (``TrainConfig.fold_parallel``), else ``{}``;
    one line when it is given twice or with --workers/--cluster (folds in other processes)."""
    n = getattr(args, "fold_parallel", 1) or 1
    if n <= 1:
        return {}
    if "train.fold_parallel" in overrides:
        raise CliError("give --fold-parallel N or --set train.fold_parallel=N, not both")
    if getattr(args, "workers", 1) > 1 or getattr(args, "cluster", None):
        raise CliError("--fold-parallel trains folds together in this process; give it or --workers/--cluster, "
                       "not both")
    return {"train.fold_parallel": n}


def _refuse_fold_parallel(args, entries: Sequence[tuple[str, Any]], benchmark: bool = False) -> None:
    """``--fold-parallel N`` > 1 with a method whose fold is not one network trained by one recipe (no
    ``Experiment.fold_fit``): one line naming those methods, before any work (never ignored, never a config
    error about a field the method does not have)."""
    if (getattr(args, "fold_parallel", 1) or 1) <= 1:
        return
    from common.fold_parallel import NOT_ONE_NETWORK  # imports keras: only where --fold-parallel is given

    single = sorted({paper_id for paper_id, experiment in entries if experiment.fold_fit is None})
    if single:
        instead = "give --methods with the others only" if benchmark else "run it without --fold-parallel"
        raise CliError(f"--fold-parallel: {', '.join(single)} cannot train folds together ({NOT_ONE_NETWORK}); "
                       f"{instead}")


def _loader(args) -> dict[str, Any]:
    """``{"loader": ...}`` when ``main`` was given one (the tests' dummy databases), else ``{}``."""
    loader = getattr(args, "_loader", None)
    return {} if loader is None else {"loader": loader}


def run(args, chosen: list[tuple[str, Any]], registry: Any = None) -> int:
    """Run the chosen papers through ``common.orchestration.paper_runs.run_papers`` (exit 0, or 3 when folds are
    not scored)."""
    from common.orchestration.parallel import registry_reference
    from common.orchestration.paper_runs import PaperPlan, run_papers

    reference = registry_reference(_registry(registry))  # how --workers/--cluster processes find the papers
    plans = [PaperPlan(paper_id, module.PAPER, tuple(experiments), registry=reference)
             for paper_id, module, experiments in _experiments(chosen, args.experiment)]
    try:
        settings = _settings(args)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    _refuse_fold_parallel(args, [(plan.paper_id, e) for plan in plans for e in plan.experiments])
    try:
        runs = run_papers(plans, settings)
    except WorkSavedError:  # exit 3 (_dispatch): the folds are saved
        raise
    except (ConfigError, RunError) as exc:
        raise CliError(str(exc)) from None
    not_scored = [entry for run in runs for entry in run.not_scored]
    if not_scored:
        print(_not_scored_line(not_scored), file=sys.stderr)
        return EXIT_FOLDS_NOT_SCORED
    return 0


def estimate(args, chosen: Sequence[tuple[str, Any]] = (), entries: list[tuple[str, Any]] | None = None) -> int:
    """``--estimate``: the projection table of ``common.estimate.projection`` for the chosen experiments
    (or ``entries``, ``(paper_id, Experiment)`` pairs: a benchmark track's methods)."""
    from common.estimate.projection import estimate as project
    from common.estimate.table import format_estimate

    benchmark = entries is not None
    if entries is None:
        entries = [(paper_id, e) for paper_id, _, experiments in _experiments(chosen, args.experiment)
                   for e in experiments]
    _refuse_fold_parallel(args, entries, benchmark=benchmark)  # as the run would, naming the option given
    try:
        result = project(entries, data_root=args.data_root, profile=args.profile, seed=args.seed,
                         overrides={**parse_assignments(args.set), **_fold_parallel(args, {})},
                         epoch_gauge=args.epoch_gauge, **_loader(args))
    except (ConfigError, RunError) as exc:
        raise CliError(str(exc)) from None
    if args._estimate_note:  # check_mode_options': after every refusal, never before one
        print(args._estimate_note, file=sys.stderr)
    print()
    print(format_estimate(result))
    return 0


def export(args, registry: Any) -> int:
    """``--export DIR``: one experiment's final model(s) through ``common.deployment.export``."""
    from common.deployment.export import check_exportable, export_experiment, find_experiment
    from common.running.profiles import resolve_run

    module = _load_paper(registry, args.paper)
    experiment, source = find_experiment(module, args.paper, args.experiment[0] if args.experiment else None)
    try:
        overrides = parse_assignments(args.set)
        if overrides.get("train.weights"):  # the same refusal as --weights (check_mode_options)
            raise CliError(f"--set train.weights is not used by --export: {_NO_WEIGHTS['export']}")
        check_exportable(args.paper, experiment, args.export)
        spec = resolve_run(data_root=args.data_root, profile=args.profile, experiments=[experiment],
                           overrides=overrides, seed=args.seed, faces_policy=args.faces_policy,
                           **_loader(args))
        export_experiment(args.paper, experiment, spec, out_dir=args.export, source=source)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    return 0


def predict_folder(out: Path | None, names: Sequence[str]) -> Path:
    """Where ``--predict`` writes its files (``names``): ``out`` (default ``reports/predict/``) or, where it holds an
    earlier prediction's files (any of ``names``, a link among them), ``<out>-2``, ``-3``... (``first_folder``): an
    earlier prediction is never replaced."""
    from common.orchestration.run_folders import first_folder

    def takes(folder: Path) -> bool:
        return not any(os.path.lexists(folder / name) for name in names)

    # absolute and normalised: "." or ".." has no name to number ("./-2"), and "--out ." is a folder like any other
    return first_folder(Path(os.path.abspath(out)) if out is not None else reports_root() / "predict", takes)


def predict(args, registry: Any) -> int:
    """``--predict CLIP --model DIR``: the probabilities on stdout (JSON with ``--json``), and the files
    (:func:`predict_folder`)."""
    from common.deployment.predict import OUTPUT_FILES, predict_command, results_json, summary_lines

    out = predict_folder(args.out, OUTPUT_FILES)
    _import_tensorflow_quietly()
    quiet = _stdout_to_stderr() if args.json else contextlib.nullcontext()
    with quiet:
        exported, results, outputs = predict_command(
            args.predict, args.model, onset=args.onset, apex=args.apex, offset=args.offset, fps=args.fps,
            faces_policy=args.faces_policy, out=out, registry=registry)
    if args.json:
        print(json.dumps(results_json(exported, results, outputs), indent=1))
    else:
        for line in summary_lines(exported, results):
            print(terminal_text(line))  # a line names the user's recordings: their control characters escaped
    return 0


def _not_scored_line(not_scored: list[tuple[str, str]]) -> str:
    """One line naming the folds left out of the scores (exit status 3)."""
    counts = {status: sum(s == status for _, s in not_scored) for status in ("failed", "nan", "refused")}
    shown = ", ".join(f"{name} ({status})" for name, status in itertools.islice(not_scored, 6))
    more = f", and {len(not_scored) - 6} more" if len(not_scored) > 6 else ""
    refused = f", {counts['refused']} refused before training" if counts["refused"] else ""
    return (f"{PROG}: warning: {len(not_scored)} fold(s) are not in the scores ({counts['failed']} failed, "
            f"{counts['nan']} diverged to NaN{refused}): {shown}{more}; see results.json 'warnings'"
            + (" and folds/<fold>/error.txt" if counts["failed"] else ""))


def _benchmark_methods(registry: Any, spec: str | None) -> tuple[list[tuple[str, Any, str | None]], list[str]]:
    """``(paper_id, module, model|None)`` of ``--methods`` (default: every paper with ``benchmark_experiment``),
    and one line per package left out of the default and why (printed here; the report names them too). A package
    ``--methods`` names and that is refused refuses the run, in one line naming it, before any work
    (docs/running.md): a benchmark never runs fewer methods than it was told."""
    methods: list[tuple[str, Any, str | None]]
    if spec is None:
        methods, notes = [], []
        for paper_id in registry.PAPER_IDS:
            try:
                module = _load_paper(registry, paper_id)
            except CliError as exc:
                notes.append(f"{exc}; left out of the benchmark")
                continue
            if callable(getattr(module, "benchmark_experiment", None)):
                methods.append((paper_id, module, None))
            else:
                notes.append(f"paper {paper_id!r} has no benchmark_experiment yet; left out of the benchmark")
        if not methods:
            raise CliError(f"no paper can enter a benchmark track yet (none of {', '.join(registry.PAPER_IDS)} "
                           "has benchmark_experiment)")
        for note in notes:
            print(f"{PROG}: note: {note}", file=sys.stderr)
        return methods, notes
    from common.orchestration.leaderboard_runs import Method  # its name: paper, or paper:model beside the default

    methods = []
    named: dict[str, str] = {}  # each method's name -> the --methods entry that named it first
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            raise CliError(f"--methods {spec!r}: expected paper[:model],... (an empty entry)")
        paper_id, _, model = item.partition(":")
        try:
            module = _load_paper(registry, paper_id)
        except CliError as exc:
            raise CliError(f"--methods names {paper_id!r}, which is refused: {exc}; drop it from --methods to run the "
                           "others") from None
        if not callable(getattr(module, "benchmark_experiment", None)):
            raise CliError(f"paper {paper_id!r} has no benchmark_experiment(track, model): it cannot enter a track yet")
        models = tuple(getattr(module, "BENCHMARK_MODELS", ()) or ())
        if model and models and model not in models:
            raise CliError(f"paper {paper_id!r} has no benchmark model {model!r}; its models: {', '.join(models)}")
        # a method named twice (also as paper and paper:its-default-model) would run, or be estimated, twice
        name = Method(paper_id, module, model or None).name
        if name in named:
            same = "" if item == named[name] else f" ({named[name]!r} and {item!r} are the same method)"
            raise CliError(f"--methods {spec!r}: method {name!r} is given twice{same}; expected each method once")
        named[name] = item
        methods.append((paper_id, module, model or None))
    return methods, []


def _benchmark_references(registry: Any) -> list:
    """Every ``BENCHMARK_REFERENCES`` row the registry's papers expose (published numbers, not run by us),
    then the composite's published rows (``common.evaluation.published``); a row of a method a package runs here
    (``runs_as``: the first package in the registry's order whose ``stands_for`` names it) carries the recomputed
    values that package's ``Reported`` numbers hold for the same published number (``references.with_recomputed``).
    A package refused at its load, or a claim on a row that is not there or is claimed already, is left out in
    one line; the others' rows stand."""
    references, reported = [], {}
    stands_for: dict[str, list[str]] = {}
    modules = []
    for paper_id in registry.PAPER_IDS:
        try:
            modules.append((paper_id, registry.get_paper(paper_id)))
        except (KeyError, ImportError, DeclarationError):  # refused by name where it is run (_load_paper)
            continue
    references += list(published.REFERENCES)  # each composite row once, from its one source
    for paper_id, module in modules:
        for row in getattr(module, "BENCHMARK_REFERENCES", ()) or ():
            if any(row.name == other.name and row.track == other.track for other in references):
                print(f"{PROG}: note: {paper_id}: its BENCHMARK_REFERENCES row {row.name!r} is given already "
                      "(common/evaluation/published.json); that one stands", file=sys.stderr)
                continue
            references.append(row)
        reported[paper_id] = [r for experiment in getattr(module, "EXPERIMENTS", ()) or () for r in experiment.reported]
    names = {reference.name for reference in references}
    for paper_id, module in modules:
        for name in getattr(getattr(module, "PIPELINE", None), "stands_for", ()):
            if name in names and name not in stands_for:
                stands_for[name] = [paper_id]
            else:
                why = f"{stands_for[name][0]} stands for it" if name in stands_for else "no published row has it"
                print(f"{PROG}: note: {paper_id}: stands_for names {name!r}, which {why}; not drawn under its run",
                      file=sys.stderr)
    return list(with_recomputed(with_runs_as(references, stands_for), reported))


def benchmark(args, registry: Any) -> int:
    """``--benchmark TRACK|all`` through ``common.orchestration.leaderboard_runs.run_benchmark`` (exit 0, or 3 when
    folds are not scored)."""
    from common.leaderboard.tracks import TRACKS, get_track
    from common.orchestration.parallel import registry_reference

    if args.seeds < 1:
        raise CliError(f"--seeds {args.seeds}: expected 1 or more")
    if args.max_folds is not None and args.max_folds < 1:
        raise CliError(f"--max-folds {args.max_folds}: expected 1 or more")
    try:
        tracks = list(TRACKS) if args.benchmark == "all" else [get_track(args.benchmark)]
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None
    _import_tensorflow_quietly()
    methods, left_out = _benchmark_methods(registry, args.methods)
    if args.estimate:  # every method on every track, projected over the folds the run would train; nothing trains
        from common.orchestration.leaderboard_runs import limit_folds

        return estimate(args, entries=[
            (paper_id, limit_folds(module.benchmark_experiment(track, model), args.max_folds))
            for track in tracks for paper_id, module, model in methods])
    _refuse_fold_parallel(args, [(paper_id, module.benchmark_experiment(track, model))
                                 for track in tracks for paper_id, module, model in methods], benchmark=True)
    references = _benchmark_references(registry)
    from common.orchestration.leaderboard_runs import run_benchmark

    benches = []
    try:
        settings = _settings(args)
        for track in tracks:
            benches.append(run_benchmark(track, methods, settings, seeds=args.seeds, max_folds=args.max_folds,
                                         references=references, registry=registry_reference(registry),
                                         left_out=left_out))
    except WorkSavedError:  # exit 3 (_dispatch): every method's folds are saved
        raise
    except (ConfigError, RunError) as exc:
        raise CliError(str(exc)) from None
    logger.info("")
    for bench in benches:
        outputs = bench.outputs
        logger.info(f"benchmark {bench.track.name}: report {outputs['report']}")
        logger.info(f"benchmark {bench.track.name}: {outputs['results']}, {outputs['leaderboard'].name}, "
                    f"{outputs['predictions'].name}; per method x seed: {outputs['dir']}/<method>/seed<k>/")
    not_scored = [entry for bench in benches for entry in bench.not_scored]
    if not_scored:
        print(_not_scored_line(not_scored), file=sys.stderr)
        return EXIT_FOLDS_NOT_SCORED
    return 0


def score(args) -> int:
    """``--score FILE --benchmark TRACK`` through ``common.orchestration.score_runs.score_file``."""
    from common.leaderboard.tracks import get_track
    from common.orchestration.score_runs import score_file

    if args.benchmark == "all":
        raise CliError("--score FILE scores one track: name it (--benchmark megc2019 or megc2019_hde)")
    try:
        track = get_track(args.benchmark)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None
    score_file(args.score, track, _settings(args), partial=args.partial, against=args.against)
    return 0


def site(args, registry: Any) -> int:
    """``--site DIR`` through ``common.leaderboard.site.build_site``, reading the runs under ``--out`` (reports/)."""
    from common.leaderboard.site import build_site
    from common.reporting.site import check_site_folder

    try:
        check_site_folder(args.site)
    except ValueError as exc:
        raise CliError(f"--site {exc}") from None
    _import_tensorflow_quietly()  # the papers' packages (their published numbers) import Keras
    try:
        index = build_site(args.site, registry, reports=args.out, command=shlex.join([PROG, *args._argv]))
    except OSError as exc:
        raise CliError(f"--site {args.site}: cannot write there: {exc.strerror or exc}") from None
    except ValueError as exc:  # a shipped file that cannot be read: one line naming it
        raise CliError(f"--site: {exc}") from None
    logger.info(f"site: {index} (open it in a browser from the file system; no server, no network)")
    return 0


def check_data(root: Path, faces: bool = False, registry: Any = None) -> int:
    try:
        from common.datasets.check import main as check_main
    except ImportError as exc:
        raise CliError(f"the data checker is not available: {exc}") from None
    _import_tensorflow_quietly()  # the papers' packages import Keras
    registry = _registry(registry)
    papers: dict[str, Any] = {}
    for paper_id in registry.PAPER_IDS:  # the checker counts each experiment's selection on the data
        try:
            papers[paper_id] = tuple(registry.get_paper(paper_id).EXPERIMENTS)
        except Exception as exc:  # boundary: any paper's package; a broken one is reported by the check, not fatal
            papers[paper_id] = exc
    return int(check_main(root, faces=faces, papers=papers) or 0)


def _check_backend() -> None:
    """The Keras backend can be loaded, or one line naming it and what to install, before any work."""
    problem = keras_backend_problem()
    if problem:
        raise CliError(problem)


def _check_cache() -> None:
    """The cache folder (MERSUITE_CACHE) is a writable folder, or one line before any work."""
    from common.preprocessing.cache import check_cache_folder

    check_cache_folder()


def _check_start(args, seeds: int = 1) -> None:
    """What a run, a benchmark or an estimate needs before any work: seeds in range, a usable cache."""
    from common.running.preflight import check_seeds

    check_seeds(args.seed, seeds)
    _check_cache()


def main(argv: list[str] | None = None, registry: Any = None, loader: Any = None) -> int:
    """The CLI; ``registry`` (anything with ``PAPER_IDS`` and ``get_paper``) defaults to ``papers``,
    ``loader`` (reads a database: ``loader(name, root, **options)``) to ``common.datasets.load``."""
    for stream in (sys.stdout, sys.stderr):  # a path or name the locale cannot encode is printed with its escapes
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)
    repeated = repeated_options(parser, args._argv)
    if repeated:
        parser.error(f"{', '.join(repeated)} given more than once; give each once")
    args._loader = loader
    args._estimate_note = ""  # check_mode_options' note of the options --estimate ignores, printed by estimate

    # The one logging setup: the project's progress lines, bare, on stdout as print wrote them (on stderr for
    # --predict, whose stdout carries its results); library code configures none (common.orchestration.logs).
    with lines_to(Console("stderr" if args.predict is not None else "stdout")):
        return _dispatch(args, parser, registry)


def _dispatch(args, parser: argparse.ArgumentParser, registry: Any) -> int:
    """``main``'s work once the arguments are parsed and the log lines have their handler."""
    try:
        if args.score is None:  # every command but --score (which trains and loads no model) imports Keras
            _check_backend()
        if args.check_data is not None:
            check_mode_options(args, parser, "check_data")
            if args.faces:
                _check_cache()
            return check_data(args.check_data, faces=args.faces, registry=registry)
        if args.faces:
            raise CliError("--faces goes with --check-data ROOT")
        if args.list:
            check_mode_options(args, parser, "list")
            return list_papers(_registry(registry))
        if args.predict is not None:
            check_mode_options(args, parser, "predict")
            if args.model is None:
                raise CliError("--predict CLIP needs --model DIR (a folder written by --export)")
            _check_cache()
            return predict(args, _registry(registry))
        if any(getattr(args, name) is not None for name in ("model", "onset", "apex", "offset", "fps")):
            raise CliError("--model, --onset, --apex, --offset and --fps go with --predict CLIP")
        if args.score is not None:
            if args.paper or args.experiment:
                raise CliError("--score FILE scores a file on a benchmark track; it does not go with --paper or "
                               "--experiment")
            if not args.benchmark:
                raise CliError("--score FILE needs --benchmark TRACK, the track whose clips and folds score it")
            check_mode_options(args, parser, "score")
            _check_cache()
            return score(args)
        if args.site is not None:
            check_mode_options(args, parser, "site")
            return site(args, _registry(registry))
        if args.partial or args.against is not None:
            raise CliError("--partial and --against go with --score FILE")
        if args.export is not None:
            check_mode_options(args, parser, "export")
            if not args.paper or args.paper == "all" or len(args.experiment) > 1:
                raise CliError("--export DIR exports one experiment: give --paper ID and at most one --experiment NAME")
            _check_start(args)
            return export(args, _registry(registry))
        if args.benchmark:
            if args.paper or args.experiment or args.architectures:
                raise CliError("--benchmark runs every method on a track; it does not go with --paper, --experiment "
                               "or --architectures")
            args._estimate_note = check_mode_options(args, parser,
                                                     "benchmark_estimate" if args.estimate else "benchmark")
            _check_start(args, seeds=1 if args.estimate else args.seeds)
            return benchmark(args, _registry(registry))
        if args.methods or args.max_folds is not None or args.seeds != 1:
            raise CliError("--methods, --seeds and --max-folds go with --benchmark TRACK")
        if not args.paper:
            parser.error("give --paper ID|all or --benchmark TRACK|all (or --list, --check-data ROOT)")
        if args.json and not args.architectures:
            raise CliError("--json goes with --architectures or --predict")
        mode = "architectures" if args.architectures else "estimate" if args.estimate else "run"
        args._estimate_note = check_mode_options(args, parser, mode)
        if mode != "architectures":
            _check_start(args)
        chosen = _selected_papers(_registry(registry), args.paper)
        if args.architectures:
            return architectures(chosen, args.json)
        if args.estimate:
            return estimate(args, chosen)
        return run(args, chosen, registry)
    except CliError as exc:
        _err(str(exc))
        return EXIT_USER_ERROR
    except WorkSavedError as exc:  # a write failed after folds finished: they are saved, a rerun reuses them
        _err(one_line(exc))
        return EXIT_FOLDS_NOT_SCORED
    except MersuiteError as exc:  # the project's own errors (settings, data, folders): one line, never a traceback
        _err(one_line(exc))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        _err("interrupted; finished folds are saved, run the same command again to resume")
        return 130

