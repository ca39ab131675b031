import time

import pytest

from bench_lib.probes import speed


def test_the_peak_is_positive_and_measured_once_per_device():
    first = speed.device_peak_gflops("/device:CPU:0", size=256, repeats=2)
    start = time.perf_counter()
    again = speed.device_peak_gflops("/device:CPU:0", size=256, repeats=2)
    assert again == first > 0
    assert time.perf_counter() - start < 0.01, "the second call is the cached figure"


def test_a_cpu_peak_is_the_better_of_tensorflows_kernel_and_the_host_blas(monkeypatch):
    # Without oneDNN, TensorFlow's CPU matmul (Eigen) reaches ~70 % of what the cores do.
    monkeypatch.setattr(speed, "_tensorflow_matmul_gflops", lambda device, size, repeats, dtype: 80.0)
    monkeypatch.setattr(speed, "_host_blas_matmul_gflops", lambda size, repeats: 120.0)
    assert speed.device_peak_gflops("/device:CPU:0", size=3, repeats=1) == 120.0
    # numpy has no bfloat16 or float16 BLAS: a reduced precision's peak is TensorFlow's kernel's.
    assert speed.device_peak_gflops("/device:CPU:0", "bfloat16", size=3, repeats=1) == 80.0
    # A GPU is judged by its own kernel only: the host's BLAS runs on another device.
    assert speed.device_peak_gflops("/device:GPU:0", size=3, repeats=1) == 80.0


class _Clocks:
    """Fake clocks: each product() call takes `wall` seconds and `cpu` seconds of the process's CPU time."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.now = self.cpu_now = 0.0
        self.wall, self.cpu = wall, cpu

    def product(self) -> None:
        self.now += self.wall
        self.cpu_now += self.cpu


def test_a_cpu_kernel_is_rated_by_its_cpu_time_so_that_load_does_not_lower_the_peak(monkeypatch):
    # Two threads busy for 1 s each, stretched to 2 s of wall time by another process.
    clocks = _Clocks(wall=2.0, cpu=2.0)
    monkeypatch.setattr(speed.time, "perf_counter", lambda: clocks.now)
    monkeypatch.setattr(speed.time, "process_time", lambda: clocks.cpu_now)
    flops = 2 * 1000**3
    assert speed._best_gflops(clocks.product, 1000, 3, cores=2) == flops / 1.0 / 1e9
    # A device's own kernel (a GPU's) is rated by wall time only.
    assert speed._best_gflops(clocks.product, 1000, 3, cores=None) == flops / 2.0 / 1e9


def test_the_host_blas_rate_is_measured():
    assert speed._host_blas_matmul_gflops(size=128, repeats=2) > 0


def test_logical_cpus_share_one_peak_and_gpus_add_up(monkeypatch):
    monkeypatch.delenv(speed.PEAK_VARIABLE, raising=False)
    peaks = {"CPU": 150.0, "GPU": 1000.0}
    monkeypatch.setattr(speed, "device_peak_gflops", lambda device, precision: peaks[device.split(":")[-2]])
    assert speed.peak_gflops(["/device:CPU:0", "/device:CPU:1"]) == 150.0
    assert speed.peak_gflops(["/device:GPU:0", "/device:GPU:1"]) == 2000.0


def test_a_declared_peak_replaces_calibration(monkeypatch):
    def calibrate(device, precision):
        raise AssertionError("calibrated although a peak was declared")

    monkeypatch.setattr(speed, "device_peak_gflops", calibrate)
    monkeypatch.setenv(speed.PEAK_VARIABLE, "19500")
    assert speed.peak_gflops(["/device:GPU:0", "/device:GPU:1"]) == 19500.0


@pytest.mark.parametrize("text", ["fast", "0", "-5", "inf", "nan"])
def test_a_bad_declared_peak_is_one_line_naming_the_variable_and_value(text):
    with pytest.raises(ValueError) as error:
        speed.declared_peak_gflops({speed.PEAK_VARIABLE: text})
    message = str(error.value)
    assert "\n" not in message
    assert f"TFBENCH_PEAK_GFLOPS={text!r} is not allowed" in message and "positive number" in message


def test_an_unset_or_empty_variable_declares_nothing():
    assert speed.declared_peak_gflops({}) is None
    assert speed.declared_peak_gflops({speed.PEAK_VARIABLE: " "}) is None


def test_each_precision_declares_its_own_peak_and_falls_back_on_the_common_one(monkeypatch):
    monkeypatch.setattr(speed, "device_peak_gflops", lambda device, precision: pytest.fail("calibrated"))
    monkeypatch.setenv(speed.PEAK_VARIABLE, "19500")
    monkeypatch.setenv("TFBENCH_PEAK_GFLOPS_BFLOAT16", "312000")
    assert speed.peak_gflops(["/device:GPU:0"], "mixed_bfloat16") == 312000.0
    assert speed.peak_gflops(["/device:GPU:0"], "mixed_float16") == 19500.0


def test_a_bad_precision_variable_is_named_even_when_no_precision_is_asked_for():
    with pytest.raises(ValueError, match="TFBENCH_PEAK_GFLOPS_FLOAT16='x' is not allowed"):
        speed.declared_peak_gflops({"TFBENCH_PEAK_GFLOPS_FLOAT16": "x"})


@pytest.mark.parametrize(
    ("precision", "devices", "tf32", "capabilities", "products"),
    [
        ("float32", ["/device:CPU:0"], True, [], "float32"),
        ("float32", ["/device:GPU:0"], True, ["8.0"], "tensorfloat32"),
        ("float32", ["/device:GPU:0"], False, ["8.6"], "float32"),
        ("float32", ["/device:GPU:0"], True, ["7.0"], "float32"),  # Volta: no TF32 tensor cores
        ("mixed_bfloat16", ["/device:CPU:0"], True, [], "bfloat16"),
        ("mixed_float16", ["/device:GPU:0", "/device:GPU:1"], True, ["8.0", "8.0"], "float16"),
    ],
)
def test_the_peak_is_taken_in_the_precision_the_steps_products_run_in(precision, devices, tf32, capabilities, products):
    found = speed.matmul_precision(precision, devices, tf32_enabled=tf32, gpu_capabilities=capabilities)
    assert found == products


def test_a_step_in_mixed_precision_is_judged_against_that_precisions_peak(monkeypatch):
    monkeypatch.delenv(speed.PEAK_VARIABLE, raising=False)
    peaks = {"float32": 200.0, "bfloat16": 800.0, "float16": 190.0}
    monkeypatch.setattr(speed, "device_peak_gflops", lambda device, precision: peaks[precision])
    assert speed.peak_gflops(["/device:CPU:0"], "mixed_bfloat16") == 800.0
    assert speed.peak_gflops(["/device:CPU:0"], "float32") == 200.0


def test_an_unknown_precision_is_named():
    with pytest.raises(ValueError, match="precision='int8' is not allowed"):
        speed.device_peak_gflops("/device:CPU:0", "int8", size=3, repeats=1)
