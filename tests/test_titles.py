"""Titles read as English: "1 user" (not "1 users"), a swept axis named once ("context swept", not
"context context"), no "all 1 GPUs" column for a single GPU."""

from __future__ import annotations

from types import SimpleNamespace

from llmwalls.render.audit import load_text


def test_walls_title_one_user_and_a_swept_context(cli):
    r = cli(
        "walls",
        "--model",
        "70b",
        "--gpu",
        "h100",
        "--gpus",
        "8",
        "--users",
        "1",
        "--sweep",
        "context=4k..16k",
    )
    assert r.exit_code == 0, r.stderr
    title = " ".join(r.stdout.split("\n\n")[0].split())
    assert "1 user," in title and "1 users" not in title
    assert "context swept" in title and "context context" not in title


def test_walls_title_plural_users(cli):
    r = cli("walls", "--model", "8b", "--gpu", "h100", "--users", "2")
    assert r.exit_code == 0, r.stderr
    assert "2 users" in " ".join(r.stdout.split("\n\n")[0].split())


def test_memory_has_no_all_gpus_column_for_one_gpu(cli):
    one = cli("memory", "--model", "8b", "--gpu", "h100")
    assert one.exit_code == 0 and "all 1 GPU" not in one.stdout
    eight = cli("memory", "--model", "70b", "--gpu", "h100", "--tp", "8")
    assert "all 8 GPUs" in eight.stdout


def test_audit_load_says_user_for_one():
    row = SimpleNamespace(kind="serving", users=1, requests_per_s=None, context_tokens=8192, tp=8)
    assert load_text(row).startswith("1 user\n")  # type: ignore[arg-type]
    row.users = 3000
    assert load_text(row).startswith("3,000 users\n")  # type: ignore[arg-type]
