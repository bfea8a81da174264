"""benchmarks/gpu_check.py --tiny: the one command for a GPU machine still runs, here on the CPU."""
from __future__ import annotations


def test_gpu_check_tiny_runs_every_part_and_prints_the_table(smoke_corpus, capfd):
    from benchmarks import gpu_check

    # the session's smoke corpus and preprocessing cache (tests/conftest.py): the check's own code, not the faces
    # again; its main() in this process, which starts the measuring child and run_all.py as the command does
    code = gpu_check.main(["--tiny", "--data-root", str(smoke_corpus)])
    out, err = capfd.readouterr()
    assert code == 0, err[-2000:] + out[-2000:]
    lines = out.splitlines()
    model = next(line for line in lines if line.startswith("aouayeb2019/region_cnn_3"))
    fit_rate, device_rate = (float(v.replace(",", "")) for v in model.split()[-2:])
    assert fit_rate > 0 and device_rate > 0
    run = next(line for line in lines if line.startswith("aouayeb2019/megc2019_loso"))
    assert run.split()[1] == "1" and run.split()[-1] == "0"  # one fold measured, run_all.py exit 0
