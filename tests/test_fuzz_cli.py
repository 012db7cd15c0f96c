"""A property test of the whole command line: the real entry point (llmwalls.cli.main, in-process) over
every option of every command, given hostile values and hostile files. Whatever the input:
- the exit code is 0, 1 or 2, and nothing hangs (each run has a time limit);
- stderr never holds a traceback; on exit 2 it holds exactly one error line, the last (before it only
  llmwalls' own notes and warnings) -- `profiles validate` lists one line per problem by design;
- with --json, stdout parses as JSON whenever the command succeeds;
- no file outside the test's temporary directory changes (LLMWALLS_HOME and the working directory are
  inside it; the repository is compared before and after).

Bounded: 150 examples, about 20-40 s on a loaded 2-core machine (a --plot that really draws takes a few
seconds under load and is drawn from a small share of the values)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmwalls import catalogue, render
from llmwalls.cli import load_command, main

ROOT = Path(__file__).resolve().parent.parent
SECONDS_PER_RUN = 60  # a run past this is a hang
# More examples for a longer hunt: LLMWALLS_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_cli.py
EXAMPLES = int(os.environ.get("LLMWALLS_FUZZ_EXAMPLES", "150"))
STATS_FILE = os.environ.get("LLMWALLS_FUZZ_STATS")  # append each run's exit code and argv here

# A minimal valid invocation of each command; options drawn below are appended (a repeated option
# replaces the base value, so hostile profiles reach --model, --gpu and --cluster too).
BASE: dict[str, list[str]] = {
    "memory": ["memory", "--model", "8b"],
    "roofline": ["roofline", "--model", "8b", "--gpu", "h100", "--no-chart"],
    "cluster": ["cluster", "--model", "8b", "--gpus", "8"],
    "power": ["power", "--cluster", "dgx-h100"],
    "cost": ["cost", "--gpu", "h100"],
    "walls": ["walls", "--model", "8b", "--gpu", "h100"],
    "audit": ["audit", "profiles/roadmaps/example.toml"],
    "calibrate": ["calibrate", "--category", "decode"],
    "profiles list": ["profiles", "list"],
    "profiles show": ["profiles", "show", "h100"],
    "profiles validate": ["profiles", "validate"],
    "profiles import": ["profiles", "import"],
    "completion": ["completion"],
}
# Values that have broken parsers elsewhere: signs, non-numbers, overflow, suffixes, huge and odd text.
VALUES = [
    "-1",
    "0",
    "nan",
    "inf",
    "1e400",
    "1e-400",
    "1e-300",
    "1e300",
    "1e-12",
    "abc",
    "",
    " ",
    "9" * 40,
    str(2**63),
    "1k",
    "2.5M",
    "1e12",
    "50%",
    "1/2",
    "x" * 5_000,
    "a\nb",
    "nul\x00byte",
    "µ\u2028line",
    "h100",
    "8b",
    "dgx-h100",
    "fp8",
    "users=1..1e12",
    "context=1..2",
    "gpus=0..10",
    "bandwidth_efficiency=0.5",
]
# Hostile and ordinary files, made once per test in the temporary directory (names relative to it).
FILES = [
    "good-gpu.toml",
    "huge-gpu.toml",
    "tiny-gpu.toml",
    "tiny-model.toml",
    "big-model.toml",
    "adir.toml",
    "pipe.toml",
    "binary.toml",
    "deep.toml",
    "dotted.toml",
    "huge.toml",
    "empty.toml",
    "notoml.toml",
    "config.json",
    "deep.json",
    "mla.json",
    "window.json",
    "existing.png",
    "link.png",
    "new.svg",
    "a" * 300 + ".toml",
    "two\nlines.toml",
    "missing.toml",
    "/dev/zero",
    "/dev/null",
]


def _make_files(root: Path) -> None:
    gpu = (ROOT / "profiles" / "gpus" / "h100-sxm.toml").read_text()
    (root / "good-gpu.toml").write_text(gpu.replace('name = "h100-sxm"', 'name = "fuzz-gpu"'))
    for name, value in (("huge-gpu", "1e24"), ("tiny-gpu", "1e-300")):  # every rate at an extreme
        (root / f"{name}.toml").write_text(
            f'kind = "gpu"\nname = "{name}"\nsource = "fuzz"\nvendor = "x"\nhbm_bytes = {value}\n'
            f"hbm_bandwidth_bytes_per_s = {value}\ntdp_w = {value}\n"
            f"scale_up_bandwidth_bytes_per_s = {value}\n"
            f"[peak_flops_per_s]\nbf16 = {value}\n"
        )
    for name, count in (("tiny-model", 1), ("big-model", 10**12)):  # every count 1; every count absurd
        (root / f"{name}.toml").write_text(
            f'kind = "model"\nname = "{name}"\nsource = "fuzz"\nlayers = {count}\nhidden_size = {count}\n'
            f"attention_heads = {count}\nkv_heads = {count}\nffn_size = {count}\nvocab_size = {count}\n"
            f"max_context_tokens = {count}\n[moe]\nexperts = {count}\nexperts_per_token = 1\n"
            f"expert_ffn_size = {count}\n"
        )
    (root / "adir.toml").mkdir()
    os.mkfifo(root / "pipe.toml")
    (root / "binary.toml").write_bytes(b"\xff\xfe\x00\x01")
    (root / "deep.toml").write_text("x = " + "[" * 20_000 + "]" * 20_000)
    (root / "dotted.toml").write_text("k" + ".a" * 20_000 + " = 1\n")
    (root / "huge.toml").write_text("# pad\n" * 200_000)
    (root / "empty.toml").write_text("")
    (root / "notoml.toml").write_text("this is not toml [[[")
    config = {
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "intermediate_size": 14336,
        "vocab_size": 128256,
    }
    (root / "config.json").write_text(json.dumps(config))
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "mla.json").write_text(json.dumps({**config, "kv_lora_rank": 512}))
    (root / "window.json").write_text(json.dumps({**config, "sliding_window": [1, 2]}))
    (root / "existing.png").write_bytes(b"the user's file")
    (root / "link.png").symlink_to(root / "existing.png")
    (root / "two\nlines.toml").write_text(gpu)


def _options(command: str) -> list[str]:
    """Every option of a command (value-taking and flags), from its Click definition."""
    words = BASE[command]
    cmd = load_command(words[0])
    if len(words) > 1 and words[0] == "profiles":
        cmd = cmd.commands[words[1]]
    return sorted(
        opt for p in cmd.params if p.param_type_name == "option" for opt in p.opts if opt.startswith("--")
    )


OPTIONS = {name: [o for o in _options(name) if o != "--help"] for name in BASE}
FLAGS = {"--json", "--check", "--force", "--train", "--no-chart", "--sweep-ranges"}


@st.composite
def invocations(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(BASE)))
    argv = list(BASE[command])
    value = st.one_of(st.sampled_from(VALUES), st.sampled_from(FILES), st.text(max_size=12))
    if command in ("profiles validate", "profiles import", "profiles show", "audit"):
        argv.append(draw(st.sampled_from(FILES)) if command != "profiles show" else draw(value))
        if command == "audit":
            argv.pop(1)
        if command == "profiles import":
            argv += ["--name", draw(st.sampled_from(["fuzzed", "Bad Name", "x" * 5_000, "h100-sxm"]))]
    for option in draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=3)) if OPTIONS[command] else []:
        argv.append(option)
        if option not in FLAGS and not option.startswith("--no-"):
            argv.append(draw(value))
    if command != "completion" and draw(st.booleans()):
        argv.append("--json")
    if command == "completion":
        argv.append(draw(st.sampled_from(["bash", "zsh", "fish", "tcsh", ""])))
    return argv


class _Hang(BaseException):
    """Raised by the alarm: not an Exception, so nothing in llmwalls can catch it and carry on."""


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    skip = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                out[path] = (info.st_mtime_ns, info.st_size)
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    _make_files(work)
    (work / "profiles").symlink_to(ROOT / "profiles")  # the base audit invocation's roadmap
    monkeypatch.chdir(work)
    return work


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the repository's .hypothesis directory
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=invocations())
def test_every_command_survives_hostile_input(workdir, argv):
    before = _snapshot(ROOT)

    def hang(signum: int, frame: FrameType | None) -> None:
        raise _Hang(f"llmwalls {argv!r} ran past {SECONDS_PER_RUN} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(SECONDS_PER_RUN)
    out, err = io.StringIO(), io.StringIO()
    try:
        render.reset_warnings()
        catalogue.index.cache_clear()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    stdout, stderr = out.getvalue(), err.getvalue()
    if STATS_FILE:
        with open(STATS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps([code, argv, stderr[-300:]]) + "\n")

    assert code in (0, 1, 2), (argv, code, stderr)
    assert "Traceback" not in stderr, (argv, stderr)
    lines = stderr.splitlines()
    if code == 2:
        if argv[:2] == ["profiles", "validate"]:
            assert lines and all(line.startswith(("bad ", "llmwalls: ")) for line in lines), (argv, stderr)
        else:
            assert all(line.startswith("llmwalls: ") for line in lines), (argv, stderr)
            errors = [line for line in lines if line.startswith("llmwalls: error: ")]
            assert errors == lines[-1:], (argv, stderr)
            assert len(errors[0]) < 5_000, argv
    elif "--json" in argv and not any(a in ("--help", "-h") for a in argv):
        json.loads(stdout)
    assert _snapshot(ROOT) == before, argv
