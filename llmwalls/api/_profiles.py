"""Profile resolution shared by every question: a model, and the hardware (a GPU, or a cluster that implies
its GPU). Names, aliases and TOML paths resolve through the catalogue; spec objects pass through, so a
notebook can build its own."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from llmwalls import notices
from llmwalls.errors import InputError
from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

DEFAULT_GPU = "h100"  # the GPU asked about when neither a GPU nor a cluster is given

E = TypeVar("E", bound=StrEnum)


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """A model profile by name, alias or TOML path, or the spec itself."""
    if isinstance(model, ModelSpec):
        return model
    from llmwalls import catalogue

    return catalogue.load_model(model)


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


def choice(enum: type[E], value: E | str, what: str) -> E:
    """One of an enum's members from the member or its name (any case); InputError listing the choices."""
    try:
        return enum(str(value).lower())
    except ValueError:
        names = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {what} {value!r}; use one of {names}") from None
