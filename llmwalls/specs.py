"""Profile schema: frozen pydantic models read from TOML. SI base units inside, the unit in every field name,
unknown keys rejected, cross-field checks with readable messages. Every profile carries a ``source``; a
value whose source differs from the profile's names it in ``sources`` (key = field name, dotted for nested
tables, e.g. ``"peak_flops_per_s.fp8"``).

This module imports pydantic (about 0.1 s): only commands that load profiles import it, never ``--help``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, model_validator

from llmwalls import bounds

# Numbers: strict (TOML has real types: "80" is not 80), finite, positive and below absurd.
PositiveInt = Annotated[int, Strict(), Field(gt=0, le=10**12)]
NonNegativeInt = Annotated[int, Field(ge=0, le=10**12), Strict()]
PositiveFloat = Annotated[
    float, Field(gt=0, le=1e24, allow_inf_nan=False), AfterValidator(bounds.check_smallest)
]
NonNegativeFloat = Annotated[float, Field(ge=0, le=1e24, allow_inf_nan=False)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
ProfileName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+-]*$", max_length=80)]
SourceText = Annotated[str, Field(min_length=3, max_length=2000)]
# Counts with a physical bound (llmwalls.bounds: orders of magnitude above any real system, named in the
# error), so that no profile makes an engine run away.
Layers = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_LAYERS.validator())]
Width = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_HIDDEN_SIZE.validator())]
FfnWidth = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_FFN_SIZE.validator())]
Heads = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_HEADS.validator())]
HeadDim = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_HEAD_DIM.validator())]
Vocab = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_VOCAB.validator())]
Experts = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_EXPERTS.validator())]
Tokens = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_CONTEXT_TOKENS.validator())]
GpuCount = Annotated[int, Strict(), Field(gt=0), AfterValidator(bounds.MAX_GPUS.validator())]

DTYPES = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Profile(_Strict):
    """Fields every profile has."""

    kind: str
    name: ProfileName
    aliases: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+-]*$", max_length=80)]] = []
    description: str = ""
    source: SourceText
    sources: dict[str, SourceText] = {}

    @model_validator(mode="after")
    def _sources_name_fields(self) -> Profile:
        for key in self.sources:
            node: Any = self
            for part in key.split("."):
                if isinstance(node, BaseModel) and part in type(node).model_fields:
                    node = getattr(node, part)
                else:
                    raise ValueError(
                        f"sources names {key!r}, which is not a field of this {self.kind} profile"
                    )
        return self


# --------------------------------------------------------------------------------------------- model


class MoeSpec(_Strict):
    """Mixture of experts: routed experts per MoE layer, plus shared (always-on) experts."""

    experts: Experts
    experts_per_token: Experts
    shared_experts: Annotated[int, Field(ge=0), AfterValidator(bounds.MAX_EXPERTS.validator())] = 0
    expert_ffn_size: FfnWidth
    # The first `dense_layers` layers use a dense MLP of `ffn_size` (DeepSeek-V3: first_k_dense_replace = 3).
    dense_layers: Annotated[int, Field(ge=0), AfterValidator(bounds.MAX_LAYERS.validator())] = 0
    # DeepSeek-V3's router carries a per-expert bias (e_score_correction_bias).
    router_bias: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> MoeSpec:
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"moe.experts_per_token ({self.experts_per_token}) is more than moe.experts ({self.experts})"
            )
        return self


class MlaSpec(_Strict):
    """Multi-head latent attention (DeepSeek-V2/V3): low-rank compressed KV plus a decoupled RoPE key."""

    # 0: queries are not compressed (DeepSeek-V2-Lite)
    q_lora_rank: Annotated[int, Field(ge=0), AfterValidator(bounds.MAX_HIDDEN_SIZE.validator())]
    kv_lora_rank: Width
    qk_rope_head_dim: HeadDim
    qk_nope_head_dim: HeadDim
    v_head_dim: HeadDim


class ModelSpec(Profile):
    kind: Literal["model"]
    family: str = ""  # models of one architecture family, for "largest model that fits"
    layers: Layers
    hidden_size: Width
    attention_heads: Heads
    kv_heads: Heads
    head_dim: HeadDim | None = None  # default hidden_size / attention_heads
    ffn_size: FfnWidth  # dense MLP intermediate size
    mlp_gated: StrictBool = True  # SwiGLU/GeGLU: three matrices; plain GELU MLP: two
    vocab_size: Vocab
    tied_embeddings: StrictBool = False
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    qkv_bias: StrictBool = False  # bias on Q, K, V projections only (Qwen2)
    linear_bias: StrictBool = False  # bias on every linear layer (GPT-2/GPT-3)
    position_embedding: Literal["rope", "learned", "alibi", "none"] = "rope"
    max_context_tokens: Tokens
    sliding_window_tokens: Tokens | None = None
    moe: MoeSpec | None = None
    mla: MlaSpec | None = None
    # The total the authors publish, shown beside the computed count (cite it in `sources`).
    published_params: PositiveFloat | None = None
    published_active_params: PositiveFloat | None = None

    @property
    def head_dim_resolved(self) -> int:
        return self.head_dim if self.head_dim is not None else self.hidden_size // self.attention_heads

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if self.attention_heads % self.kv_heads:
            raise ValueError(
                f"attention_heads ({self.attention_heads}) is not divisible by kv_heads ({self.kv_heads})"
            )
        if self.head_dim is None and self.hidden_size % self.attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) is not divisible by attention_heads "
                f"({self.attention_heads}); give head_dim explicitly"
            )
        if self.mla is not None and self.kv_heads != self.attention_heads:
            raise ValueError(
                "an MLA model has kv_heads equal to attention_heads (every head gets its own K/V)"
            )
        if self.moe is not None and self.moe.dense_layers > self.layers:
            raise ValueError(
                f"moe.dense_layers ({self.moe.dense_layers}) is more than layers ({self.layers})"
            )
        if self.sliding_window_tokens is not None and self.sliding_window_tokens > self.max_context_tokens:
            raise ValueError("sliding_window_tokens is larger than max_context_tokens")
        if self.position_embedding == "learned" and self.max_context_tokens > 2**20:
            raise ValueError("learned position embeddings with more than 2^20 positions is not plausible")
        return self


# ----------------------------------------------------------------------------------------------- gpu


class PeakFlops(_Strict):
    """Dense peak FLOP/s per precision, from the datasheet: never the with-sparsity figure."""

    fp64: PositiveFloat | None = None
    fp32: PositiveFloat | None = None
    tf32: PositiveFloat | None = None
    bf16: PositiveFloat
    fp16: PositiveFloat | None = None
    fp8: PositiveFloat | None = None
    int8: PositiveFloat | None = None
    fp4: PositiveFloat | None = None

    def for_dtype(self, dtype: str) -> float | None:
        """FLOP/s for a compute precision; int4 weight-only kernels compute in the activation precision."""
        return getattr(self, dtype, None)


class GpuSpec(Profile):
    kind: Literal["gpu"]
    vendor: str
    form_factor: str = ""  # SXM, PCIe, OAM, superchip
    hbm_bytes: PositiveFloat  # the datasheet's capacity, in the datasheet's (decimal) units
    # What the driver reports as total device memory (nvidia-smi memory.total), where published. Vendors'
    # "80 GB" is in practice about 80 GiB: an H100 80GB reports 81,559 MiB = 85.5e9 bytes. Capacity checks
    # use this when present (memory_capacity_bytes), else hbm_bytes.
    device_memory_bytes: PositiveFloat | None = None
    hbm_bandwidth_bytes_per_s: PositiveFloat
    peak_flops_per_s: PeakFlops
    tdp_w: PositiveFloat
    # Scale-up link (NVLink, xGMI, Gaudi RoCE ports) per GPU, ONE direction: H100 NVLink 4 is 900 GB/s
    # bidirectional = 450 GB/s each way. None for GPUs without one (PCIe cards talk over PCIe).
    scale_up_bandwidth_bytes_per_s: PositiveFloat | None = None
    # Measured, not datasheet: maximum achievable matmul FLOP/s (MAMF) and device-to-device copy bandwidth.
    # Where given they set the achievable fractions of peak used by the roofline and cluster engines.
    measured_matmul_flops_per_s: dict[Literal[DTYPES], PositiveFloat] = {}  # type: ignore[valid-type]
    measured_hbm_bandwidth_bytes_per_s: PositiveFloat | None = None
    idle_power_w: PositiveFloat | None = None
    unit_price_usd: PositiveFloat | None = None
    price_date: str | None = None  # prices change: say when this one was true
    launch_date: str | None = None  # YYYY-MM of general availability, for roadmaps

    @property
    def memory_capacity_bytes(self) -> float:
        """Device memory a job can address: the driver-reported total where known, else the datasheet's."""
        return self.device_memory_bytes if self.device_memory_bytes is not None else self.hbm_bytes

    @model_validator(mode="after")
    def _check(self) -> GpuSpec:
        if self.device_memory_bytes is not None and not (
            0.9 * self.hbm_bytes <= self.device_memory_bytes <= 1.15 * self.hbm_bytes
        ):
            raise ValueError(
                f"device_memory_bytes ({self.device_memory_bytes:.4g}) should be within -10%/+15% of "
                f"hbm_bytes ({self.hbm_bytes:.4g}); check the units (bytes, not MiB)"
            )
        if self.idle_power_w is not None and self.idle_power_w >= self.tdp_w:
            raise ValueError(f"idle_power_w ({self.idle_power_w}) must be below tdp_w ({self.tdp_w})")
        if self.unit_price_usd is not None and not self.price_date:
            raise ValueError("unit_price_usd needs price_date (prices change: say when it was true)")
        return self


# ------------------------------------------------------------------------------------------- cluster


class ClusterSpec(Profile):
    kind: Literal["cluster"]
    gpu: str  # a gpu profile name
    gpus_per_node: GpuCount
    nodes: GpuCount
    # GPUs that share the fast scale-up fabric: 8 on an HGX board, 72 in a GB200 NVL72 rack.
    scale_up_domain_gpus: GpuCount
    scale_up_fabric: Literal["nvlink", "nvswitch", "xgmi", "pcie", "ethernet"]
    # Per GPU, one direction, as nccl-tests' bus bandwidth counts it.
    intra_node_bandwidth_bytes_per_s: PositiveFloat
    intra_node_latency_s: PositiveFloat
    scale_out_fabric: Literal["infiniband", "roce", "ethernet"]
    inter_node_bandwidth_bytes_per_s: PositiveFloat
    inter_node_latency_s: PositiveFloat
    # Everything in a node but its GPUs at full load: CPUs, DRAM, NICs, fans, PSU losses.
    node_overhead_power_w: NonNegativeFloat
    pue: Annotated[float, Field(ge=1.0, le=5.0, allow_inf_nan=False)]
    cooling: Literal["air", "liquid"] = "air"
    gpus_per_rack: GpuCount | None = None
    rack_power_limit_w: PositiveFloat | None = None

    @property
    def total_gpus(self) -> int:
        return self.gpus_per_node * self.nodes

    @model_validator(mode="after")
    def _total_within_bound(self) -> ClusterSpec:
        bounds.MAX_GPUS.check(self.total_gpus, "gpus_per_node x nodes =")
        return self

    @model_validator(mode="after")
    def _check(self) -> ClusterSpec:
        if self.scale_up_domain_gpus % self.gpus_per_node and self.gpus_per_node % self.scale_up_domain_gpus:
            raise ValueError(
                f"scale_up_domain_gpus ({self.scale_up_domain_gpus}) and gpus_per_node "
                f"({self.gpus_per_node}) must divide one another"
            )
        if self.inter_node_bandwidth_bytes_per_s > self.intra_node_bandwidth_bytes_per_s * 1.0001:
            raise ValueError("inter_node_bandwidth_bytes_per_s is above intra_node_bandwidth_bytes_per_s")
        return self


# --------------------------------------------------------------------------------- grid, cloud price


class GridSpec(Profile):
    """Carbon intensity of the electricity where the GPUs run."""

    kind: Literal["grid"]
    grams_co2e_per_kwh: PositiveFloat
    year: PositiveInt | None = None


class PriceSpec(Profile):
    """A cloud rental price for one GPU type, with the date it was quoted."""

    kind: Literal["price"]
    gpu: str  # a gpu profile name
    provider: str
    usd_per_gpu_hour: PositiveFloat
    commitment: Literal["on-demand", "1-year", "3-year", "spot", "assumed"] = "on-demand"
    price_date: str


KINDS: dict[str, type[Profile]] = {
    "model": ModelSpec,
    "gpu": GpuSpec,
    "cluster": ClusterSpec,
    "grid": GridSpec,
    "price": PriceSpec,
}
