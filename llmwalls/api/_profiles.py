"""Profile resolution shared by every question: a model, and the hardware (a GPU, or a cluster that implies
its GPU). Names, aliases and TOML paths resolve through the catalogue; spec objects pass through, so a
notebook can build its own."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from llmwalls import notices
from llmwalls.errors import InputError
from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

DEFAULT_GPU = "h100"  # the GPU asked about when neither a GPU nor a cluster is given
FALLBACK_PRICE_SOURCE = "llmwalls fallback (no price profile for this GPU)"

E = TypeVar("E", bound=StrEnum)


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """A model profile by name, alias or TOML path, or the spec itself."""
    if isinstance(model, ModelSpec):
        return model
    from llmwalls import catalogue

    return catalogue.load_model(model)


def profile(kind: str, value: Any) -> Any:
    """A profile of any kind by name, alias or TOML path (a note says which profile an alias chose), or the
    spec itself."""
    if not isinstance(value, str):
        return value
    from llmwalls import catalogue

    entry = catalogue.resolve(kind, value, announce=False)
    if entry.origin != "file" and value.strip().lower() != entry.name:
        notices.note(f"{kind} {value!r} -> {entry.name}")
    return catalogue.load(kind, value, announce=False)


def hardware(
    gpu: str | GpuSpec | None, cluster: str | ClusterSpec | None = None
) -> tuple[GpuSpec, ClusterSpec | None]:
    """The GPU and the cluster of a question. A cluster implies its GPU; a GPU given beside a cluster wins
    (a what-if: this cluster's fabric with another GPU), with a warning. Neither: DEFAULT_GPU."""
    from llmwalls import catalogue

    cl = cluster if isinstance(cluster, ClusterSpec) or cluster is None else catalogue.load_cluster(cluster)
    if gpu is None:
        gpu = cl.gpu if cl is not None else DEFAULT_GPU
    g = gpu if isinstance(gpu, GpuSpec) else catalogue.load_gpu(gpu)
    if cl is not None and cl.gpu != g.name:
        notices.warn(
            f"GPU {g.name} differs from {cl.name}'s {cl.gpu}; {g.name} is used with the cluster's links"
        )
    return g, cl


def gpu_count(gpus: int | None, cluster: ClusterSpec | None) -> int | None:
    """A total GPU count, checked: a whole number of at least one, and no more than the cluster has."""
    if gpus is None:
        return None
    if isinstance(gpus, bool) or int(gpus) != gpus or gpus < 1:
        raise InputError(f"the GPU count must be a whole number of at least 1, got {gpus!r}")
    if cluster is not None and gpus > cluster.total_gpus:
        raise InputError(f"{gpus:,} GPUs is more than {cluster.name}'s {cluster.total_gpus:,}")
    return int(gpus)


def rental_price(gpu_name: str, given_usd: float | None, *, fallback: bool = False) -> tuple[float, str]:
    """$/GPU-hour to rent a GPU and where it came from, for every question that prices GPU-hours: the price
    given ("given"), else the cheapest on-demand price profile for the GPU (catalogue.prices_for_gpu), else,
    where the question accepts a stand-in (``fallback``: walls, serve), the cost engine's library default
    (engine.cost.CostAssumptions.rent_usd_per_gpu_hour) with a warning; without one, InputError. Never
    another GPU's price."""
    if given_usd is not None:
        return float(given_usd), "given"
    from llmwalls import catalogue

    prices = catalogue.prices_for_gpu(gpu_name)
    if prices:
        return float(prices[0].usd_per_gpu_hour), f"price profile {prices[0].name}"  # type: ignore[attr-defined]
    if not fallback:
        raise InputError(
            f"no public rental price for {gpu_name} (no price profile): give its price per GPU-hour"
        )
    from llmwalls.engine.cost import CostAssumptions
    from llmwalls.render import numbers

    usd = CostAssumptions().rent_usd_per_gpu_hour
    notices.warn(f"no price profile for {gpu_name}: {numbers.usd(usd)}/GPU-hour assumed for its cost")
    return usd, FALLBACK_PRICE_SOURCE


def choice(enum: type[E], value: E | str, what: str) -> E:
    """One of an enum's members from the member or its name (any case); InputError listing the choices."""
    try:
        return enum(str(value).lower())
    except ValueError:
        names = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {what} {value!r}; use one of {names}") from None
