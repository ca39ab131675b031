"""The suite's profiles: shared sizes in the profile, each question's own from its registry entry."""

import dataclasses
import inspect
import re

import pytest

from bench_lib import questions
from bench_lib.suite import profiles
from bench_lib.suite.options import all_options
from bench_lib.suite.profiles import FULL, NIGHTLY, QUICK


def test_a_profile_gives_each_question_its_sizes_from_the_registry():
    assert QUICK.sizes("batch_size").batch_sizes == (32, 128, 512)
    assert FULL.sizes("batch_size").batch_sizes == (16, 32, 64, 128, 256, 512, 1024)
    assert FULL.sizes("time_to_accuracy") == questions.question("time_to_accuracy").full
    with pytest.raises(ValueError, match=r"^question='batch' is not allowed: choose one of batch_size, "):
        QUICK.sizes("batch")


def test_changed_sets_shared_fields_and_one_field_of_a_questions_sizes():
    changed = QUICK.changed({"epochs": 3, "sync_bn.epochs": 3, "batch_size.batch_sizes": (64,)})
    assert (changed.epochs, changed.sizes("sync_bn").epochs, changed.sizes("batch_size").batch_sizes) == (3, 3, (64,))
    assert changed.sizes("sync_bn").modes == QUICK.sizes("sync_bn").modes
    assert QUICK.sizes("batch_size").batch_sizes == (32, 128, 512), "the profile itself stays as it was"
    both = QUICK.changed({"models.models": ("transformer",), "models.transformer_size": (4, 256, 4, 128)})
    assert (both.sizes("models").models, both.sizes("models").transformer_size) == (("transformer",), (4, 256, 4, 128))
    with pytest.raises(ValueError, match=r"^question='nope' is not allowed"):
        QUICK.changed({"nope.batch_sizes": (1,)})


def test_every_option_field_is_a_field_of_the_profile_or_of_a_questions_sizes():
    for option in all_options():
        for name in option.fields:
            assert QUICK.changed({name: QUICK.value(name)}) == QUICK, (option.name, name)
    assert QUICK.value("sync_bn.epochs") == 2 and FULL.value("epochs") == 20


def test_a_question_registered_later_gets_its_sizes_into_a_profile_built_then():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sizes:
        points: int

    toy = questions.Question(name="toy_sized", title="Toy", order=999, quick=Sizes(points=1), full=Sizes(points=4))
    with questions.QUESTIONS.added(toy):
        assert QUICK.sizes("toy_sized").points == 1, "a profile built before reads it from the registry"
        assert QUICK.changed({"toy_sized.points": 3}).sizes("toy_sized").points == 3
        full = dataclasses.replace(FULL, question_sizes=questions.profile_sizes("full"))
        assert full.sizes("toy_sized").points == 4
        assert full.changed({"toy_sized.points": 2}).sizes("toy_sized").points == 2


def test_a_question_declares_its_nightly_sizes_and_one_that_declares_none_takes_its_quick_ones():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sizes:
        points: int

    own = questions.Question(
        name="toy_nightly", title="Toy", order=997, quick=Sizes(points=1), full=Sizes(points=4), nightly=Sizes(points=3)
    )
    plain = questions.Question(name="toy_plain", title="Toy", order=996, quick=Sizes(points=1), full=Sizes(points=4))
    with questions.QUESTIONS.added(own), questions.QUESTIONS.added(plain):
        assert (NIGHTLY.sizes("toy_nightly").points, NIGHTLY.sizes("toy_plain").points) == (3, 1)
        assert (QUICK.sizes("toy_nightly").points, FULL.sizes("toy_nightly").points) == (1, 4)
        declaring = questions.declaring_sizes("nightly")
        assert "toy_nightly" in declaring and "toy_plain" not in declaring
        built = dataclasses.replace(NIGHTLY, question_sizes=questions.profile_sizes("nightly"))
        assert (built.sizes("toy_nightly").points, built.sizes("toy_plain").points) == (3, 1)
        assert built.changed({"toy_nightly.points": 5}).sizes("toy_nightly").points == 5
    with pytest.raises(ValueError, match=r"^toy_odd: nightly=int is not allowed: sizes of the same kind as its quick"):
        questions.Question(name="toy_odd", title="Toy", order=9, quick=Sizes(points=1), full=Sizes(points=2), nightly=3)


def test_the_profiles_name_no_question_each_takes_its_nightly_sizes_from_the_registry():
    source = inspect.getsource(profiles)
    named = [q.name for q in questions.all_questions() if re.search(rf"\b{q.name}\b", source)]
    assert named == [], "a question's sizes are declared on its registry entry, not in the profiles"
    for q in questions.all_questions():
        if q.quick is not None:
            assert NIGHTLY.sizes(q.name) == (q.nightly if q.nightly is not None else q.quick), q.name


class _Given:
    """Stands in for pytest's config: the options given on the command line."""

    def __init__(self, **given):
        self.given = {"--bench-profile": "quick", **given}

    def getoption(self, name):
        return self.given.get(name)


def test_a_shared_option_sets_the_sizes_of_the_questions_that_follow_it():
    from bench_lib.suite.options import profile_from_options

    given = _Given(**{"--bench-epochs": "3", "--bench-memory-limit-mib": "512", "--bench-precisions": "float32"})
    profile = profile_from_options(given, None)
    assert profile.epochs == 3 and profile.sizes("sync_bn").epochs == 3
    assert profile.memory_limit_mib == profile.sizes("models").limit_mib == profile.sizes("max_batch_size").limit_mib
    assert profile.sizes("precision").precisions == ("float32",), "an option the question declares itself"
    with pytest.raises(pytest.UsageError, match=r"^--bench-noise-scale-batches='16,x' is not allowed: comma-sep"):
        profile_from_options(_Given(**{"--bench-noise-scale-batches": "16,x"}), None)


def test_a_question_that_follows_an_option_the_suite_lacks_is_refused_naming_both():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sizes:
        points: int

    toy = questions.Question(
        name="toy_follower", title="Toy", order=998, quick=Sizes(points=1), full=Sizes(points=2),
        follows=(("--bench-points", "points"),),
    )  # fmt: skip
    with questions.QUESTIONS.added(toy), pytest.raises(ValueError, match=r"toy_follower: --bench-points"):
        all_options()
    with pytest.raises(ValueError, match=r"^toy_follower: option --bench-points field='dots' is not allowed"):
        dataclasses.replace(toy, follows=(("--bench-points", "dots"),))


def test_a_clusters_shape_in_the_suite_is_the_command_lines_workers_times_replicas_per_worker(monkeypatch):
    from bench_lib.config import cluster as cluster_lib
    from bench_lib.suite.options import profile_from_options

    monkeypatch.delenv(cluster_lib.REPLICAS_PER_WORKER_ENV, raising=False)
    two = cluster_lib.Cluster(chief=("a:1",), worker=("b:1",), task_type="chief", task_index=0)
    profile = profile_from_options(_Given(**{"--bench-replicas-per-worker": "3"}), two)
    shape = profile.shape("multi_worker")
    assert (shape["replicas"], shape["workers"], profile.workers) == (6, 2, 2)
    assert profile.spec(**shape, global_batch_size=6).replicas == 6, "a spec takes the shape as it is"
    assert profile.strategies == ("one_device", "multi_worker")
    alone = profile_from_options(_Given(), None)
    assert (alone.shape("multi_worker")["replicas"], alone.shape("mirrored")["replicas"]) == (1, alone.replicas)
    with pytest.raises(pytest.UsageError, match=r"^--bench-replicas-per-worker=.0. is not allowed"):
        profile_from_options(_Given(**{"--bench-replicas-per-worker": "0"}), two)
