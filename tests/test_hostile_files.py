"""Hostile files: special files, over-long and odd names, unwritable and full directories, links, existing
files, interrupted writes, deep and huge inputs, counts beyond any real system. Each gets one line on
stderr and exit 2 (or a warning and a skip, for the user's profile directory), never a traceback, a hang,
or a lost or partial user file."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from llmwalls import bounds, files

ROOT = Path(__file__).resolve().parent.parent
GOOD_CONFIG = {  # meta-llama/Meta-Llama-3.1-8B config.json, the fields that matter
    "model_type": "llama",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
}
# The TOML of a valid GPU profile: the user directory tests need one readable profile beside the bad ones.
GPU_TOML = (
    (ROOT / "profiles" / "gpus" / "h100-sxm.toml").read_text().replace('name = "h100-sxm"', 'name = "my-gpu"')
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk type and its CRC: the last 8 bytes of every complete PNG


def one_line_error(r) -> str:
    """The result of a refused command: exit 2, no traceback, exactly one error line on stderr, last
    (before it only llmwalls' own notes, such as "model '8b' -> llama-3.1-8b"); that line."""
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert all(line.startswith("llmwalls: ") for line in lines), r.stderr
    assert [line for line in lines if line.startswith("llmwalls: error: ")] == lines[-1:], r.stderr
    return lines[-1]


def run_subprocess(args: list[str], home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real program in a child process: a hang fails the test at `timeout` instead of blocking it."""
    env = {**os.environ, "LLMWALLS_HOME": str(home), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "llmwalls", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------------------- special files


def test_fifo_is_refused_without_blocking(tmp_path):
    # A FIFO with no writer: open() without O_NONBLOCK would block forever, read() would wait for data.
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    config = tmp_path / "config.json"
    os.mkfifo(config)
    for args in (
        ["profiles", "validate", str(fifo)],
        ["profiles", "import", str(config), "--name", "x"],
        ["memory", "--model", str(fifo)],
    ):
        r = run_subprocess(args, tmp_path / "home", timeout=30)
        assert r.returncode == 2, (args, r.stderr)
        assert "named pipe" in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.splitlines()) == 1


def test_the_open_descriptor_is_checked_not_only_the_path(tmp_path, monkeypatch):
    # The path is looked at before opening (a device is never opened), but a path can change between that
    # look and open(): the open descriptor's own fstat decides. Here the look is fooled; fstat is not.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "regular").write_text("x")
    looks_regular = os.stat(tmp_path / "regular")
    monkeypatch.setattr(os, "stat", lambda *args, **kwargs: looks_regular)
    with pytest.raises(files.FileReadError, match="named pipe"):
        files.read_bytes(fifo, what="profile", max_bytes=100)


def test_a_size_that_lies_still_reads_at_most_the_cap(tmp_path, monkeypatch):
    # /proc files and files still growing report a size below their content: at most max_bytes + 1 bytes
    # are read, whatever fstat says.
    path = tmp_path / "big"
    path.write_bytes(b"x" * 10_000)
    real_fstat = os.fstat

    class Small:
        def __init__(self, info: os.stat_result):
            self.st_mode, self.st_size = info.st_mode, 0

    monkeypatch.setattr(os, "fstat", lambda fd: Small(real_fstat(fd)))
    with pytest.raises(files.FileReadError, match="over 1,000 bytes"):
        files.read_bytes(path, what="profile", max_bytes=1_000)


def test_fifo_in_the_user_directory_is_skipped_with_a_warning(tmp_path):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    os.mkfifo(home / "models" / "trap.toml")
    r = run_subprocess(["memory", "--model", "8b", "--json"], home, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "trap.toml" in r.stderr and "named pipe" in r.stderr
    assert any("trap.toml" in w for w in json.loads(r.stdout)["warnings"])


@pytest.mark.parametrize(
    "args",
    [
        ("profiles", "validate", "{path}"),
        ("profiles", "show", "{path}"),
        ("profiles", "import", "{path}", "--name", "zero"),
        ("memory", "--model", "{path}.toml"),
        ("audit", "{path}"),
        ("walls", "--model", "8b", "--assumptions", "{path}"),
        ("calibrate", "--cases", "{path}"),
    ],
)
def test_dev_zero_is_never_read(cli, tmp_path, args):
    # /dev/zero reads forever: refused as a device before a byte is read (a symlink named *.toml where
    # a name must look like a path).
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    r = cli(*[a.format(path=link) for a in args])
    if args[:2] == ("profiles", "validate"):
        assert r.exit_code == 2 and "character device" in r.stderr
    else:
        assert "character device" in one_line_error(r)


def test_user_directory_with_unreadable_entries_still_serves_every_command(cli, isolated_home):
    models = isolated_home / "models"
    models.mkdir(parents=True)
    (isolated_home / "gpus").mkdir()
    (isolated_home / "gpus" / "my-gpu.toml").write_text(GPU_TOML)
    (models / "folder.toml").mkdir()  # a directory named *.toml
    (models / "dangling.toml").symlink_to(isolated_home / "nowhere.toml")  # unreadable: the target is gone
    (models / "loop.toml").symlink_to(models / "loop.toml")  # ELOOP
    (models / "binary.toml").write_bytes(b"\xff\xfe\x00binary\x00")
    (models / "huge.toml").write_text("# padding\n" * 10_000)  # 100 KB: more than a profile's 64 KiB
    (models / "deep.toml").write_text("x" + ".x" * 5_000 + " = 1\n")
    (models / "nested.toml").write_text("x = " + "[" * 1_000 + "]" * 1_000 + "\n")
    r = cli("memory", "--model", "8b", "--gpu", "my-gpu")
    assert r.exit_code == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("llmwalls: warning: skipping")]
    for name, reason in (
        ("folder.toml", "is a directory"),
        ("dangling.toml", "no such file"),
        ("loop.toml", "symbolic link loop"),
        ("binary.toml", "not UTF-8"),
        ("huge.toml", "a profile is at most 65,536"),
        ("deep.toml", "nested too deeply"),
        ("nested.toml", "nested too deeply"),
    ):
        assert any(name in w and reason in w for w in warnings), (name, r.stderr)


def test_deeply_dotted_900_kb_file_is_refused_in_milliseconds(cli, tmp_path, isolated_home):
    # 15 keys of 30,000 dotted parts: tomllib's time grows with the square of a key's parts (one key of
    # 20,000 parts takes about 7 s), so parsing this would take minutes. The scan refuses it first.
    text = "".join(f"k{i}" + ".a" * 30_000 + " = 1\n" for i in range(15))
    assert 850_000 < len(text) < 1_000_000
    cases = tmp_path / "cases.toml"
    cases.write_text(text)
    start = time.perf_counter()
    assert "nested too deeply" in one_line_error(cli("calibrate", "--cases", str(cases)))
    assert time.perf_counter() - start < 5.0
    # The same content in the user directory (where every command would parse it) is skipped.
    (isolated_home / "models").mkdir(parents=True)
    (isolated_home / "models" / "dotted.toml").write_text(text[:60_000])
    start = time.perf_counter()
    r = cli("profiles", "list", "--kind", "gpu")
    assert r.exit_code == 0 and "dotted.toml" in r.stderr and "nested too deeply" in r.stderr
    assert time.perf_counter() - start < 5.0


# --------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "args",
    [
        ("memory", "--model", "{long}.toml"),
        ("audit", "{long}"),
        ("calibrate", "--cases", "{long}"),
        ("walls", "--model", "8b", "--assumptions", "{long}"),
        ("profiles", "show", "{long}.toml"),
        ("profiles", "import", "{long}", "--name", "x"),
        ("roofline", "--model", "8b", "--gpu", "h100", "--plot", "{long}.png", "--no-chart"),
    ],
)
def test_over_long_file_name_is_one_shortened_line(cli, tmp_path, args):
    long = str(tmp_path / ("a" * 5_000))  # NAME_MAX is 255: ENAMETOOLONG
    line = one_line_error(cli(*[a.format(long=long) for a in args]))
    assert "file name too long" in line
    assert len(line) < 600  # the 5,000-character name is shortened, head and tail kept
    assert "characters]..." in line


@pytest.mark.parametrize(
    "args",
    [
        ("memory", "--model", "{path}"),
        ("audit", "{path}"),
        ("calibrate", "--cases", "{path}"),
        ("walls", "--model", "8b", "--assumptions", "{path}"),
        ("profiles", "import", "{path}", "--name", "x"),
    ],
)
def test_path_with_a_newline_is_one_line(cli, tmp_path, args):
    path = str(tmp_path / "two\nlines.toml")
    line = one_line_error(cli(*[a.format(path=path) for a in args]))
    assert "two\\nlines.toml" in line  # escaped, as repr shows it


def test_five_thousand_character_value_is_shortened(cli):
    line = one_line_error(cli("memory", "--model", "8b", "--weights", "x" * 5_000))
    assert len(line) < 600 and "characters]..." in line
    line = one_line_error(cli("profiles", "show", "y" * 5_000))
    assert len(line) < 600


# ------------------------------------------------------------------------------------ config.json import


@pytest.mark.parametrize(
    "change,needle",
    [
        ({"kv_lora_rank": 512, "qk_nope_head_dim": 128, "v_head_dim": 128}, "lacks qk_rope_head_dim"),
        ({"sliding_window": [4096, 4096]}, "sliding_window as a list"),
        ({"sliding_window": "4096"}, "expected a positive whole number"),
        ({"text_config": [1, 2]}, None),  # not an object of fields: refused, not AttributeError
        ({"num_hidden_layers": 10**12}, "MAX_LAYERS"),
        ({"num_local_experts": 10**9, "num_experts_per_tok": 2}, "MAX_EXPERTS"),
    ],
)
def test_config_json_field_shapes_are_one_line_errors(cli, tmp_path, change, needle):
    cfg = {**GOOD_CONFIG, **change}
    if "text_config" in change:
        cfg = {"text_config": change["text_config"]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    line = one_line_error(cli("profiles", "import", str(path), "--name", "imported"))
    assert needle is None or needle in line


def test_config_json_nested_100000_deep_is_refused(cli, tmp_path):
    # json.loads recurses once per level: 100,000 levels would raise RecursionError.
    path = tmp_path / "config.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in one_line_error(cli("profiles", "import", str(path), "--name", "deep"))


# -------------------------------------------------------------------------------------------- writing


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(GOOD_CONFIG))
    return path


def test_home_pointing_at_a_file(cli, tmp_path, monkeypatch):
    home = tmp_path / "home-file"
    home.write_text("not a directory\n")
    monkeypatch.setenv("LLMWALLS_HOME", str(home))
    line = one_line_error(cli("profiles", "import", str(_config(tmp_path)), "--name", "mine"))
    assert "cannot write profile" in line and "not a directory" in line
    assert home.read_text() == "not a directory\n"
    r = cli("memory", "--model", "8b")  # every other command still works
    assert r.exit_code == 0, r.stderr


def test_home_with_an_over_long_name(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("LLMWALLS_HOME", str(tmp_path / ("h" * 5_000)))
    r = cli("memory", "--model", "8b")  # the built-in profiles still work; the directory gets a warning
    assert r.exit_code == 0 and "cannot read the profile directory" in r.stderr
    line = one_line_error(cli("profiles", "import", str(_config(tmp_path)), "--name", "mine"))
    assert "file name too long" in line and len(line) < 600


def test_import_into_a_full_disk_leaves_the_old_profile(cli, tmp_path, isolated_home, monkeypatch):
    assert cli("profiles", "import", str(_config(tmp_path)), "--name", "mine").exit_code == 0
    profile = isolated_home / "models" / "mine.toml"
    before = profile.read_bytes()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    line = one_line_error(
        cli("profiles", "import", str(_config(tmp_path)), "--name", "mine", "--source", "other", "--force")
    )
    assert "no space left on device" in line
    assert profile.read_bytes() == before
    assert [p.name for p in profile.parent.iterdir()] == ["mine.toml"]  # no temporary left behind


def test_unwritable_directory(cli, tmp_path, monkeypatch):
    # Running as root makes chmod ineffective, so the directory is made unwritable by being under a file.
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    line = one_line_error(
        cli("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(blocker / "r.png"))
    )
    assert "cannot write --plot file" in line and "not a directory" in line


def test_plot_into_a_missing_directory_is_refused_not_created(cli, tmp_path):
    target = tmp_path / "no-such-dir" / "r.png"
    r = cli("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(target))
    line = one_line_error(r)
    assert "cannot write --plot file" in line and "no such file or directory" in line
    assert not target.parent.exists()


def test_full_disk_leaves_the_old_file_and_no_temporary(cli, tmp_path, monkeypatch):
    target = tmp_path / "chart.png"
    target.write_bytes(b"the user's file")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    line = one_line_error(
        cli("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(target), "--force")
    )
    assert "no space left on device" in line
    assert target.read_bytes() == b"the user's file"
    assert [p.name for p in tmp_path.iterdir() if p.name != "llmwalls-home"] == ["chart.png"]  # no temporary


def test_short_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 10:
            return real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(files.InputError, match="no space left"):
        files.atomic_write_bytes(target, b"x" * 1_000, force=True, what="test file")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_plot_refuses_an_existing_file_without_force(cli, tmp_path):
    target = tmp_path / "chart.png"
    target.write_bytes(b"keep me")
    args = ("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(target))
    assert "exists; pass --force to replace it" in one_line_error(cli(*args))
    assert target.read_bytes() == b"keep me"
    r = cli(*args, "--force")
    assert r.exit_code == 0, r.stderr
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)


def test_walls_plot_refuses_an_existing_file_without_force(cli, tmp_path):
    target = tmp_path / "sweep.svg"
    target.write_text("keep me")
    args = ("walls", "--model", "8b", "--gpu", "h100", "--sweep", "users=1..64", "--plot", str(target))
    assert "exists; pass --force" in one_line_error(cli(*args))
    assert target.read_text() == "keep me"
    assert cli(*args, "--force").exit_code == 0
    assert target.read_text().rstrip().endswith("</svg>")


def test_symlink_target_is_refused_even_with_force(cli, tmp_path, isolated_home):
    # Writing through the link would replace a file the user did not name; replacing the link would
    # silently undo what its owner set up. llmwalls refuses both and says so.
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    link = tmp_path / "chart.png"
    link.symlink_to(precious)
    for force in ((), ("--force",)):
        line = one_line_error(
            cli("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(link), *force)
        )
        assert "is a symbolic link" in line
        assert link.is_symlink() and precious.read_text() == "precious"
    (isolated_home / "models").mkdir(parents=True)
    (isolated_home / "models" / "mine.toml").symlink_to(precious)
    line = one_line_error(cli("profiles", "import", str(_config(tmp_path)), "--name", "mine", "--force"))
    assert "is a symbolic link" in line and precious.read_text() == "precious"


def test_written_files_get_the_umask_permissions(cli, tmp_path):
    old = os.umask(0o027)
    try:
        assert cli("profiles", "import", str(_config(tmp_path)), "--name", "mine").exit_code == 0
        plot = tmp_path / "r.svg"
        assert (
            cli("roofline", "--model", "8b", "--gpu", "h100", "--no-chart", "--plot", str(plot)).exit_code
            == 0
        )
    finally:
        os.umask(old)
    profile = tmp_path / "llmwalls-home" / "models" / "mine.toml"
    # 0o666 & ~0o027 = 0o640: what any program's new file gets under this umask (not 0o600 of mkstemp).
    assert stat.S_IMODE(profile.stat().st_mode) == 0o640
    assert stat.S_IMODE(plot.stat().st_mode) == 0o640


_PLOT_ARGS = ["roofline", "--model", "8b", "--gpu", "h100", "--no-chart"]


def _in_child(work: Callable[[], object]) -> int:
    """Fork a child that runs ``work()`` (imports already warm in this process, so no start-up cost) with
    its output sent to /dev/null, and exits; returns its pid."""
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            result = work()
            code = result if isinstance(result, int) else 0
        finally:
            os._exit(code)
    return pid


def _kill_after(work: Callable[[], object], delay: float) -> None:
    pid = _in_child(work)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    _, status = os.waitpid(_in_child(work), 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.perf_counter() - start


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_write_leaves_the_old_file_or_the_complete_new_one(tmp_path):
    """SIGKILL a process in the middle of atomic_write_bytes (the writer of every --plot, profile and
    report) at 20 moments spread over the write: the target holds the old bytes or all the new ones."""
    target = tmp_path / "chart.png"
    old = b"the user's old file"
    new = os.urandom(8 << 20)  # 8 MiB: a write long enough for the kills to land inside it

    def write() -> None:
        files.atomic_write_bytes(target, new, force=True, what="test file")

    target.write_bytes(old)
    duration = _timed(write)
    assert target.read_bytes() == new
    rng = random.Random(16)
    for _ in range(20):
        target.write_bytes(old)
        _kill_after(write, rng.uniform(0, 1.2 * duration))
        data = target.read_bytes()
        assert data in (old, new), f"partial file: {len(data):,} bytes"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_plot_leaves_the_old_file_or_a_complete_png(cli, tmp_path):
    """The same through the real entry point: `roofline --plot --force` over an existing file, killed at
    random moments of the last part of its run (matplotlib renders, then the bytes are written)."""
    from llmwalls.cli import main

    target = tmp_path / "chart.png"
    old = b"the user's old chart, not a PNG"
    args = [*_PLOT_ARGS, "--plot", str(target), "--force"]
    target.write_bytes(old)
    assert cli(*args).exit_code == 0  # warms the imports (matplotlib) in this process
    target.write_bytes(old)
    full_run = _timed(lambda: main(args))
    assert target.read_bytes().endswith(PNG_END)
    rng = random.Random(16)
    for _ in range(4):
        target.write_bytes(old)
        _kill_after(lambda: main(args), rng.uniform(0.7 * full_run, 1.1 * full_run))
        data = target.read_bytes()
        assert data == old or (data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)), len(data)


# ------------------------------------------------------------------------------------------- bounds


def _model_toml(layers: int, experts: int, hidden: int = 4096) -> str:
    return f"""kind = "model"
name = "at-the-bounds"
source = "synthetic: every count at llmwalls.bounds"
layers = {layers}
hidden_size = {hidden}
attention_heads = 32
kv_heads = 8
ffn_size = 14336
vocab_size = 128256
max_context_tokens = 131072

[moe]
experts = {experts}
experts_per_token = 2
expert_ffn_size = 2048
"""


@pytest.mark.parametrize(
    "field,value,bound",
    [
        ("layers", 10**12, "MAX_LAYERS"),
        ("experts", 10**12, "MAX_EXPERTS"),
        ("hidden_size", 10**9, "MAX_HIDDEN_SIZE"),
    ],
)
def test_profile_above_a_bound_names_it(cli, tmp_path, field, value, bound):
    counts = {"layers": 32, "experts": 8, "hidden": 4096}
    counts[{"hidden_size": "hidden"}.get(field, field)] = value
    path = tmp_path / "big.toml"
    path.write_text(_model_toml(counts["layers"], counts["experts"], counts["hidden"]))
    line = one_line_error(cli("memory", "--model", str(path)))
    assert bound in line and "absurd" in line


@pytest.mark.parametrize(
    "args",
    [
        ("power", "--cluster", "dgx-h100", "--gpus", str(2**63)),
        ("cost", "--gpu", "h100", "--gpus", str(2**63)),
        ("walls", "--model", "8b", "--gpu", "h100", "--gpus", "2e7"),
        ("cluster", "--model", "8b", "--gpus", "2e7"),
        ("memory", "--model", "8b", "--batch", "1e12"),
        ("roofline", "--model", "8b", "--gpu", "h100", "--context", "2e12"),
    ],
)
def test_count_options_share_one_set_of_bounds(cli, args):
    line = one_line_error(cli(*args))
    assert "llmwalls.bounds.MAX_" in line


def _at_the_bounds() -> str:
    """Every count of a model profile at its bound at once (widths, heads, vocabulary, experts, context)."""
    b = bounds
    return f"""kind = "model"
name = "all-bounds"
source = "synthetic: every count at llmwalls.bounds"
layers = {b.MAX_LAYERS.limit}
hidden_size = {b.MAX_HIDDEN_SIZE.limit}
attention_heads = {b.MAX_HEADS.limit}
kv_heads = {b.MAX_HEADS.limit}
ffn_size = {b.MAX_FFN_SIZE.limit}
vocab_size = {b.MAX_VOCAB.limit}
max_context_tokens = {b.MAX_CONTEXT_TOKENS.limit}

[moe]
experts = {b.MAX_EXPERTS.limit}
experts_per_token = {b.MAX_EXPERTS.limit}
shared_experts = {b.MAX_EXPERTS.limit}
expert_ffn_size = {b.MAX_FFN_SIZE.limit}
"""


def test_numbers_below_the_smallest_positive_are_refused(cli, tmp_path):
    # 1 / 1e-300 overflows: a GPU that slow, or a TTFT that short, is a typo for something else.
    line = one_line_error(cli("walls", "--model", "8b", "--gpu", "h100", "--ttft-s", "1e-300"))
    assert "SMALLEST_POSITIVE" in line
    gpu = tmp_path / "slow.toml"
    gpu.write_text(
        GPU_TOML.replace("hbm_bandwidth_bytes_per_s = 3.35e12", "hbm_bandwidth_bytes_per_s = 1e-300")
    )
    line = one_line_error(cli("roofline", "--model", "8b", "--gpu", str(gpu)))
    assert "hbm_bandwidth_bytes_per_s: 1e-300 is absurdly small" in line and "SMALLEST_POSITIVE" in line


@pytest.mark.parametrize("which", ["layers-and-experts", "every-count"])
def test_engines_stay_fast_at_the_bounds(cli, tmp_path, which):
    """Counts at their bounds: every engine that sizes work by them answers in bounded time, with no
    numpy warning (the suite turns warnings into errors). Measured warm, in-process, on a 2-core machine
    at load 8: memory 0.1 s, cluster 1.4-3.5 s, cost 0.5-1.2 s, power 0.4-1.0 s, walls --train 1.3-2.8 s
    (against 0.1 / 1.5 / 0.4 / 0.4 / 0.6 s for an 8B-sized profile); before the bounds and the O(sqrt n)
    searches, 10^12 layers made `memory` allocate 7 TiB and 10^12 experts ran cluster, cost, power and
    walls past 20 s."""
    path = tmp_path / "bounds.toml"
    text = _model_toml(bounds.MAX_LAYERS.limit, bounds.MAX_EXPERTS.limit)
    path.write_text(text if which == "layers-and-experts" else _at_the_bounds())
    model = str(path)
    for args in (
        ("memory", "--model", model, "--gpu", "h100"),
        ("roofline", "--model", model, "--gpu", "h100", "--no-chart"),
        ("cluster", "--model", model, "--gpus", "1024"),
        ("cost", "--gpu", "h100", "--model", model, "--tokens", "1T", "--cluster", "dgx-h100"),
        ("power", "--cluster", "dgx-h100", "--model", model, "--tokens", "1T"),
        ("walls", "--model", model, "--gpu", "h100", "--train", "--cluster", "dgx-h100"),
        ("walls", "--model", model, "--gpu", "h100", "--users", "1000"),
    ):
        start = time.perf_counter()
        r = cli(*args, "--json")
        elapsed = time.perf_counter() - start
        assert r.exit_code in (0, 1, 2), (args, r.stderr)
        assert "Traceback" not in r.stderr
        if r.exit_code != 2:
            json.loads(r.stdout)
        assert elapsed < 20, (args, elapsed)
