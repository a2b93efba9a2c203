"""Whether ``torch.compile`` is tracing: what the layers do differently inside a compiled graph."""
from __future__ import annotations

import re

import torch


def _dynamo_is_compiling() -> bool:
    import torch._dynamo  # torch < 2.3 has no torch.compiler.is_compiling

    return torch._dynamo.is_compiling()


_is_compiling = getattr(torch.compiler, "is_compiling", None) or _dynamo_is_compiling


def is_compiling() -> bool:
    """Whether ``torch.compile`` is tracing the caller: then nothing is keyed or reused (a traced
    tensor has no storage to identify), nothing reads a value back, and no sparse tensor is made."""
    return bool(_is_compiling())


#: whether the compiler keeps one compiled iteration across calls when a graph break comes before it (a
#: set-up run outside the graph): torch 2.2 guarded on the identity of the step each call builds there, and
#: compiled the iteration again at every call, 100-1000 times slower than eager mode once its cache was full;
#: torch 2.13 compiles it once (the versions between are unchecked, and keep the iteration eager)
TRACES_AFTER_A_BREAK = tuple(int(v) for v in re.match(r"(\d+)\.(\d+)", torch.__version__).groups()) >= (2, 13)

#: torch.compiler.is_exporting (torch >= 2.3; before it, export is not told apart from compile)
_is_exporting = getattr(torch.compiler, "is_exporting", None)


def is_exporting() -> bool:
    """Whether ``torch.export`` is tracing the caller: one graph, with no break to run what reads values
    back outside it."""
    return _is_exporting is not None and bool(_is_exporting())


#: the device types where a value is read back without a synchronisation that would stall a device
_FREE_READ_BACK = frozenset({"cpu"})


def free_read_back(device: torch.device) -> bool:
    """Whether reading a value of ``device`` back to Python costs nothing (the CPU; not while
    ``torch.compile`` traces): there a rare case may be tested for, where a device computes its
    remedy every time instead."""
    return device.type in _FREE_READ_BACK and not is_compiling()


def _innermost_transform():
    """The innermost active ``torch.func`` transform's interpreter, or None."""
    peek = getattr(getattr(torch._C, "_functorch", None), "peek_interpreter_stack", None)
    return peek() if peek is not None else None


def under_transform() -> bool:
    """Whether a ``torch.func`` transform (``vmap``, ``grad``, ``jacrev``, ``jvp``, ...) or forward-mode
    AD (``torch.autograd.forward_ad``) is active: neither takes sparse tensors or the custom autograd
    functions of the fused products, so the GCN operator then propagates over its edge list. False
    while compiling (the compiled graph has its own edge-list path; nothing to ask the tracer)."""
    if is_compiling():
        return False
    return _innermost_transform() is not None or getattr(torch.autograd.forward_ad, "_current_level", -1) >= 0


def under_vmap() -> bool:
    """Whether the innermost active ``torch.func`` transform is ``vmap`` (False while compiling)."""
    top = None if is_compiling() else _innermost_transform()
    return top is not None and top.key() == torch._C._functorch.TransformType.Vmap


def is_batched_gradient(v: torch.Tensor) -> bool:
    """Whether ``v``, an incoming gradient, is batched by ``torch.autograd.grad(...,
    is_grads_batched=True)``, which vmaps the backward pass with torch's legacy vmap (no ``torch.func``
    transform shows it): the tensor carries the legacy ``Batched`` dispatch key (read from the tensor,
    not from the thread, as a device's backward runs on a thread of its own)."""
    legacy = getattr(torch._C._functorch, "is_legacy_batchedtensor", None)
    if legacy is not None:
        return bool(legacy(v))
    keys = str(torch._C._dispatch_keys(v))  # torch < 2.3: "DispatchKeySet(ADInplaceOrView, ..., Batched)"
    return "Batched" in keys[keys.find("(") + 1:keys.rfind(")")].split(", ")
