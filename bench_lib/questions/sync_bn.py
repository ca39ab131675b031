"""The sync-BN question: BN statistics per replica (local) or over all replicas (sync) at small batches."""

from dataclasses import dataclass

from bench_lib.questions.registry import Page, Question


@dataclass(frozen=True, kw_only=True)
class Sizes:
    modes: tuple[str, ...]  # none (the plain mlp), local, sync
    batch_sizes: tuple[int, ...]
    epochs: int


QUESTION = Question(
    name="sync_bn",
    title="Sync BN across replicas",
    order=50,
    quick=Sizes(modes=("local", "sync"), batch_sizes=(16,), epochs=2),
    full=Sizes(modes=("none", "local", "sync"), batch_sizes=(8, 16, 32, 64, 128), epochs=20),
    follows=(("--bench-epochs", "epochs"),),
    page=Page(
        path="sync-bn.md",
        nav="Sync BN",
        asks="Does synchronizing batch norm across replicas help?",
        quick_grid="`mirrored`, batch 16, local and sync BN",
    ),
)
