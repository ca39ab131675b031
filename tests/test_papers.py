from bench_lib import questions
from bench_lib.analysis import findings
from bench_lib.maths import stats
from bench_lib.render.papers import papers_page


def run(question, batch, values, **spec):
    spec = {"strategy": "one_device", "optimizer": "adam", "epochs": 5, "global_batch_size": batch, "seeds": 3,
            "lr_scaling": "none", **spec}  # fmt: skip
    summary = stats.summary(values)
    return {"question": question, "status": "ok", "spec": spec, "test_accuracy": summary["mean"],
            "seed_stats": {"test_accuracy": summary}}  # fmt: skip


def side_by_side(results):
    family = questions.judged_family(results)
    return findings.papers_side_by_side(results, family=family, papers=questions.papers_side_by_side)


def pick(rows, paper, published):
    [row] = [r for r in rows if r.paper == paper and r.published.startswith(published)]
    return row


def test_a_real_fall_at_a_fixed_budget_agrees_with_keskar_and_a_real_rise_disagrees():
    fall = side_by_side([run("batch_size", 32, [0.90, 0.91, 0.92]), run("batch_size", 512, [0.40, 0.46, 0.52])])
    assert pick(fall, "Keskar et al. 2017", "a large batch loses").verdict == "agrees"
    assert pick(fall, "Masters & Luschi 2018", "the best").verdict == "agrees"
    rise = side_by_side([run("batch_size", 32, [0.40, 0.46, 0.52]), run("batch_size", 512, [0.90, 0.91, 0.92])])
    assert pick(rise, "Keskar et al. 2017", "a large batch loses").verdict == "disagrees"
    assert pick(rise, "Masters & Luschi 2018", "the best").verdict == "disagrees"


def test_goyal_agrees_only_where_warm_up_is_shown_the_same_and_wide_seeds_are_undecided():
    def rows(linear):
        return [run("lr_scaling", 32, [0.9070, 0.9072, 0.9068]), run("lr_scaling", 512, [0.40, 0.46, 0.52]),
                run("lr_scaling", 512, linear, lr_scaling="linear", warmup_epochs=1.0)]  # fmt: skip

    [same] = [r for r in side_by_side(rows([0.9071, 0.9069, 0.9073])) if r.paper == "Goyal et al. 2017"]
    assert same.verdict == "agrees" and "same:" in same.measured
    [wide] = [r for r in side_by_side(rows([0.70, 0.90, 0.99])) if r.paper == "Goyal et al. 2017"]
    assert wide.verdict == "undecided"


def test_the_page_lists_the_rows_or_says_there_are_none():
    page = papers_page("r", [("Keskar et al. 2017", "a fall", "0.9 → 0.5", "agrees")])
    assert "| Keskar et al. 2017 | a fall | 0.9 → 0.5 | agrees |" in page
    assert "measured none of the questions" in papers_page("r", [])


def test_hoffer_agrees_with_a_rise_or_the_same_at_fixed_steps_and_disagrees_with_a_real_fall():
    def hoffer(small, large):
        rows = side_by_side([run("batch_size_fixed_steps", 32, small), run("batch_size_fixed_steps", 512, large)])
        return pick(rows, "Hoffer et al. 2017", "the gap closes").verdict

    assert hoffer([0.40, 0.46, 0.52], [0.90, 0.91, 0.92]) == "agrees", "a real rise"
    assert hoffer([0.9070, 0.9072, 0.9068], [0.9071, 0.9069, 0.9073]) == "agrees", "the same"
    assert hoffer([0.90, 0.91, 0.92], [0.40, 0.46, 0.52]) == "disagrees", "a real fall"


def test_rows_of_one_paper_stand_together_whichever_questions_declare_them():
    results = [run("batch_size", 32, [0.90, 0.91, 0.92]), run("batch_size", 512, [0.40, 0.46, 0.52]),
               run("batch_size_fixed_steps", 32, [0.90, 0.91, 0.92]),
               run("batch_size_fixed_steps", 512, [0.40, 0.46, 0.52]),
               run("batch_size_equal_convergence", 32, [0.90, 0.91, 0.92], target_accuracy=0.95),
               run("batch_size_equal_convergence", 512, [0.40, 0.46, 0.52], target_accuracy=0.95)]  # fmt: skip
    papers = [row.paper for row in side_by_side(results)]
    assert papers == ["Keskar et al. 2017", "Keskar et al. 2017", "Masters & Luschi 2018", "Hoffer et al. 2017"]


def test_mccandlish_agrees_where_the_intervals_overlap_and_needs_both_intervals():
    from bench_lib.questions.noise_scale import mccandlish_word

    assert mccandlish_word((80, 120), (100, 300)) == "agrees"
    assert mccandlish_word((400, 900), (100, 300)) == "disagrees"
    assert mccandlish_word((20, 60), (100, 300)) == "disagrees"
    assert mccandlish_word(None, (100, 300)) == "undecided", "B_simple from one seed has no interval"
    assert mccandlish_word((80, 120), None) == "undecided"
