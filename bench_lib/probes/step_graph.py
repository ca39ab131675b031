"""Counts what a traced training step computes: the computation fingerprint saved with every result.

Every figure is an exact count read from the step's graph as TensorFlow traced it, so two runs of
the same code give the same fingerprint, bit for bit, however noisy their timings; a change to the
model, the optimizer, the strategy or TensorFlow's own lowering changes it. Counted:
- op_counts: ops by type in the step's graph and in every function it calls (a while loop's body,
  an XLA-compiled gradient), each function once, however often it runs per step;
- optimizer, optimizer_ops: the optimizer's class and the ops in its name scope (the update);
- flops: what TensorFlow's profiler counts in those graphs (bench_lib.probes.cost_analysis), each
  function once; output_bytes: the bytes of every op output whose shape is known when traced;
- parameters, variables: trainable parameters, and the model's and optimizer's variables;
- collectives, collective_bytes: collective ops by type (all-reduce, all-gather, broadcast) and
  the bytes of their inputs with a known shape;
- device_copies, device_copy_bytes: edges of the step's graph from an op on one device to an op on
  another (between replicas, and between host and accelerator), and the bytes they carry;
  host_device_copies and host_device_copy_bytes count those between a CPU and another device type.
fingerprint_s is what counting took; it is not part of the fingerprint.

The functions a graph calls are read through FuncGraph._functions, which TensorFlow keeps no
public accessor for (checked against TensorFlow 2.21; tests/test_step_graph.py fails if it goes).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import keras
import tensorflow as tf

from bench_lib.probes.cost_analysis import graph_op_flops

# Op types that exchange tensors between replicas or workers.
COLLECTIVE_OPS = frozenset(
    {
        "CollectiveReduce", "CollectiveReduceV2", "CollectiveReduceV3", "CollectiveGather", "CollectiveGatherV2",
        "CollectiveBcastSend", "CollectiveBcastRecv", "CollectiveBcastSendV2", "CollectiveBcastRecvV2",
        "CollectiveAllToAllV2", "CollectiveAllToAllV3", "CollectiveReduceScatterV2", "NcclAllReduce", "NcclReduce",
        "NcclBroadcast", "XlaAllReduce", "XlaReduceScatter",
    }
)  # fmt: skip


def fingerprint(graph: tf.Graph, model: keras.Model, optimizer: keras.optimizers.Optimizer) -> dict[str, object]:
    """The computation fingerprint of a traced training step (the module's docstring lists its keys)."""
    started = time.perf_counter()
    graphs = list(_graphs(graph))
    operations = [op for g in graphs for op in g.get_operations()]
    scope = optimizer.name
    collectives = [op for op in operations if op.type in COLLECTIVE_OPS]
    copies = list(_device_copies(graph))
    host_device = [(pair, size) for pair, size in copies if _crosses_host(pair)]
    out: dict[str, object] = {
        "op_counts": _sorted(Counter(op.type for op in operations)),
        "optimizer": type(optimizer).__name__,
        "optimizer_ops": _sorted(Counter(op.type for op in operations if scope in op.name.split("/"))),
        "flops": sum(sum(graph_op_flops(g).values()) for g in graphs),
        "output_bytes": sum(_bytes(t) for op in operations for t in op.outputs),
        "parameters": int(sum(v.numpy().size for v in model.trainable_variables)),
        "variables": len(model.variables) + len(optimizer.variables),
        "collectives": _sorted(Counter(op.type for op in collectives)),
        "collective_bytes": sum(_bytes(t) for op in collectives for t in op.inputs),
        "device_copies": len(copies),
        "device_copy_bytes": sum(size for _, size in copies),
        "host_device_copies": len(host_device),
        "host_device_copy_bytes": sum(size for _, size in host_device),
    }
    out["fingerprint_s"] = time.perf_counter() - started
    return out


def _graphs(graph: tf.Graph) -> Iterator[tf.Graph]:
    """The graph, then every function graph it calls, directly or not, each once."""
    seen: set[str] = set()
    stack = [graph]
    while stack:
        current = stack.pop()
        yield current
        for name, function in sorted(getattr(current, "_functions", {}).items()):
            inner = getattr(function, "graph", None)
            if name not in seen and inner is not None:
                seen.add(name)
                stack.append(inner)


def _device_copies(graph: tf.Graph) -> Iterator[tuple[tuple[str, str], int]]:
    """((from device, to device), bytes) of each data edge between ops placed on different devices."""
    for op in graph.get_operations():
        to = _device(op.device)
        for tensor in op.inputs:
            source = _device(tensor.op.device)
            if to and source and to != source:
                yield (source, to), _bytes(tensor)


def _device(name: str) -> str:
    """'CPU:0' of '/job:localhost/replica:0/task:0/device:CPU:0'; '' where the op was left unplaced."""
    if not name:
        return ""
    spec = tf.DeviceSpec.from_string(name)
    return f"{spec.job or ''}/{spec.task or 0}/{spec.device_type}:{spec.device_index or 0}".lstrip("/")


def _crosses_host(pair: tuple[str, str]) -> bool:
    kinds = {device.rsplit("/", 1)[-1].split(":")[0] for device in pair}
    return "CPU" in kinds and len(kinds) > 1


def _bytes(tensor: tf.Tensor) -> int:
    shape = tensor.shape
    if not shape.is_fully_defined() or tensor.dtype in (tf.resource, tf.variant, tf.string):
        return 0
    return shape.num_elements() * tensor.dtype.size


def _sorted(counts: Counter) -> dict[str, int]:
    return dict(sorted(counts.items()))
