"""tfds:NAME sets read from a local TensorFlow Datasets data directory: tiny sets prepared here, one by a
builder class (as TFDS's own sets are) and one stored without code, load, tokenize and train; a missing
set and a set the model cannot take stop the run with one line before any training."""

import json

import numpy as np
import pytest

from bench_lib.cli.main import main
from bench_lib.config.spec import RunSpec
from bench_lib.engine import data, tfds_data

tfds = pytest.importorskip("tensorflow_datasets")

TINY = ["--batch-size", "4", "--steps", "2", "--warmup-steps", "1", "--optimizer", "sgd", "-q"]
REVIEWS = {
    "train": ["a good film", "a bad film", "good acting, good story!", "bad acting", "Good", "BAD. Bad."] * 2,
    "test": ["good but unseen words", "bad"],
}


class TinyPictures(tfds.core.GeneratorBasedBuilder):
    """Three classes of 8x8x3 images, every pixel of an image 10 x its label; 24 to train on, 6 to test."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        features = {"image": tfds.features.Image(shape=(8, 8, 3)), "label": tfds.features.ClassLabel(num_classes=3)}
        return tfds.core.DatasetInfo(
            builder=self, features=tfds.features.FeaturesDict(features), supervised_keys=("image", "label")
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(24), "test": self._generate_examples(6)}

    def _generate_examples(self, n):
        for i in range(n):
            yield i, {"image": np.full((8, 8, 3), 10 * (i % 3), np.uint8), "label": i % 3}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A TFDS data directory holding tiny_pictures (prepared by its builder) and tiny_reviews (stored without one)."""
    folder = tmp_path_factory.mktemp("tensorflow_datasets")
    TinyPictures(data_dir=str(folder)).download_and_prepare()
    features = {"text": tfds.features.Text(), "label": tfds.features.ClassLabel(names=["bad", "good"])}
    splits = {
        split: [(i, {"text": text, "label": int("good" in text.lower())}) for i, text in enumerate(texts)]
        for split, texts in REVIEWS.items()
    }
    tfds.dataset_builders.store_as_tfds_dataset(
        name="tiny_reviews",
        version="1.0.0",
        features=tfds.features.FeaturesDict(features),
        split_datasets=splits,
        data_dir=str(folder),
    )
    return folder


def test_an_image_set_loads_as_images_in_0_1_with_its_labels_and_class_count(data_dir):
    loaded = data.load(RunSpec(dataset="tfds:tiny_pictures", data_path=str(data_dir), global_batch_size=4))
    assert loaded.x_train.shape == (24, 8, 8, 3) and loaded.x_train.dtype == np.float32
    assert loaded.x_test.shape == (6, 8, 8, 3) and loaded.num_classes == 3
    assert sorted(loaded.y_train.tolist()) == [0] * 8 + [1] * 8 + [2] * 8
    # each image still beside its own label: every pixel is 10 x label / 255
    assert np.allclose(loaded.x_train, (10 * loaded.y_train / 255.0)[:, None, None, None])


def test_a_text_set_is_tokenized_at_the_models_sequence_length(data_dir):
    spec = RunSpec(dataset="tfds:tiny_reviews", data_path=str(data_dir), model="transformer_small", global_batch_size=4)
    loaded = data.load(spec)
    assert loaded.x_train.shape == (12, 64) and loaded.x_test.shape == (2, 64) and loaded.x_train.dtype == np.int32
    assert loaded.num_classes == 2 and sorted(loaded.y_test.tolist()) == [0, 1]
    bad, good_but_unseen = loaded.x_test[np.argsort(loaded.y_test)]
    # "good but unseen words": a known word, then three words the training split never had (id 1), then padding
    assert good_but_unseen[0] >= 2 and good_but_unseen[1:4].tolist() == [1, 1, 1] and not good_but_unseen[4:].any()
    # lower-cased and stripped of punctuation: "bad" in the test split is the same id as "BAD." in training
    assert bad[0] >= 2 and bad[0] in loaded.x_train[loaded.y_train == 0] and not bad[1:].any()


@pytest.mark.parametrize(
    ("dataset", "model"), [("tfds:tiny_pictures", "mlp"), ("tfds:tiny_reviews", "transformer_small")]
)
def test_a_tiny_configuration_trains_on_each_kind_of_set(dataset, model, data_dir, tmp_path):
    out = tmp_path / "run.json"
    args = ["run", "--dataset", dataset, "--data-path", str(data_dir), "--model", model, *TINY, "--json", str(out)]
    assert main(args) == 0
    saved = json.loads(out.read_text())
    assert saved["status"] == "ok" and saved["optimizer_steps"] == 2 and np.isfinite(saved["train_loss"])


@pytest.mark.parametrize("name", ["tiny_nothing", "mnist"], ids=["unknown to TFDS", "known but not prepared"])
def test_a_missing_set_is_one_line_naming_the_data_directory_before_training(name, tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["run", "--dataset", f"tfds:{name}", "--data-path", str(tmp_path), "--json", str(out)]) == 2
    printed = capsys.readouterr()
    (line,) = printed.err.strip().splitlines()
    assert f"dataset='tfds:{name}'" in line and f"no prepared '{name}' in the data directory {tmp_path}" in line
    assert "epoch" not in printed.out and not out.exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*")), "nothing is downloaded or written"


def test_without_data_path_the_set_is_looked_for_in_tfds_data_dir(data_dir, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(data_dir))
    assert tfds_data.data_dir(RunSpec(dataset="tfds:tiny_pictures")) == data_dir
    assert data.load(RunSpec(dataset="tfds:tiny_pictures", global_batch_size=4)).num_classes == 3


@pytest.mark.parametrize(
    ("dataset", "model", "problem"),
    [
        (
            "tfds:tiny_pictures",
            "transformer_small",
            "it gives images and the model takes tokens; models of images: mlp",
        ),
        ("tfds:tiny_reviews", "mlp", "it gives tokens and the model takes images; models of tokens: transformer_small"),
    ],
)
def test_a_set_the_model_cannot_take_is_refused_naming_both(dataset, model, problem, data_dir):
    with pytest.raises(ValueError, match=f"^dataset='{dataset}' is not allowed with model='{model}': ") as error:
        data.load(RunSpec(dataset=dataset, model=model, data_path=str(data_dir), global_batch_size=4))
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_a_set_that_is_no_classification_set_is_refused_naming_its_features(tmp_path):
    features = tfds.features.FeaturesDict({"number": tfds.features.Scalar(dtype=np.int64)})
    splits = {split: [(i, {"number": i}) for i in range(4)] for split in ("train", "test")}
    tfds.dataset_builders.store_as_tfds_dataset(
        name="tiny_numbers", version="1.0.0", features=features, split_datasets=splits, data_dir=str(tmp_path)
    )
    with pytest.raises(ValueError, match="its features are number \\(Scalar\\); tfds: reads classification sets"):
        data.load(RunSpec(dataset="tfds:tiny_numbers", data_path=str(tmp_path), global_batch_size=2))
