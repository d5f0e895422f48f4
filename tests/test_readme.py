"""README.md (and deploy/README.md) claim only what the code and `make bench` produce."""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
from pathlib import Path
from types import ModuleType

import pytest

from dnws_bot.cli import build_parser
from dnws_bot.console import ConsoleChat
from dnws_bot.engine import Engine
from dnws_bot.engine.html_subset import ALLOWED_TAGS
from dnws_bot.settings import Settings
from test_deploy import RecordingEnv

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DEPLOY_README = REPO / "deploy" / "README.md"
MAKEFILE = REPO / "Makefile"
ENV_EXAMPLE = REPO / "env.example"
ENV_NAME = r"(?:TELEGRAM|DNWS|ADMIN|XDG)_[A-Z0-9_]+"


def _load_run_all() -> ModuleType:
    """bench/run_all.py (the writer of docs/benchmark.md); bench/ is not on the test path."""
    spec = importlib.util.spec_from_file_location("bench_run_all", REPO / "bench" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_all = _load_run_all()


def readme() -> str:
    return README.read_text(encoding="utf-8")


def code_spans(text: str) -> list[str]:
    """Inline `code` and fenced blocks: where commands are written, as opposed to prose."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    without_fences = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return fenced + re.findall(r"`([^`\n]+)`", without_fences)


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: sub for action in actions for name, sub in action.choices.items()}


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def make_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9_-]*):", text, flags=re.MULTILINE))


@pytest.mark.parametrize("doc", [README, DEPLOY_README], ids=lambda p: p.parent.name)
def test_every_named_subcommand_and_make_target_exists(doc: Path) -> None:
    """Each `dnws-bot <subcommand>` and `make <target>` the docs write is in the CLI or Makefile."""
    spans = code_spans(doc.read_text(encoding="utf-8"))
    named = {m for s in spans for m in re.findall(r"dnws-bot (?:--intents \S+ )?([a-z][a-z-]*)", s)}
    targets = {m for s in spans for m in re.findall(r"\bmake ([a-z][a-z0-9_-]*)", s)}
    assert named, "no dnws-bot command found: the pattern is broken"
    assert named <= subparsers().keys(), sorted(named - subparsers().keys())
    assert targets <= make_targets(), sorted(targets - make_targets())


def command_table() -> dict[str, str]:
    """The README's command table: subcommand → the row's usage cell."""
    rows = re.findall(r"^\| `dnws-bot ([a-z-]+)([^`]*)` \|", readme(), flags=re.MULTILINE)
    return dict(rows)


def test_command_table_documents_every_subcommand() -> None:
    """The README's command table has one row per CLI subcommand, and no other."""
    assert sorted(command_table()) == sorted(subparsers())


@pytest.mark.parametrize("name", sorted(subparsers()))
def test_command_table_options_exist(name: str) -> None:
    """Every --option a command-table row shows is accepted by that subcommand."""
    shown = set(re.findall(r"--[a-z][a-z-]*", command_table().get(name, "")))
    accepted = options(subparsers()[name]) | options(build_parser())
    assert shown <= accepted, sorted(shown - accepted)


def test_console_commands_in_the_table_are_known_to_the_console(shared_engine: Engine) -> None:
    """Each /command the `chat` row lists does something in the console, not 'unknown command'."""
    row = re.search(r"^\| `dnws-bot chat` \|([^\n]*)", readme(), flags=re.MULTILINE)
    assert row is not None
    listed = set(re.findall(r"/[a-z]+", row.group(1)))
    assert {"/quiz", "/help"} <= listed
    for command in sorted(listed):
        out = io.StringIO()
        ConsoleChat(shared_engine, out).handle(command)
        refusal = shared_engine.text("console_unknown_command").ja.format(command=command)
        assert refusal not in out.getvalue(), command


def settings_reads() -> set[str]:
    recorder = RecordingEnv()
    Settings.from_env(recorder)
    return recorder.asked


@pytest.mark.parametrize("doc", [README, ENV_EXAMPLE], ids=lambda p: p.name)
def test_environment_variables_named_are_exactly_those_settings_reads(doc: Path) -> None:
    """Every variable README.md / env.example names is read by Settings, and every one it reads
    is named."""
    named = set(re.findall(rf"\b{ENV_NAME}\b", doc.read_text(encoding="utf-8")))
    assert named - settings_reads() == set(), "named but never read"
    assert settings_reads() - named == set(), "read but not documented"


def bench_block(text: str) -> str:
    begin, end = text.find(run_all.BEGIN), text.find(run_all.END)
    assert 0 <= begin < end, "README.md has no bench block markers"
    return text[begin : end + len(run_all.END)]


def test_readme_figures_are_the_generated_benchmark_block() -> None:
    """The README's figures block is exactly what `make bench` derives from docs/benchmark.md."""
    generated = run_all.readme_block(run_all.BENCHMARK_MD.read_text(encoding="utf-8"))
    assert bench_block(readme()) == generated, "run `make bench`, never edit the block by hand"


def test_no_measured_figure_outside_the_bench_block() -> None:
    """Outside the generated block the README states no measured figure: no milliseconds,
    fractional seconds, MiB, updates/s or percentages (whole-second settings such as a 30 s
    timeout are configuration, not measurements)."""
    text = readme()
    outside = text.replace(bench_block(text), "")
    measured = r"\d+(?:\.\d+)?\s?(?:ms|MiB|%|updates/s)(?![\w-])|\d+\.\d+\s?s\b"
    figures = re.findall(measured, outside)
    assert figures == [], figures


def test_bench_writer_puts_results_in_the_doc_and_the_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A (fake) result lands in docs/benchmark.md with command and date, and the README block is
    regenerated from it while the rest of the README and the other sections are kept."""
    doc, readme_copy = tmp_path / "benchmark.md", tmp_path / "README.md"
    readme_copy.write_text(
        f"# x\n\nbefore\n{run_all.BEGIN}\nold figures\n{run_all.END}\nafter\n", encoding="utf-8"
    )
    monkeypatch.setattr(run_all, "BENCHMARK_MD", doc)
    monkeypatch.setattr(run_all, "README", readme_copy)
    run_all.write({"engine": "| a | b |\n|---|---|\n| 1 | 2 |"}, "2026-01-02", "test box")
    run_all.write({"process": "| run | s |\n|---|---|\n| warm | 0.1 |"}, "2026-01-03", "test box")
    text = doc.read_text(encoding="utf-8")
    assert run_all.COMMAND in text
    assert "Measured 2026-01-02 on test box." in text and "| 1 | 2 |" in text
    assert "Measured 2026-01-03 on test box." in text and "| warm | 0.1 |" in text
    assert "Not measured yet" in text  # telegram
    new_readme = readme_copy.read_text(encoding="utf-8")
    assert new_readme.startswith("# x\n\nbefore\n") and new_readme.endswith("\nafter\n")
    assert "old figures" not in new_readme
    assert bench_block(new_readme) == run_all.readme_block(text)
    assert "| warm | 0.1 |" in bench_block(new_readme)


def test_layout_names_every_module() -> None:
    """The README's Layout section names every module under src/dnws_bot (by its file name)."""
    layout = readme().split("## Layout", 1)[1].split("\n## ", 1)[0]
    package = REPO / "src" / "dnws_bot"
    modules = sorted(
        str(p.relative_to(package)) for p in package.rglob("*.py") if "intents" not in p.parts
    )
    missing = [m for m in modules if Path(m).name not in layout]
    assert missing == [], missing


def test_test_count_claim_holds(request: pytest.FixtureRequest) -> None:
    """When the whole suite runs, it has at least as many tests as the README says."""
    match = re.search(r"over (\d+) tests", readme())
    assert match is not None
    files = {item.path.name for item in request.session.items}
    if len(files) < len(list((REPO / "tests").glob("test_*.py"))):
        pytest.skip("only part of the suite was collected")
    assert len(request.session.items) >= int(match.group(1))


def test_catalogue_counts_in_the_readme_match_the_catalogue(shared_engine: Engine) -> None:
    """The numbers of answers, quiz questions and glossary terms the README gives are the real ones."""
    catalogue = shared_engine.catalogue
    claims = {
        r"one of (\d+) curated answers": len(catalogue.intents),
        r"\((\d+) quiz questions": len(catalogue.study.quiz),
        r"\((\d+) glossary terms": len(catalogue.study.terms),
    }
    for pattern, real in claims.items():
        match = re.search(pattern, readme())
        assert match is not None, pattern
        assert int(match.group(1)) == real, pattern


def test_intent_format_lists_exactly_the_allowed_html_tags() -> None:
    """docs/intent-format.md's list of HTML tags is the set engine/html_subset.py allows."""
    doc = (REPO / "docs" / "intent-format.md").read_text(encoding="utf-8")
    line = next(ln for ln in doc.splitlines() if ln.startswith("- answers are plain text"))
    listed = set(re.findall(r"<([a-z][a-z-]*)[ >]", line))
    assert listed == set(ALLOWED_TAGS)


def test_comments_point_only_to_files_that_exist() -> None:
    """A `docs/…` or `*.md` file a comment in intents/*.yaml points to exists in the repository."""
    missing = []
    for path in sorted((REPO / "intents").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("#"):
                for name in re.findall(r"[\w./-]+\.md\b", line):
                    if not (REPO / name).exists():
                        missing.append(f"{path.name}: {name}")
    assert missing == []


def test_console_transcript_in_the_readme_is_what_the_console_prints(
    shared_engine: Engine,
) -> None:
    """The Quick start transcript's lines come out of the console, in order, for its inputs."""
    block = re.search(r"^```text\n\$ make run\n(.*?)^```", readme(), re.MULTILINE | re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    out = io.StringIO()
    console = ConsoleChat(shared_engine, out)
    printed: list[str] = []
    for line in lines:
        if line.startswith("> "):
            console.handle(line[2:])
            printed += [p for p in out.getvalue().splitlines() if p.strip()]
            out.seek(0)
            out.truncate()
            continue
        shown = line.removesuffix("…")
        assert any(p.startswith(shown) for p in printed), line
        printed = printed[[p.startswith(shown) for p in printed].index(True) + 1 :]


def test_json_contract_keys_in_the_readme_are_the_real_ones(shared_engine: Engine) -> None:
    """The keys the README lists for `ask --json` are exactly the keys it prints."""
    from dnws_bot.cli_commands import reply_json

    paragraph = readme().split("`--json` prints one object:", 1)[1].split("}`", 1)[0]
    listed = re.findall(r'(?<!: )(?<!\|)"([a-z]+)"', paragraph)  # keys, not "value"|"value"
    keys = set(reply_json(shared_engine.answer("DNWSとは")))
    assert set(listed) == keys


def test_bench_main_measures_writes_and_keeps_other_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run_all --only process` (fake runner) prints, then writes only that part of the doc."""
    doc, readme_copy = tmp_path / "benchmark.md", tmp_path / "README.md"
    readme_copy.write_text(f"{run_all.BEGIN}\n{run_all.END}\n", encoding="utf-8")
    monkeypatch.setattr(run_all, "BENCHMARK_MD", doc)
    monkeypatch.setattr(run_all, "README", readme_copy)
    monkeypatch.setitem(run_all.RUNNERS, "process", lambda: "| warm | 0.100 |\n")
    run_all.main(["--only", "process"])
    assert "| warm | 0.100 |" in capsys.readouterr().out
    text = doc.read_text(encoding="utf-8")
    assert "| warm | 0.100 |" in text and text.count("Not measured yet") == 2
    assert "| warm | 0.100 |" in readme_copy.read_text(encoding="utf-8")
