"""Training precisions: what a low-precision GEMM recipe changes in a training step (GEMM rate, quantisation
traffic, extra weight copies, saved activations), and what it leaves alone (attention core, norms,
elementwise work, optimizer state).

Recipes (the names a caller passes):
    bf16          the 16-bit baseline: every GEMM in bf16 (Megatron-LM / FSDP mixed precision).
    fp8           = fp8-delayed.
    fp8-delayed   Transformer Engine's DelayedScaling: per-tensor scales from an amax history (Micikevicius
                  et al. 2022, "FP8 Formats for Deep Learning", arXiv:2209.05433, sec 3-4: E4M3 forward,
                  E5M2 gradients; NVIDIA Transformer Engine docs, "Using FP8 with Transformer Engine",
                  https://docs.nvidia.com/deeplearning/transformer-engine/user-guide/examples/fp8_primer.html).
    fp8-current   Transformer Engine's Float8CurrentScaling: the scale from the tensor's own amax, one extra
                  read of each GEMM input (same docs; Megatron Bridge recipes "FP8-CS").
    fp8-blockwise DeepSeek-V3's fine-grained FP8 (1x128 activation tiles, 128x128 weight blocks; DeepSeek-AI
                  2024, "DeepSeek-V3 Technical Report", arXiv:2412.19437, sec 3.3): Hopper, FP8 rate.
    mxfp8         OCP Microscaling FP8 (E4M3 with one E8M0 scale per 32 values; OCP "Microscaling Formats
                  (MX) v1.0", 2023): needs Blackwell's block-scaled tensor cores (the GPU lists an fp4 rate).
    nvfp4         NVFP4 (E2M1 with an E4M3 scale per 16 values + a per-tensor FP32 scale; NVIDIA 2025,
                  "Pretraining Large Language Models with NVFP4", arXiv:2509.25149): Blackwell only.
In every recipe the LM head, the attention core (FlashAttention runs in bf16), norms, softmax and the
optimizer stay at 16/32 bits: only the linear layers of the transformer blocks change (Transformer Engine
te.Linear / LayerNormLinear / LayerNormMLP; Megatron-LM keeps the output layer in bf16).

Memory (per linear-layer parameter, on top of the bf16 weight, its gradient and the fp32 Adam state, which
Megatron and Transformer Engine keep unchanged): the quantised weight TE caches across the micro-batches of
a step, row-wise for the forward and column-wise (Hopper: the transpose) for the backward GEMMs. Activations
saved for the backward pass: the inputs of the linear layers are saved quantised (TE saves its FP8 input
copy), every other saved tensor stays bf16.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmwalls.errors import InputError


@dataclass(frozen=True)
class TrainingPrecision:
    """One training recipe's effect on the step (see the module docstring for sources)."""

    name: str
    gemm_dtype: str  # the GPU rate key (peak_flops_per_s / measured_matmul_flops_per_s) of the linear GEMMs
    # Fraction of the GPU's measured (MAMF) rate of gemm_dtype that a recipe's linear GEMMs reach, relative
    # to what bf16 GEMMs reach of theirs. 1.0 for bf16; see GEMM_RELATIVE_EFFICIENCY_FP8.
    gemm_relative_efficiency: float
    # Bytes read + written per element to quantise a GEMM input that no preceding kernel emits quantised:
    # read bf16 (2) + write the low-precision copy (1, or 0.5 for fp4) + its scales; current scaling reads
    # the input once more for its amax (+2).
    quantize_bytes_per_element: float
    # Bytes per linear-layer parameter of the cached quantised weight copies (row- and column-wise).
    weight_copy_bytes_per_param: float
    # Bytes per element of a linear layer's input saved for the backward pass.
    saved_input_bytes_per_element: float
    needs_block_scaling: bool = False  # Blackwell's MX / NVFP4 tensor cores (GPU lists an fp4 rate)
    # Share of the transformer blocks' linear GEMMs the recipe keeps in BF16 for stability.
    bf16_linear_fraction: float = 0.0


# Judgement, named: a recipe's linear GEMMs reach the same fraction of ITS measured rate (the GPU profile's
# MAMF for that precision, mamf-finder.py's best shape) as bf16 GEMMs of theirs (matmul_fraction_of_mamf):
# the measured FP8 rate already carries the FP8 kernels' own losses, so no second discount. 0.9 was
# tried and left the split=choose FP8 cases of llmwalls/validation_cases.toml (Megatron Bridge H100 and
# B200 FP8-CS rows) at 0.78-0.86x; 1.0 keeps them within 10% (docs/validation.md).
GEMM_RELATIVE_EFFICIENCY_FP8 = 1.0
# MXFP8 and NVFP4 on Blackwell: block-scaled MMA is native (the tensor core consumes the scales): 1.0.
GEMM_RELATIVE_EFFICIENCY_BLOCK = 1.0

# NVFP4 pretraining keeps the numerically sensitive linear layers in BF16: "selective BF16 layers" of about
# 16% of the 12B model's linear layers, next to 16x16 random Hadamard transforms on the weight-gradient
# inputs, 2D weight scaling and stochastic rounding (NVIDIA 2025, "Pretraining Large Language Models with
# NVFP4", arXiv:2509.25149, https://arxiv.org/abs/2509.25149, sec 4).
NVFP4_BF16_LINEAR_FRACTION = 0.16

TRAINING_PRECISIONS: dict[str, TrainingPrecision] = {
    "bf16": TrainingPrecision("bf16", "bf16", 1.0, 0.0, 0.0, 2.0),
    "fp8-delayed": TrainingPrecision("fp8-delayed", "fp8", GEMM_RELATIVE_EFFICIENCY_FP8, 3.0, 2.0, 1.0),
    "fp8-current": TrainingPrecision("fp8-current", "fp8", GEMM_RELATIVE_EFFICIENCY_FP8, 5.0, 2.0, 1.0),
    # 1x128 activation tiles (one fp32 scale per 128 values), 128x128 weight blocks
    "fp8-blockwise": TrainingPrecision(
        "fp8-blockwise", "fp8", GEMM_RELATIVE_EFFICIENCY_FP8, 3.0 + 4.0 / 128.0, 2.0, 1.0 + 4.0 / 128.0
    ),
    # one E8M0 byte per 32 values, row- and column-wise copies
    "mxfp8": TrainingPrecision(
        "mxfp8",
        "fp8",
        GEMM_RELATIVE_EFFICIENCY_BLOCK,
        2.0 + 2.0 * (1.0 + 1.0 / 32.0),
        2.0 * (1.0 + 1.0 / 32.0),
        1.0 + 1.0 / 32.0,
        needs_block_scaling=True,
    ),
    # 4-bit values + one E4M3 byte per 16: 0.5625 bytes per element; the 2025 recipe also applies a random
    # Hadamard transform to the weight-gradient inputs (one more read + write of those)
    "nvfp4": TrainingPrecision(
        "nvfp4",
        "fp4",
        GEMM_RELATIVE_EFFICIENCY_BLOCK,
        2.0 + 2.0 * 0.5625 + 2.0,
        2.0 * 0.5625,
        0.5625,
        needs_block_scaling=True,
        bf16_linear_fraction=NVFP4_BF16_LINEAR_FRACTION,
    ),
}
ALIASES = {"fp8": "fp8-delayed", "fp8-cs": "fp8-current", "fp8-mx": "mxfp8", "bfloat16": "bf16"}


def training_precision(name: str, gpu: object | None = None) -> TrainingPrecision:
    """The recipe called `name` (aliases: fp8 = fp8-delayed, fp8-cs = fp8-current, fp8-mx = mxfp8); with a
    GPU, InputError when the GPU has no tensor-core rate for it (fp8 needs an fp8 rate; mxfp8 and nvfp4 need
    Blackwell's block-scaled rates, which the profile shows as an fp4 rate)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in TRAINING_PRECISIONS:
        raise InputError(
            f"unknown training precision {name!r}; use one of {', '.join(TRAINING_PRECISIONS)} (or fp8)"
        )
    p = TRAINING_PRECISIONS[key]
    if gpu is not None and p.gemm_dtype != "bf16":  # 16-bit: bf16, else fp16 (PeakFlops.half_precision)
        peaks = gpu.peak_flops_per_s  # type: ignore[attr-defined]
        gpu_name = getattr(gpu, "name", "this GPU")
        if peaks.for_dtype(p.gemm_dtype) is None:
            raise InputError(f"{gpu_name} has no {p.gemm_dtype} tensor-core rate: {key} training needs one")
        if p.needs_block_scaling and peaks.for_dtype("fp4") is None:
            raise InputError(
                f"{key} training needs block-scaled (MX/NVFP4) tensor cores (Blackwell); {gpu_name} has none"
            )
    return p


__all__ = ["ALIASES", "TRAINING_PRECISIONS", "TrainingPrecision", "training_precision"]
