# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all bench lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[all,test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m medssl.demo

test: $(STAMP)
	$(PY) -m pytest -q --durations=10

test-all: $(STAMP)
	$(PY) -m pytest -q -m "" --durations=10

bench: $(STAMP)
	$(PY) benchmarks/bench_train_step.py
	$(PY) benchmarks/bench_predict.py
	$(PY) benchmarks/bench_cache.py
	$(PY) benchmarks/bench_synthesis.py
	$(PY) benchmarks/bench_segment.py
	$(PY) benchmarks/bench_pretext_throughput.py
	$(PY) benchmarks/bench_views.py
	$(PY) benchmarks/bench_ld_stream.py
	$(PY) benchmarks/bench_pgl_step.py
	$(PY) benchmarks/bench_transfer.py ../shared/data/body/totalseg_ct/ct.nii.gz \
		../shared/data/body/spleen_8/image.nii.gz ../shared/data/body/spleen_8/label.nii.gz

lint: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e ".[lint]"
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) build *.egg-info demo_out
