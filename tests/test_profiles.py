"""The suite's profiles: shared sizes in the profile, each question's own from its registry entry."""

import dataclasses

import pytest

from bench_lib import questions
from bench_lib.suite.options import all_options
from bench_lib.suite.profiles import FULL, QUICK


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
        full = dataclasses.replace(FULL, question_sizes=questions.profile_sizes("full"))
        assert full.sizes("toy_sized").points == 4
        assert full.changed({"toy_sized.points": 2}).sizes("toy_sized").points == 2
