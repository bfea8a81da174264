"""The synthetic corpus writer: round trip through the real loaders, mirror counts, determinism."""
from __future__ import annotations

import json
from collections import Counter

import pytest

import common.datasets.synthetic as synthetic
from common.datasets import load
from common.datasets.synthetic import default_corpus, flat_renderer, write_corpus
from common.datasets.synthetic.__main__ import main as cli
from common.datasets.synthetic.corpus import make_plan
from common.datasets.tables import read_rows

LOADED = ("casme2", "smic", "smic_e", "samm", "casme_sq", "megc2019")
# docs/databases.md §5.1: the MEGC 2019 table
MEGC_TABLE = {("smic", "negative"): 70, ("smic", "positive"): 51, ("smic", "surprise"): 43,
              ("casme2", "negative"): 88, ("casme2", "positive"): 32, ("casme2", "surprise"): 25,
              ("samm", "negative"): 92, ("samm", "positive"): 26, ("samm", "surprise"): 15}


def planned_counts(plan) -> dict[str, Counter]:
    counts = {db: Counter(c.emotion for c in plan.of(db)) for db in ("casme2", "smic", "samm")}
    counts["smic_e"] = counts["smic"] + Counter(c.emotion for c in plan.of("smic") if c.second)
    counts["casme_sq"] = Counter(e.category for v in plan.videos for e in v.expressions)
    return counts


def test_smoke_corpus_round_trip_with_faces(smoke_corpus):
    """The faces corpus of the test session: every loader reads back exactly what the plan wrote."""
    plan = make_plan("smoke", 0)
    expected = planned_counts(plan)
    for name in ("casme2", "smic", "smic_e", "samm", "casme_sq"):
        samples = load(name, smoke_corpus)
        assert Counter(s.emotion for s in samples) == expected[name], name
        assert all(len(s.frames) == s.frame_numbers[-1] - s.frame_numbers[0] + 1 for s in samples)
    casme2 = {s.clip: s for s in load("casme2", smoke_corpus) if s.subject == plan.of("casme2")[0].subject}
    first = plan.of("casme2")[0]
    assert (casme2[first.clip].onset, casme2[first.clip].offset) == (first.onset, first.offset)
    assert len(casme2[first.clip].frames) == first.offset - first.onset + 1
    megc = load("megc2019", smoke_corpus)
    assert len({(s.dataset, s.subject) for s in megc}) == 9  # 3 subjects per database: 9 LOSO folds
    assert {s.emotion for s in megc} == {"negative", "positive", "surprise"}
    manifest = json.loads((smoke_corpus / "corpus.json").read_text())
    assert manifest["megc2019"] == len(megc) and manifest["frames_written"] > 0


def test_smoke_corpus_quirks_are_written(smoke_corpus):
    sheet = read_rows(next(smoke_corpus.glob("CASME2/CASME2-coding-*.xlsx")))
    assert sheet[0][2] is None and sheet[0][6] is None and len(sheet[0]) == 9  # two blank headers
    assert sum(row[4] == "/" for row in sheet) == 1 and any(isinstance(row[7], int) for row in sheet[1:])
    samm = read_rows(next(smoke_corpus.glob("SAMM/SAMM/SAMM_*.xlsx")))
    header = next(i for i, row in enumerate(samm) if row[0] == "Subject")
    assert samm[header + 1][0] == 6 or isinstance(samm[header + 1][0], int)
    names = {p.name for p in smoke_corpus.glob("SAMM/SAMM/*/*/*.jpg")}
    assert {len(n.split("_")[1].split(".")[0]) for n in names} == {4, 5}  # 4- and 5-digit padding
    assert (smoke_corpus / "combined_3class_gt.csv").read_bytes().count(b"\r\n") == len(load("megc2019", smoke_corpus))
    assert any(smoke_corpus.glob("SMIC/SMIC_all_cropped/HS/s1/non_micro/*"))


def test_mirror_corpus_has_the_real_counts(tmp_path):
    out = write_corpus(tmp_path / "mirror", size="smoke", mirror=True, renderer=flat_renderer, progress=False)
    megc = load("megc2019", out)
    assert len(megc) == 442
    assert Counter((s.dataset, s.emotion) for s in megc) == MEGC_TABLE
    assert len({(s.dataset, s.subject) for s in megc}) == 68
    assert Counter(s.dataset for s in {(s.dataset, s.subject): s for s in megc}.values()) == {"smic": 16, "casme2": 24,
                                                                                                 "samm": 28}
    derived = load("megc2019", out, gt_csv=False)
    assert {s.key: s.emotion for s in derived} == {s.key: s.emotion for s in megc}
    casme2 = load("casme2", out)
    assert Counter(s.emotion for s in casme2) == {"others": 99, "disgust": 63, "happiness": 33, "repression": 27,
                                                  "surprise": 25, "sadness": 8, "fear": 2}
    assert len({s.subject for s in casme2}) == 26
    samm = load("samm", out)
    assert len(samm) == 159 and len({s.subject for s in samm}) == 29
    casme_sq = load("casme_sq", out)
    assert Counter(s.meta["type"] for s in casme_sq) == {"macro": 300, "micro": 57}
    assert len({s.subject for s in casme_sq}) == 22 and sum(s.offset is None for s in casme_sq) == 44
    assert max(len(s.frames) for s in casme_sq if s.meta["type"] == "micro") <= 17


def test_writer_is_deterministic_and_seeded(tmp_path):
    def listing(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name != "corpus.json")

    a = write_corpus(tmp_path / "a", size="smoke", seed=3, renderer=flat_renderer, progress=False)
    b = write_corpus(tmp_path / "b", size="smoke", seed=3, renderer=flat_renderer, progress=False)
    assert listing(a) == listing(b)
    sheet = "CASME2/CASME2-coding-20140508.xlsx"
    assert read_rows(a / sheet) == read_rows(b / sheet)
    frame = next(a.glob("CASME2/Cropped/Cropped/*/*/*.jpg")).relative_to(a)
    assert (a / frame).read_bytes() == (b / frame).read_bytes()
    assert make_plan("smoke", 3) != make_plan("smoke", 4)  # another seed, another corpus
    assert make_plan("default", 3) == make_plan("default", 3) != make_plan("default", 4)


def test_clip_names_and_frame_numbers_do_not_follow_the_class():
    plan = make_plan("default", 0)
    for db in ("casme2", "samm"):
        for subject in {c.subject for c in plan.of(db)}:
            clips = sorted((c for c in plan.of(db) if c.subject == subject), key=lambda c: c.clip)
            labels = [c.emotion for c in clips]
            # with 9-10 clips, a label-sorted naming would list each label in one run
            runs = sum(1 for x, y in zip(labels, labels[1:]) if x != y) + 1
            assert runs > len(set(labels)) or labels != sorted(labels)


def test_writer_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="new or empty"):
        write_corpus(tmp_path / "full", size="smoke", renderer=flat_renderer, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]  # no temporary folder left behind


def test_default_corpus_is_written_once_into_the_cache(monkeypatch, private_cache):
    monkeypatch.setattr(synthetic, "FaceRenderer", lambda seed: flat_renderer)
    first = default_corpus("smoke", seed=7)
    assert first.is_relative_to(private_cache) and first.name == f"smoke-seed7-v{synthetic.VERSION}"
    stamp = (first / "corpus.json").stat().st_mtime_ns
    assert default_corpus("smoke", seed=7) == first and (first / "corpus.json").stat().st_mtime_ns == stamp
    assert len(load("megc2019", first)) == json.loads((first / "corpus.json").read_text())["megc2019"]


def test_a_run_says_it_generates_the_corpus_only_when_it_does(monkeypatch, tmp_path):
    """Every run on the synthetic corpus said "it is generated on first use", also the hundredth: the line now says
    whether the corpus is read from its folder or written there first."""
    from common.running.corpus import synthetic_line

    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path))
    folder = synthetic.corpus_folder("smoke")
    assert folder.parent == tmp_path / "synthetic"
    assert synthetic_line("smoke") == f"using the synthetic corpus (smoke size): generating it once, in {folder}"
    folder.mkdir(parents=True)
    (folder / "corpus.json").write_text("{}")
    assert synthetic_line("smoke") == f"using the synthetic corpus (smoke size) in {folder}"
    assert synthetic_line("quick").startswith("using the synthetic corpus (default size): generating it once")


def test_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(synthetic, "FaceRenderer", lambda seed: flat_renderer)
    assert cli(["--out", str(tmp_path / "corpus"), "--size", "smoke", "--seed", "1"]) == 0
    captured = capsys.readouterr()
    assert str((tmp_path / "corpus").resolve()) in captured.out and "clips" in captured.err
    assert cli(["--out", str(tmp_path / "corpus"), "--size", "smoke"]) == 2  # not empty any more
