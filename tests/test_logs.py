"""The log lines' one setup (``common.orchestration.logs``): the project's loggers write the bare message
where ``print`` wrote it, only while the CLI (or a worker's fold) runs, and leave logging as they found it."""
from __future__ import annotations

import logging

from common.orchestration import cli, logs


def _state() -> list[tuple[int, list]]:
    return [(logging.getLogger(name).level, list(logging.getLogger(name).handlers)) for name in logs.PROJECT_LOGGERS]


def test_lines_to_collects_the_project_lines_only_and_leaves_the_loggers_as_they_were():
    before = _state()
    lines: list[str] = []
    with logs.lines_to(logs.Lines(lines)):
        logging.getLogger("common.running.runner").info("[p/e] fold 1/2 s01: ok in 0m01s")
        logging.getLogger("papers.see2019.protocol").warning("a paper's warning")
        logging.getLogger("common.training").debug("below INFO: not a progress line")
        logging.getLogger("elsewhere").warning("a third party's line")
    logging.getLogger("common.running.runner").info("after the block")
    assert lines == ["[p/e] fold 1/2 s01: ok in 0m01s", "a paper's warning"]
    assert _state() == before


def test_the_console_writes_the_bare_line_to_the_stream_of_the_moment(capsys):
    with logs.lines_to(logs.Console("stdout")):
        logging.getLogger("common.orchestration.paper_runs").info("")
        logging.getLogger("common.orchestration.paper_runs").info("100% of 3 folds")  # a '%' is no format
    with logs.lines_to(logs.Console("stderr")):
        logging.getLogger("papers.le2020.protocol").info("on stderr")
    out, err = capsys.readouterr()
    assert out == "\n100% of 3 folds\n" and err == "on stderr\n"


def test_the_cli_sets_up_its_console_for_the_command_only(capsys, monkeypatch):
    before = _state()

    def dispatch(args, parser, registry):
        logging.getLogger("common.running.runner").info("a progress line")
        return 0

    monkeypatch.setattr(cli, "_dispatch", dispatch)
    assert cli.main(["--list"]) == 0
    assert capsys.readouterr() == ("a progress line\n", "")
    assert cli.main(["--predict", "clip.mp4", "--model", "models/x"]) == 0  # its stdout carries the results
    assert capsys.readouterr() == ("", "a progress line\n")
    assert _state() == before


def test_a_name_in_a_console_line_reaches_the_terminal_with_its_control_characters_escaped(capsys, monkeypatch):
    """A log line, and the lines --predict prints of the user's recordings, quote names from files and folders:
    their ESC (a clear-screen sequence), CR (the cursor back over the line) and right-to-left override reached the
    terminal raw. A log record's own line ends stay."""
    import argparse

    from common.deployment import predict

    with logs.lines_to(logs.Console("stdout")):
        logging.getLogger("common.deployment.predict").info("clip\x1b[2J\r\u202eX: excluded\nsecond line")
    assert capsys.readouterr().out == "clip\\x1b[2J\\r\\u202eX: excluded\nsecond line\n"
    monkeypatch.setattr(predict, "predict_command", lambda *args, **kwargs: (None, [], {}))
    monkeypatch.setattr(predict, "summary_lines", lambda exported, results: ["rec\x1b[2J\n.mp4: negative (0.9)"])
    args = argparse.Namespace(predict="x", model="m", onset=None, apex=None, offset=None, fps=None,
                              faces_policy="exclude", out=None, json=False)
    assert cli.predict(args, None) == 0
    assert capsys.readouterr().out == "rec\\x1b[2J\\n.mp4: negative (0.9)\n"
