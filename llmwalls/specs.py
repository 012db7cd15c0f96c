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

DTYPES = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp6", "fp4")
# An announcement date (YYYY-MM-DD) and a calendar quarter of availability (2026Q3).
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
Quarter = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$")]


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
    # Every `layer_interval`-th layer (counting from 1) after the dense leading layers is an MoE layer, the
    # others use the dense MLP of `ffn_size` (Llama 4 Maverick: interleave_moe_layer_step = 2, so layers
    # 2, 4, ..., 48 are MoE; HF transformers Llama4TextDecoderLayer).
    layer_interval: PositiveInt = 1
    # Width of each shared expert where it differs from expert_ffn_size (Qwen3-Next:
    # shared_expert_intermediate_size), and whether a sigmoid gate (hidden_size -> 1) scales the shared
    # expert's output (Qwen2-MoE / Qwen3-Next shared_expert_gate).
    shared_expert_ffn_size: PositiveInt | None = None
    shared_expert_gate: StrictBool = False

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


# What one layer's token mixer is (Hugging Face `layer_types` names in brackets):
#   full     every earlier token is attended to and cached ("full_attention");
#   sliding  only the last sliding_window_tokens tokens (Mistral 7B sec 2; Gemma 3, gpt-oss)
#            ("sliding_attention");
#   chunked  only the tokens of the current chunk of attention_chunk_tokens (Llama 4) ("chunked_attention");
#   linear   a recurrent layer with a fixed-size state per sequence (Qwen3-Next's Gated DeltaNet)
#            ("linear_attention").
LayerKind = Literal["full", "sliding", "chunked", "linear"]
LAYER_KINDS: tuple[str, ...] = ("full", "sliding", "chunked", "linear")
# Weight formats a model can ship its routed experts in (gpt-oss: MXFP4 experts, everything else bf16).
ExpertWeightFormat = Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4", "mxfp4", "nvfp4"]


class LinearAttentionSpec(_Strict):
    """A linear-attention (recurrent) layer with a constant state per sequence: Gated DeltaNet (Yang, Kautz
    & Hatamizadeh 2024, "Gated Delta Networks: Improving Mamba2 with Delta Rule", arXiv:2412.06464) as
    Qwen3-Next uses it (HF transformers Qwen3NextGatedDeltaNet: in_proj_qkvz, in_proj_ba, a depthwise
    causal conv1d over q/k/v, per-head A_log and dt_bias, a gated RMSNorm of value_head_dim, out_proj)."""

    key_heads: PositiveInt  # linear_num_key_heads
    value_heads: PositiveInt  # linear_num_value_heads
    key_head_dim: PositiveInt  # linear_key_head_dim
    value_head_dim: PositiveInt  # linear_value_head_dim
    conv_kernel: PositiveInt = 4  # linear_conv_kernel_dim: the conv state keeps conv_kernel - 1 inputs

    @model_validator(mode="after")
    def _check(self) -> LinearAttentionSpec:
        if self.value_heads % self.key_heads:
            raise ValueError(
                f"linear_attention.value_heads ({self.value_heads}) is not a multiple of key_heads "
                f"({self.key_heads})"
            )
        return self


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
    # Kind of each layer, repeated over the layers: ["sliding", "sliding", "sliding", "sliding", "sliding",
    # "full"] is Gemma 3's 5 local : 1 global; a list as long as `layers` spells every layer out (HF
    # `layer_types`). Empty: every layer "full", or every layer "sliding" when sliding_window_tokens is set
    # (Mistral 7B).
    layer_pattern: list[LayerKind] = []
    attention_chunk_tokens: Tokens | None = None  # chunk of the "chunked" layers (Llama 4: 8192)
    linear_attention: LinearAttentionSpec | None = None  # the "linear" layers
    qk_norm: StrictBool = False  # RMSNorm weights of head_dim on queries and keys (Qwen3, Gemma 3, GLM-4.5)
    # A sigmoid gate on the attention output, projected with the queries (q_proj twice as wide;
    # Qwen3-Next attn_output_gate).
    attention_output_gate: StrictBool = False
    # One learned sink logit per attention head in every attention layer (gpt-oss; Xiao et al. 2023,
    # "Efficient Streaming Language Models with Attention Sinks", arXiv:2309.17453).
    attention_sinks: StrictBool = False
    norms_per_layer: Annotated[int, Strict(), Field(ge=1, le=8)] = 2  # Gemma 2/3 "sandwich" norms: 4
    # Multi-token-prediction modules (DeepSeek-V3 sec 2.2: each one transformer block, a 2h -> h projection
    # and two RMSNorms, sharing the embedding and output head). Counted apart from the main model
    # (ParamCounts.mtp): the published totals exclude them and serving loads them only for speculative
    # decoding.
    mtp_layers: NonNegativeInt = 0
    # Format the routed experts are published in, when it differs from the rest of the weights (gpt-oss:
    # "mxfp4"). The engines use it for the expert weights unless told otherwise.
    expert_weight_format: ExpertWeightFormat | None = None
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
        if len(self.layer_pattern) > self.layers:
            raise ValueError(
                f"layer_pattern has {len(self.layer_pattern)} entries, more than the {self.layers} layers"
            )
        kinds = set(self.layer_pattern)
        needs = {
            "sliding": ("sliding_window_tokens", self.sliding_window_tokens),
            "chunked": ("attention_chunk_tokens", self.attention_chunk_tokens),
            "linear": ("linear_attention", self.linear_attention),
        }
        for kind, (field, value) in needs.items():
            if kind in kinds and value is None:
                raise ValueError(f"layer_pattern has {kind!r} layers but no {field}")
        if self.linear_attention is not None and "linear" not in kinds:
            raise ValueError("linear_attention is given but layer_pattern has no 'linear' layer")
        if kinds and self.sliding_window_tokens is not None and "sliding" not in kinds:
            raise ValueError("sliding_window_tokens is given but layer_pattern has no 'sliding' layer")
        if self.attention_chunk_tokens is not None and "chunked" not in kinds:
            raise ValueError("attention_chunk_tokens is given but layer_pattern has no 'chunked' layer")
        if kinds and kinds <= {"linear"}:
            raise ValueError("layer_pattern has no attention layer; at least one layer must attend")
        if self.mla is not None and kinds - {"full"}:
            raise ValueError("an MLA model with sliding, chunked or linear layers is not modelled")
        if self.position_embedding == "learned" and self.max_context_tokens > 2**20:
            raise ValueError("learned position embeddings with more than 2^20 positions is not plausible")
        return self


# ----------------------------------------------------------------------------------------------- gpu


class PeakFlops(_Strict):
    """DENSE peak FLOP/s per precision, from the datasheet: never the with-sparsity figure (NVIDIA and AMD
    headline 2:4 structured-sparsity numbers that are twice the dense ones; halve them). fp8 is the FP8 tensor
    rate (E4M3/E5M2, and MXFP8 where it runs at the same rate); fp6 and fp4 are the FP6/MXFP6 and
    FP4/MXFP4/NVFP4 rates where the hardware has them. An accelerator without a precision leaves it out."""

    fp64: PositiveFloat | None = None
    fp32: PositiveFloat | None = None
    tf32: PositiveFloat | None = None
    bf16: PositiveFloat | None = None  # None only where there is none (V100) or none is published
    fp16: PositiveFloat | None = None
    fp8: PositiveFloat | None = None
    int8: PositiveFloat | None = None
    fp6: PositiveFloat | None = None
    fp4: PositiveFloat | None = None

    def for_dtype(self, dtype: str) -> float | None:
        """FLOP/s for a compute precision; int4 weight-only kernels compute in the activation precision."""
        return getattr(self, dtype, None)

    @property
    def half_precision(self) -> float:
        """The 16-bit tensor rate used where a precision has no peak of its own: bf16, else fp16 (V100).
        An announced part whose vendor gave neither is refused rather than guessed."""
        value = self.bf16 if self.bf16 is not None else self.fp16
        if value is None:
            from llmwalls.errors import InputError

            raise InputError("this accelerator has no published bf16 or fp16 peak; give a lower precision")
        return value

    @model_validator(mode="after")
    def _check(self) -> PeakFlops:
        if all(getattr(self, d) is None for d in DTYPES):
            raise ValueError("peak_flops_per_s needs at least one precision (bf16 where published)")
        return self


class GpuSpec(Profile):
    """One accelerator: a GPU, or any other accelerator with its own HBM (TPU, Trainium, Gaudi): the field
    names are generic ("gpu" is the catalogue's word for an accelerator)."""

    kind: Literal["gpu"]
    vendor: str
    form_factor: str = ""  # SXM, PCIe, OAM, superchip, tray
    # "announced": figures are the vendor's promise before general availability; audits say so.
    status: Literal["shipping", "announced"] = "shipping"
    announced: IsoDate | None = None  # the day the vendor first announced the part with these figures
    available: Quarter | None = None  # calendar quarter of (expected) general availability, e.g. 2026Q3
    hbm_bytes: PositiveFloat  # the datasheet's capacity, in the datasheet's (decimal) units
    # What the driver reports as total device memory (nvidia-smi memory.total), where published. Vendors'
    # "80 GB" is in practice about 80 GiB: an H100 80GB reports 81,559 MiB = 85.5e9 bytes. Capacity checks
    # use this when present (memory_capacity_bytes), else hbm_bytes.
    device_memory_bytes: PositiveFloat | None = None
    hbm_bandwidth_bytes_per_s: PositiveFloat
    peak_flops_per_s: PeakFlops  # dense (see PeakFlops)
    # Board / module power at full load. None where the vendor publishes none (Google TPUs since v5, AWS
    # Trainium): `power` and `cost` then refuse (require_tdp_w) and `walls`/`audit` show an unknown power
    # wall, rather than guess.
    tdp_w: PositiveFloat | None = None
    # Scale-up link (NVLink, xGMI, Gaudi RoCE ports, TPU ICI, NeuronLink) per accelerator, ONE direction, all
    # links together: H100 NVLink 4 is 900 GB/s bidirectional = 450 GB/s each way. None for GPUs without one
    # (PCIe cards talk over PCIe).
    scale_up_bandwidth_bytes_per_s: PositiveFloat | None = None
    # Scale-out network (NICs for InfiniBand/RoCE/EFA, TPU data-centre network) per accelerator, one
    # direction, where the vendor's reference system states it.
    scale_out_bandwidth_bytes_per_s: PositiveFloat | None = None
    # Measured, not datasheet: maximum achievable matmul FLOP/s (MAMF) and device-to-device copy bandwidth.
    # Where given they set the achievable fractions of peak used by the roofline and cluster engines.
    measured_matmul_flops_per_s: dict[Literal[DTYPES], PositiveFloat] = {}  # type: ignore[valid-type]
    measured_hbm_bandwidth_bytes_per_s: PositiveFloat | None = None
    idle_power_w: PositiveFloat | None = None
    # Purchase price of one accelerator, with the date it was true and its source in `sources`. Where no
    # price is public, leave it out and set no_public_price = true: `cost` then shows the buy side as unknown
    # and names --gpu-price, instead of borrowing another accelerator's price.
    unit_price_usd: PositiveFloat | None = None
    price_date: str | None = None  # prices change: say when this one was true
    no_public_price: StrictBool = False
    launch_date: str | None = None  # YYYY-MM of general availability, for roadmaps
    # What is not public and therefore left out, and any caveat on the figures.
    notes: str = ""

    @property
    def memory_capacity_bytes(self) -> float:
        """Device memory a job can address: the driver-reported total where known, else the datasheet's."""
        return self.device_memory_bytes if self.device_memory_bytes is not None else self.hbm_bytes

    def require_tdp_w(self) -> float:
        """The board power, or a one-line refusal where the vendor publishes none (never another chip's)."""
        if self.tdp_w is None:
            from llmwalls.errors import InputError

            raise InputError(
                f"no public power figure (TDP) for {self.name}; add tdp_w to a copy of its profile "
                f"(llmwalls profiles show {self.name} > my.toml) and pass that file"
            )
        return self.tdp_w

    @model_validator(mode="after")
    def _check(self) -> GpuSpec:
        if self.device_memory_bytes is not None and not (
            0.9 * self.hbm_bytes <= self.device_memory_bytes <= 1.15 * self.hbm_bytes
        ):
            raise ValueError(
                f"device_memory_bytes ({self.device_memory_bytes:.4g}) should be within -10%/+15% of "
                f"hbm_bytes ({self.hbm_bytes:.4g}); check the units (bytes, not MiB)"
            )
        if self.idle_power_w is not None and (self.tdp_w is None or self.idle_power_w >= self.tdp_w):
            raise ValueError(f"idle_power_w ({self.idle_power_w}) must be below tdp_w ({self.tdp_w})")
        if self.unit_price_usd is not None and not self.price_date:
            raise ValueError("unit_price_usd needs price_date (prices change: say when it was true)")
        if self.unit_price_usd is not None and self.no_public_price:
            raise ValueError("no_public_price is set but unit_price_usd is given: keep one")
        if self.status == "announced" and self.announced is None:
            raise ValueError("an announced part needs `announced` (the date of the announcement)")
        return self


# ------------------------------------------------------------------------------------------- cluster


class ClusterSpec(Profile):
    kind: Literal["cluster"]
    gpu: str  # a gpu profile name
    gpus_per_node: GpuCount
    nodes: GpuCount
    # GPUs that share the fast scale-up fabric: 8 on an HGX board, 72 in a GB200 NVL72 rack.
    scale_up_domain_gpus: GpuCount
    # ici: Google TPU inter-chip interconnect; neuronlink: AWS Trainium. Both are direct-connect tori
    # (no switch): give torus_dims.
    scale_up_fabric: Literal["nvlink", "nvswitch", "xgmi", "pcie", "ethernet", "ici", "neuronlink"]
    # Per GPU, one direction, as nccl-tests' bus bandwidth counts it. On a torus (torus_dims given): ONE
    # link, one direction; a chip has two links per torus dimension (engine.collectives, torus section).
    intra_node_bandwidth_bytes_per_s: PositiveFloat
    intra_node_latency_s: PositiveFloat  # on a torus: per hop
    # Shape of the scale-up torus, e.g. [16, 20, 28] for a TPU v5p pod: its product is scale_up_domain_gpus.
    torus_dims: list[Annotated[int, Strict(), Field(gt=0, le=4096)]] | None = None
    # efa: AWS Elastic Fabric Adapter (SRD transport); dcn: Google's data-centre network between TPU slices.
    scale_out_fabric: Literal["infiniband", "roce", "ethernet", "efa", "dcn"]
    inter_node_bandwidth_bytes_per_s: PositiveFloat
    inter_node_latency_s: PositiveFloat
    # Everything in a node but its GPUs at full load: CPUs, DRAM, NICs, fans, PSU losses. None where no
    # figure is public (TPU hosts, an announced rack): `power` then asks for --node-overhead-w.
    node_overhead_power_w: NonNegativeFloat | None = None
    pue: Annotated[float, Field(ge=1.0, le=5.0, allow_inf_nan=False)]
    cooling: Literal["air", "liquid"] = "air"
    gpus_per_rack: GpuCount | None = None
    rack_power_limit_w: PositiveFloat | None = None
    # What is not public and therefore left out, and any caveat on the figures.
    notes: str = ""

    @property
    def total_gpus(self) -> int:
        return self.gpus_per_node * self.nodes

    def require_node_overhead_w(self) -> float:
        """Node power beyond the accelerators, or a one-line refusal where none is public."""
        if self.node_overhead_power_w is None:
            from llmwalls.errors import InputError

            raise InputError(
                f"no public power figure for the hosts of {self.name} (a node without its accelerators); "
                "pass --node-overhead-w"
            )
        return self.node_overhead_power_w

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
        if self.scale_up_fabric in ("ici", "neuronlink") and not self.torus_dims:
            raise ValueError(f"a {self.scale_up_fabric} cluster needs torus_dims (e.g. [16, 20, 28])")
        if self.torus_dims:
            if len(self.torus_dims) > 3:
                raise ValueError(f"torus_dims has {len(self.torus_dims)} dimensions; at most 3")
            product = 1
            for k in self.torus_dims:
                product *= k
            if product != self.scale_up_domain_gpus:
                raise ValueError(
                    f"torus_dims {self.torus_dims} hold {product} chips, but scale_up_domain_gpus is "
                    f"{self.scale_up_domain_gpus}"
                )
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
