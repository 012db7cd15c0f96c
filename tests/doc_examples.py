"""The examples of README.md and docs/: extracted, run, and their shown output compared with the real one.

Conventions the documents follow (so that every example is a test):
- A fenced block (```, ```sh, ```console) holds commands. `llmwalls ...` or `$ llmwalls ...` is run;
  other commands (pip, source, cp) are not llmwalls examples and are left alone. A trailing backslash joins
  lines.
- A comment `# exit N` after a command asserts its exit code; without one the command must exit 0. Every
  example with `--check` states its exit code.
- In a block that uses `$ ` prompts, the lines after a command, up to the next prompt, are its shown output:
  each line must be a line of the real output, in order. Lines follow each other in the real output too,
  unless a line `...` between them says some were left out; a shown line ending in ` ...` is the start of a
  real line. Lines starting with `llmwalls:` are the notes and warnings on stderr.
- Numbers are compared within their printed rounding: each within half a unit of the last digit printed (of
  the coarser of the two): a shown `135.0` matches a real 134.95..135.05, a shown `36.5` a real `36.47`;
  the text between numbers must match exactly (runs of spaces count as one).
- `| jq FILTER` pipes the JSON through jq; `> FILE` sends the output to a temporary file.
- Examples run in a temporary directory where `profiles/` is the repository's, and where the files that stand
  for a user's own (`my-gpu.toml`, `config.json`, `my_cases.toml`, ...) are the FIXTURES below.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = "100"  # the terminal width the shown outputs are rendered at

# Meta-Llama-3.1-70B's config.json, the fields a profile import reads
# (https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json).
_LLAMA_31_70B_CONFIG = {
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

# name in an example -> the text it holds when the example runs
FIXTURES: dict[str, str] = {
    "my-gpu.toml": (ROOT / "profiles" / "gpus" / "h100-sxm.toml").read_text(),
    "config.json": json.dumps(_LLAMA_31_70B_CONFIG),
    "my_cases.toml": (ROOT / "llmwalls" / "validation_cases.toml").read_text(),
}


@dataclass
class Example:
    source: str  # file:line
    command: str  # the llmwalls command line (without the prompt and the comment)
    exit_code: int
    shown: list[str] = field(default_factory=list)
    pipe: str | None = None  # a jq filter
    redirect: str | None = None

    @property
    def args(self) -> list[str]:
        return shlex.split(self.command)[1:]


_FENCE = re.compile(r"^```(\w*)\s*$")
_EXIT = re.compile(r"^exit (\d)\b")


def _split_comment(line: str) -> tuple[str, str]:
    for marker in ("  #", " # "):
        if marker in line:
            head, _, tail = line.partition(marker)
            return head.strip(), tail.strip().lstrip("#").strip()
    return line.strip(), ""


def extract(path: Path) -> list[Example]:
    """Every llmwalls example of one Markdown file."""
    lines = path.read_text().splitlines()
    examples: list[Example] = []
    i = 0
    rel = path.relative_to(ROOT)
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or m.group(1) not in ("", "sh", "console", "shell", "bash"):
            if m:  # another language's block (toml, json, python): skip to its end
                i += 1
                while i < len(lines) and not lines[i].startswith("```"):
                    i += 1
            i += 1
            continue
        i += 1
        block: list[tuple[int, str]] = []
        while i < len(lines) and not lines[i].startswith("```"):
            block.append((i + 1, lines[i]))
            i += 1
        i += 1
        prompted = any(text.startswith("$ ") for _, text in block)
        current: Example | None = None
        j = 0
        while j < len(block):
            lineno, text = block[j]
            while text.endswith("\\") and j + 1 < len(block):
                j += 1
                text = text[:-1].rstrip() + " " + block[j][1].strip()
            j += 1
            is_prompt = text.startswith("$ ")
            body = text[2:] if is_prompt else text
            if (is_prompt or not prompted) and body.strip().startswith("llmwalls "):
                command, comment = _split_comment(body)
                code = int(m_exit.group(1)) if (m_exit := _EXIT.match(comment)) else 0
                pipe = redirect = None
                if "|" in command:
                    command, _, pipe = (part.strip() for part in command.partition("|"))
                    assert pipe.startswith("jq "), f"{rel}:{lineno}: only `| jq` is supported"
                    pipe = pipe[3:].strip()
                if ">" in command:
                    command, _, redirect = (part.strip() for part in command.partition(">"))
                current = Example(f"{rel}:{lineno}", command, code, pipe=pipe, redirect=redirect)
                examples.append(current)
            elif is_prompt:
                current = None  # another program's prompt: its output is not ours to check
            elif prompted and current is not None:
                current.shown.append(text)
    return examples


# ----------------------------------------------------------------------------------------- comparison

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _tokens(line: str) -> tuple[list[str], list[tuple[float, float]]]:
    """The text between numbers (whitespace runs collapsed) and each number with its half unit."""
    texts, numbers = [], []
    pos = 0
    for m in _NUMBER.finditer(line):
        texts.append(" ".join(line[pos : m.start()].split()))
        raw = m.group(0).replace(",", "")
        mantissa = re.split("[eE]", raw)[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(re.split("[eE]", raw)[1]) if re.search("[eE]", raw) else 0
        numbers.append((float(raw), 0.5 * 10.0 ** (exponent - decimals)))
        pos = m.end()
    texts.append(" ".join(line[pos:].split()))
    return texts, numbers


def line_matches(shown: str, real: str) -> bool:
    prefix = shown.rstrip().endswith(" ...")
    if prefix:
        shown = shown.rstrip()[: -len(" ...")]
    s_texts, s_nums = _tokens(shown)
    r_texts, r_nums = _tokens(real)
    if prefix:
        if len(r_nums) < len(s_nums):
            return False
        r_nums = r_nums[: len(s_nums)]
        r_texts = r_texts[: len(s_texts)]
        if not r_texts[-1].startswith(s_texts[-1]) and s_texts[-1]:
            return False
        s_texts, r_texts = s_texts[:-1], r_texts[:-1]
    if s_texts != r_texts or len(s_nums) != len(r_nums):
        return False
    return all(
        abs(a - b) <= max(ha, hb) * (1 + 1e-9) for (a, ha), (b, hb) in zip(s_nums, r_nums, strict=True)
    )


def unmatched(shown: list[str], real: list[str]) -> str | None:
    """None when every shown line is found in the real output (in order, adjacent unless `...` comes
    between); else the first shown line that is not."""
    lines = [line for line in real if line.strip()]
    pos = 0
    skip = True  # the first shown line may match anywhere
    for line in shown:
        if not line.strip():
            continue
        if line.strip() in ("...", "…"):
            skip = True
            continue
        found = None
        for k in range(pos, len(lines) if skip else min(pos + 1, len(lines))):
            if line_matches(line, lines[k]):
                found = k
                break
        if found is None:
            return line
        pos, skip = found + 1, False
    return None


def jq(filter_: str, text: str) -> str:
    """The output of `jq FILTER` on text (jq must be installed)."""
    exe = shutil.which("jq")
    assert exe is not None
    done = subprocess.run(
        [exe, *shlex.split(filter_)], input=text, capture_output=True, text=True, check=True
    )
    return done.stdout
