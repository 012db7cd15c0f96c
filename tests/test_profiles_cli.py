"""`llmwalls profiles` and the bad inputs of issue 2: each gets one line on stderr, exit 2, no traceback,
nothing written."""

import json
import math

import pytest

from llmwalls import catalogue
from llmwalls.engine.model import param_counts

GOOD_GPU = """kind = "gpu"
name = "test-gpu"
source = "test fixture"
vendor = "test"
hbm_bytes = 80e9
hbm_bandwidth_bytes_per_s = 3.35e12
tdp_w = 700.0
[peak_flops_per_s]
bf16 = 989.4e12
"""

GOOD_MODEL = """kind = "model"
name = "tiny"
source = "test fixture"
layers = 2
hidden_size = 64
attention_heads = 8
kv_heads = 2
ffn_size = 128
vocab_size = 100
max_context_tokens = 1024
"""


def one_line_error(r):
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmwalls: error: "), r.stderr
    return lines[0]


def test_list_shows_sources(cli):
    r = cli("profiles", "list", "--kind", "model")
    assert r.exit_code == 0
    assert "llama-3.1-70b" in r.stdout and "sku_list.py" in r.stdout
    data = cli("profiles", "list", "--json").json()
    assert data["schema"] == "llmwalls.profiles.list" and data["schema_version"] == 2
    assert all(row["source"] for row in data["results"])


def test_show_resolves_alias_and_says_so(cli):
    r = cli("profiles", "show", "70b")
    assert r.exit_code == 0
    assert 'name = "llama-3.1-70b"' in r.stdout
    assert "model '70b' -> llama-3.1-70b" in r.stderr
    assert "70,553,706,496" in r.stdout  # derived count: see tests/test_params.py


def test_show_json(cli):
    data = cli("profiles", "show", "h100", "--json").json()
    assert data["results"]["profile"]["hbm_bytes"] == 80e9


@pytest.mark.parametrize("name", ["H100", "h100", "H100-SXM"])
def test_names_are_case_insensitive(name):
    assert catalogue.load("gpu", name).name == "h100-sxm"


def test_unknown_name_suggests_closest(cli):
    line = one_line_error(cli("profiles", "show", "h1000", "--kind", "gpu"))
    assert "unknown gpu 'h1000'" in line and "h100" in line


def test_path_works_where_a_name_does(cli, tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(GOOD_GPU)
    r = cli("profiles", "show", str(path))
    assert r.exit_code == 0 and 'name = "test-gpu"' in r.stdout


def test_user_dir_adds_and_overrides(cli, isolated_home):
    (isolated_home / "gpus").mkdir(parents=True)
    (isolated_home / "gpus" / "h100-sxm.toml").write_text(GOOD_GPU.replace('"test-gpu"', '"h100-sxm"'))
    catalogue.index.cache_clear()
    assert catalogue.load("gpu", "h100-sxm").source == "test fixture"
    r = cli("profiles", "list", "--kind", "gpu")
    assert "user" in r.stdout


BAD_PROFILES = {
    "not TOML": ("kind = gpu\nname = [", "not valid TOML"),
    "unknown key": (GOOD_GPU + "hbm_gb = 80\n", "hbm_gb: unknown key"),
    "missing field": (
        GOOD_GPU.replace("hbm_bytes = 80e9\n", ""),
        "hbm_bytes: missing required key",
    ),
    "wrong type": (GOOD_GPU.replace("tdp_w = 700.0", 'tdp_w = "700"'), "tdp_w"),
    "zero": (GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = 0.0"), "greater than 0"),
    "negative": (GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = -700.0"), "greater than 0"),
    "NaN": (GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = nan"), "tdp_w"),
    "infinite": (GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = inf"), "tdp_w"),
    "huge": (GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = 1e300"), "less than or equal"),
    "heads vs kv heads": (GOOD_MODEL.replace("kv_heads = 2", "kv_heads = 3"), "not divisible by kv_heads"),
    "unknown kind": (GOOD_GPU.replace('kind = "gpu"', 'kind = "tpu"'), "kind must be one of"),
    "source names a non-field": (GOOD_GPU + '[sources]\nhbm_gb = "a datasheet"\n', "sources names 'hbm_gb'"),
}


@pytest.mark.parametrize("case", BAD_PROFILES)
def test_validate_reports_each_problem(cli, tmp_path, case):
    text, expected = BAD_PROFILES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    r = cli("profiles", "validate", str(path))
    assert r.exit_code == 2
    assert expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_validate_lists_every_problem_and_good_files(cli, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(GOOD_MODEL)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD_GPU.replace("tdp_w = 700.0", "tdp_w = -1.0") + "typo = 1\n")
    r = cli("profiles", "validate", str(good), str(bad))
    assert r.exit_code == 2
    assert "ok  " in r.stdout
    assert "tdp_w" in r.stderr and "typo: unknown key" in r.stderr


def test_broken_toml_given_as_a_name_is_one_line(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("this is = = not toml")
    one_line_error(cli("profiles", "show", str(path)))


def test_hostile_huge_file_is_refused(cli, tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text('kind = "gpu"\n' + "# padding\n" * 200_000)
    assert "a profile is at most" in one_line_error(cli("profiles", "show", str(path)))


# --- import from Hugging Face config.json -------------------------------------------------------------

# Field names and values of meta-llama/Meta-Llama-3.1-70B config.json (only the fields that matter).
LLAMA_31_70B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "tie_word_embeddings": False,
    "rms_norm_eps": 1e-05,
}
# deepseek-ai/DeepSeek-V3 config.json (the main model's fields).
DEEPSEEK_V3 = {
    "model_type": "deepseek_v3",
    "hidden_size": 7168,
    "intermediate_size": 18432,
    "moe_intermediate_size": 2048,
    "num_hidden_layers": 61,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "n_shared_experts": 1,
    "n_routed_experts": 256,
    "first_k_dense_replace": 3,
    "num_experts_per_tok": 8,
    "q_lora_rank": 1536,
    "kv_lora_rank": 512,
    "qk_rope_head_dim": 64,
    "qk_nope_head_dim": 128,
    "v_head_dim": 128,
    "vocab_size": 129280,
    "max_position_embeddings": 163840,
    "tie_word_embeddings": False,
    "topk_method": "noaux_tc",
}
# mistralai/Mixtral-8x7B-v0.1 and Qwen/Qwen2-72B-Instruct config.json fields.
MIXTRAL = {
    "model_type": "mixtral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "vocab_size": 32000,
    "max_position_embeddings": 32768,
    "sliding_window": None,
}
QWEN2 = {
    "model_type": "qwen2",
    "hidden_size": 8192,
    "intermediate_size": 29568,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 152064,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": False,
    "sliding_window": 131072,
    "use_sliding_window": False,
}


@pytest.mark.parametrize(
    "config,expected_params",
    [
        (LLAMA_31_70B, 70553706496),  # same count as the built-in profile (tests/test_params.py)
        (DEEPSEEK_V3, 671026419200),
        (MIXTRAL, 46702792704),
        (QWEN2, 72706203648),
    ],
)
def test_import_hf_config(cli, tmp_path, isolated_home, config, expected_params):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = cli("profiles", "import", str(path), "--name", "imported")
    assert r.exit_code == 0, r.stderr
    written = isolated_home / "models" / "imported.toml"
    assert written.is_file()
    catalogue.index.cache_clear()
    assert param_counts(catalogue.load_model("imported")).total == expected_params


def test_import_refuses_to_overwrite_without_force(cli, tmp_path, isolated_home):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_31_70B))
    assert cli("profiles", "import", str(path), "--name", "mine").exit_code == 0
    target = isolated_home / "models" / "mine.toml"
    before = target.read_bytes()
    path.write_text(json.dumps({**LLAMA_31_70B, "num_hidden_layers": 40}))
    line = one_line_error(cli("profiles", "import", str(path), "--name", "mine"))
    assert "--force" in line
    assert target.read_bytes() == before
    assert cli("profiles", "import", str(path), "--name", "mine", "--force").exit_code == 0
    assert target.read_bytes() != before
    assert not list(target.parent.glob(".*.tmp"))  # atomic write leaves no temporary file


def test_import_refuses_to_shadow_a_builtin_without_force(cli, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_31_70B))
    assert "--force" in one_line_error(cli("profiles", "import", str(path), "--name", "llama-3.1-70b"))


@pytest.mark.parametrize(
    "content,expected",
    [
        ("{not json", "is not JSON"),
        ('{"hidden_size": 4096}', "lacks num_hidden_layers"),
        ("[1, 2]", "not an object"),
        (json.dumps({**LLAMA_31_70B, "num_key_value_heads": 7}), "not divisible by kv_heads"),
        (json.dumps({**LLAMA_31_70B, "num_hidden_layers": -1}), "layers"),
        (json.dumps({**LLAMA_31_70B, "hidden_size": math.inf}).replace("Infinity", "1e999"), "hidden_size"),
    ],
)
def test_import_bad_config(cli, tmp_path, isolated_home, content, expected):
    path = tmp_path / "config.json"
    path.write_text(content)
    assert expected in one_line_error(cli("profiles", "import", str(path), "--name", "x"))
    assert not (isolated_home / "models").exists()


def test_show_with_unknown_kind_is_one_line(cli):
    assert "--kind" in one_line_error(cli("profiles", "show", "h100", "--kind", "tpu"))


# 30,000 levels (60 KB, under the 64 KiB profile cap): tomllib alone would raise RecursionError.
DEEP = 'kind = "gpu"\nx = ' + "[" * 30_000 + "]" * 30_000 + "\n"


@pytest.mark.parametrize(
    "args",
    [
        ("profiles", "show", "{path}"),
        ("memory", "--model", "{path}"),
        ("audit", "{path}"),
        ("walls", "--model", "8b", "--assumptions", "{path}"),
        ("calibrate", "--cases", "{path}"),
    ],
)
def test_hostile_nesting_is_one_line_everywhere_a_toml_file_is_read(cli, tmp_path, args):
    # tomllib recurses once per nesting level: 50,000 levels would raise RecursionError.
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    line = one_line_error(cli(*[a.format(path=path) for a in args]))
    assert "nested too deeply" in line


def test_broken_user_profile_does_not_break_other_commands(cli, isolated_home):
    (isolated_home / "gpus").mkdir(parents=True)
    (isolated_home / "gpus" / "deep.toml").write_text(DEEP)
    (isolated_home / "gpus" / "binary.toml").write_bytes(b'kind = "gpu"\n\xff\xfe\x00garbage')
    catalogue.index.cache_clear()
    assert cli("memory", "--model", "8b", "--gpu", "h100").exit_code == 0
    r = cli("profiles", "validate", str(isolated_home / "gpus" / "deep.toml"))
    assert r.exit_code == 2 and "nested too deeply" in r.stderr
