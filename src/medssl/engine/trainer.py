"""The training loop every self-supervised method runs through.

:class:`Trainer` knows nothing about any single method. It asks the
:class:`~medssl.methods.Method` for a network, a dataset and a loss, and calls its
hooks, each with a default in the base class: ``optimizers``, ``train_step``,
``on_step_end``, a label-free ``validate``, ``encoder_of``, ``collate`` and
``export_metadata``. Around them it provides bf16 autocast,
channels_last_3d, schedules, seeding, DataLoader workers, DistributedDataParallel under
``torchrun`` (BatchNorm as SyncBatchNorm on CUDA, ``sync_bn``), atomic checkpoints with exact resumption, and the run folder::

    RUN/config.yaml  RUN/log.csv  RUN/tb/  RUN/model_card.md  RUN/model.pt  RUN/encoder.pt
    RUN/checkpoints/last.pt  RUN/checkpoints/best.pt

``model.pt`` and ``encoder.pt`` are written from the same state: the last step's, or
``best.pt``'s for a method whose ``export_checkpoint`` is ``"best"`` (fine-tuning).

Order within a step: load batch → (method ``train_step`` | zero, loss under autocast,
backward, clip, step) → schedules → ``on_step_end`` → log row every ``log_every`` →
``validate`` every ``val_every`` (drives ``best.pt`` and the ``plateau`` schedule; a
method without ``validate`` drives ``plateau`` with the logged mean training loss) →
``last.pt`` every ``ckpt_every`` and at the end. Resuming from several machines needs
the run folder on a file system they share.

SIGINT or SIGTERM ends the run between two steps: ``last.pt`` is written and
:class:`~medssl.engine.signals.TrainingInterrupted` raised (exit 130 / 143 at the command
line); ``resume`` continues it exactly, and refuses other run-defining settings unless
``force`` (see :mod:`medssl.engine.resume`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from medssl.config import TrainConfig, config_to_dict
from medssl.engine import checkpoint as ckpt
from medssl.engine import distributed as D
from medssl.engine.data import StepBatchSampler, dataset_length, make_loader, move_batch
from medssl.engine.export import export_weights
from medssl.engine.model_card import write_model_card
from medssl.engine.optim import build_optimizers, current_lrs
from medssl.engine.precision import autocast_factory, to_channels_last, use_channels_last
from medssl.engine.resume import check_resume, record_paths, run_config, write_run_config
from medssl.engine.run_dir import check_run_dir, writing
from medssl.engine.run_log import RunLog
from medssl.engine.schedules import Schedule
from medssl.engine.seeding import dataset_seed, get_rng_state, seed_everything, set_rng_state
from medssl.engine.signals import StopNow, StopSignals, TrainingInterrupted
from medssl.errors import MedsslError
from medssl.methods.base import Method


@dataclasses.dataclass
class TrainResult:
    """Outcome of :meth:`Trainer.fit`.

    Attributes:
        run_dir: The run folder.
        step: Step reached.
        losses: Loss of every step run by this invocation (this process's value).
        best_val_loss: Best ``val_loss`` from ``validate``, or None.
        wall_time_s: Wall time of this invocation.
    """

    run_dir: Path
    step: int
    losses: list[float]
    best_val_loss: float | None
    wall_time_s: float


class Trainer:
    """Runs one pre-training job of a method.

    Args:
        method: A :class:`~medssl.methods.base.Method`.
        cfg: The run's config (checked here).
        records: Training records handed to ``method.make_dataset``.
        argv: Command line recorded in the model card (default: ``sys.argv``).
        settings: The command's own run-defining options (e.g. fine-tuning's labels and
            preprocessing): written to ``config.yaml`` beside the training keys, kept in
            checkpoints and compared on ``resume`` (see :mod:`medssl.engine.resume`).

    Raises:
        TypeError: If ``method`` is not a :class:`~medssl.methods.base.Method`.
        MedsslError: On a bad config, or (in :meth:`fit`) on resume problems.
    """

    def __init__(
        self,
        method: Method,
        cfg: TrainConfig,
        records: Sequence[Any] = (),
        *,
        argv: Sequence[str] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(method, Method):
            raise TypeError(
                f"Trainer needs a medssl.methods.Method subclass; got {type(method).__name__}"
            )
        self.method, self.cfg = method, cfg.check()
        self.records = list(records)
        self.settings = dict(settings or {})
        self.data_files = record_paths(self.records)
        self._resumed_from: dict[str, Any] | None = None
        self.argv = list(sys.argv if argv is None else argv)
        self.run_dir = Path(cfg.out)
        self.model: torch.nn.Module | None = None
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedules: dict[str, Schedule] = {}
        self.step = 0
        self.best_val: float | None = None
        self._window: list[tuple[float, dict[str, float]]] = []
        self._pending_rng: dict[str, Any] | None = None
        self._forward_calls = 0
        self._saved_steps: dict[str, int] = {}
        self._stopped_by: int | None = None

    # ----------------------------------------------------------------- set-up
    def _setup(self) -> None:
        cfg = self.cfg
        self.dist = D.init_distributed(cfg.device)
        dev = self.dist.device
        if cfg.deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by cuBLAS
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False
        elif dev.type == "cuda":
            torch.backends.cudnn.benchmark = True
        seed_everything(cfg.seed)
        model = D.convert_batchnorm(
            self.method.build_model(cfg).to(dev), self.dist, enabled=cfg.sync_bn
        )
        if cfg.init and not cfg.resume:
            from medssl.models import load_model_weights

            load_model_weights(model, cfg.init, expected_arch=cfg.model)
        self.channels_last = use_channels_last(dev, cfg.channels_last, model)
        self.model = to_channels_last(model) if self.channels_last else model
        self.optimizers = build_optimizers(self.model, self.method, cfg)
        self.schedules = {
            n: Schedule(
                o,
                name=cfg.schedule,
                total_steps=cfg.steps,
                warmup_steps=cfg.warmup_steps,
                min_lr_ratio=cfg.min_lr_ratio,
                patience=cfg.plateau_patience,
                factor=cfg.plateau_factor,
            )
            for n, o in self.optimizers.items()
        }
        if cfg.resume:
            self._restore(self.run_dir / "checkpoints" / "last.pt")
        self.net = self.model
        if self.dist.distributed:
            ids = [dev.index] if dev.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=ids, find_unused_parameters=cfg.ddp_find_unused
            )
        self.net.register_forward_pre_hook(self._count_forward)
        self.autocast = autocast_factory(dev, cfg.precision)
        self.dataset = self.method.make_dataset(self.records, cfg, dataset_seed(cfg.seed))
        self.sampler_info = StepBatchSampler(
            dataset_length(self.dataset),
            batch_size=cfg.batch_size,
            seed=cfg.seed,
            start=0,
            stop=cfg.steps,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )

    # ------------------------------------------------------------- the loop
    def fit(self) -> TrainResult:
        """Train until ``cfg.steps``, then export weights and the model card."""
        t_start = time.perf_counter()
        check_run_dir(self.run_dir, resume=self.cfg.resume)
        self._setup()
        cfg, main = self.cfg, self.dist.is_main
        log = None
        if main:
            with writing(self.run_dir / "checkpoints"):
                (self.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
                for name in ("last.pt", "best.pt"):  # left by a run killed while saving
                    for stale in (self.run_dir / "checkpoints").glob(f".{name}.*.tmp.pt"):
                        stale.unlink(missing_ok=True)
            with writing(self.run_dir / "config.yaml"):
                current = run_config(cfg, self.settings)
                write_run_config(self.run_dir, current, saved=self._resumed_from)
            with writing(self.run_dir / "log.csv"):
                log = RunLog(
                    self.run_dir,
                    total_steps=cfg.steps,
                    start_step=self.step,
                    progress=cfg.progress,
                    description=cfg.method,
                )
        self._runlog = log
        loader = make_loader(
            self.dataset,
            batch_size=cfg.batch_size,
            seed=cfg.seed,
            start=self.step,
            stop=cfg.steps,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
            num_workers=cfg.num_workers,
            prefetch_factor=cfg.prefetch_factor,
            pin_memory=self.dist.device.type == "cuda",
            collate_fn=self.method.collate,
        )
        losses: list[float] = []
        if self._pending_rng is not None:  # after every set-up draw, as in an unbroken run
            set_rng_state(self._pending_rng)
        t_window = time.perf_counter()
        mid_update = False
        stop = StopSignals()
        try:
            stop.install()
            for batch in self._batches(loader, stop):
                mid_update = True  # weights may change from here until the step is counted
                loss, logs = self._train_step(
                    move_batch(batch, self.dist.device, channels_last=self.channels_last)
                )
                for schedule in self.schedules.values():
                    schedule.step()
                self.step += 1
                mid_update = False
                self.method.on_step_end(self.model, self.step)
                self._window.append((loss, logs))
                losses.append(loss)
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    self._log(log, time.perf_counter() - t_window)
                    t_window = time.perf_counter()
                if cfg.val_every and self.step % cfg.val_every == 0:
                    self._validate()
                if (cfg.ckpt_every and self.step % cfg.ckpt_every == 0) or self.step == cfg.steps:
                    self._checkpoint("last.pt")
        except (KeyboardInterrupt, StopNow):
            # Only a state between two steps can be resumed exactly.
            if not self.dist.distributed and not mid_update and main:
                self._checkpoint("last.pt")
            raise
        finally:
            stop.restore()
            if log is not None:
                log.close()
            del loader
        if self._stopped_by is not None:
            self._checkpoint("last.pt")
            D.shutdown(self.dist)
            last = self.run_dir / "checkpoints" / "last.pt" if main else None
            raise TrainingInterrupted(self._stopped_by, self.step, last)
        wall = time.perf_counter() - t_start
        if main:
            self._export(losses, wall)
        D.barrier(self.dist)
        D.shutdown(self.dist)
        return TrainResult(self.run_dir, self.step, losses, self.best_val, wall)

    def _export(self, losses: list[float], wall: float) -> None:
        """Write ``model.pt`` and ``encoder.pt`` from one state (the last step's, or
        ``best.pt``'s when the method exports its best validated checkpoint), then the
        model card."""
        cfg, step, chosen = self.cfg, self.step, "last.pt"
        best = self.run_dir / "checkpoints" / "best.pt"
        if self.method.export_checkpoint == "best" and best.is_file():
            state = ckpt.load_checkpoint(best, method=cfg.method, model=cfg.model)
            ckpt.load_model_state(self.model, state["model_state"], best)
            step, chosen = int(state["step"]), best.name
        with writing(self.run_dir / "model.pt"):
            export_weights(
                self.model,
                self.method,
                self.run_dir,
                arch=cfg.model,
                config=dict(cfg.model_kwargs),
                extra={
                    "method": cfg.method,
                    "step": step,
                    "checkpoint": chosen,
                    "best_val_loss": self.best_val,
                },
            )
        with writing(self.run_dir / "model_card.md"):
            write_model_card(
                self.run_dir / "model_card.md",
                cfg=cfg,
                argv=self.argv,
                records=self.records,
                wall_time_s=wall,
                steps_done=self.step,
                final_loss=losses[-1] if losses else None,
                world_size=self.dist.world_size,
                device=self.dist.device.type,
            )

    def _batches(self, loader: Any, stop: StopSignals) -> Iterator[Any]:
        """The loader's batches, until a signal asks to stop (then ``_stopped_by`` is set).

        The request is checked between two steps, where the state resumes exactly; under
        DDP every rank agrees on it first.
        """
        batches = iter(loader)
        while True:
            signum = stop.signum or 0
            if self.dist.distributed:
                signum = D.max_across(signum, self.dist)
            if signum and self.step < self.cfg.steps:
                self._stopped_by = signum
                return
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception:
                # DataLoader workers ended by the same Ctrl-C: still between two steps.
                if stop.signum is None or self.dist.distributed:
                    raise
                self._stopped_by = stop.signum
                return
            yield batch

    def _count_forward(self, *_: Any) -> None:
        self._forward_calls += 1

    def _train_step(self, batch: Any) -> tuple[float, dict[str, float]]:
        self._forward_calls = 0
        loss, logs = self.method.train_step(
            self.net, batch, self.optimizers, self.autocast, grad_clip=self.cfg.grad_clip
        )
        if self.dist.distributed and self._forward_calls == 0:
            raise MedsslError(
                f"method '{self.cfg.method}' never called model(...) in a training step; under "
                "DistributedDataParallel gradients are only synchronised through forward()"
            )
        value = float(loss.detach().float()) if isinstance(loss, torch.Tensor) else float(loss)
        return value, {
            k: float(v.detach()) if isinstance(v, torch.Tensor) else float(v)
            for k, v in (logs or {}).items()
        }

    # ----------------------------------------------------- logs, validation
    def _log(self, log: RunLog | None, seconds: float) -> None:
        n = len(self._window)
        mean_loss = sum(w[0] for w in self._window) / n
        keys = {k for _, logs in self._window for k in logs}
        if self.dist.distributed:  # ranks must reduce the same list of values
            keys = set().union(*D.gather_objects(sorted(keys), self.dist))
        extra = {k: sum(l.get(k, 0.0) for _, l in self._window) / n for k in sorted(keys)}
        values = D.mean_across(
            torch.tensor(
                [mean_loss, *extra.values()], dtype=torch.float64, device=self.dist.device
            ),
            self.dist,
        ).tolist()
        self._window.clear()
        if not math.isfinite(values[0]):
            raise MedsslError(
                f"loss became {values[0]} at step {self.step}; lower the lr or check the data"
            )
        if self.cfg.schedule == "plateau" and not self.method.has_validation:
            for schedule in self.schedules.values():
                schedule.observe(values[0])
        if log is None:
            return
        step_time = seconds / max(1, n)
        row = {
            "step": self.step,
            "epoch": self.sampler_info.epoch_of(self.step),
            "loss": values[0],
            **dict(zip(extra, values[1:])),
            **current_lrs(self.optimizers),
            "step_time_s": step_time,
            "samples_per_s": self.cfg.batch_size * self.dist.world_size / max(step_time, 1e-9),
        }
        log.log(row)
        log.advance(self.step, f"loss {values[0]:.4g}")

    def _validate(self) -> None:
        if not self.method.has_validation:
            return
        metrics = None
        if self.dist.is_main:
            self.model.eval()
            with torch.no_grad(), self.autocast():
                found = self.method.validate(self.model, self.cfg)
                metrics = {k: float(v) for k, v in found.items()}
            self.model.train()
        metrics = D.broadcast_object(metrics, self.dist)
        if self.dist.is_main and getattr(self, "_runlog", None) is not None and metrics:
            # A row of its own: validation columns next to the training ones in log.csv/tb.
            self._runlog.log(
                {"step": self.step, "epoch": self.sampler_info.epoch_of(self.step), **metrics}
            )
        val = metrics.get("val_loss")
        if val is None:
            return
        for schedule in self.schedules.values():
            schedule.observe(val)
        if self.dist.is_main:
            (self.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        improved = self.best_val is None or val < self.best_val
        if improved:
            self.best_val = val
        self._checkpoint("best.pt", write=improved)

    # ----------------------------------------------------------- checkpoints
    def _state(self, rng_states: list[Any]) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "method": cfg.method,
            "model": cfg.model,
            "model_kwargs": dict(cfg.model_kwargs),
            "config": config_to_dict(cfg),
            "settings": dict(self.settings),
            "data_files": list(self.data_files),
            "step": self.step,
            "epoch": self.sampler_info.epoch_of(self.step),
            "best_val": self.best_val,
            "model_state": self.model.state_dict(),
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "schedules": {n: s.state_dict() for n, s in self.schedules.items()},
            "window": list(self._window),
            "rng": rng_states,
            "world_size": self.dist.world_size,
        }

    def _checkpoint(self, name: str, *, write: bool = True) -> None:
        rng = D.gather_objects(get_rng_state(), self.dist)
        if write and self.dist.is_main:
            kept = self._saved_steps.get(name)
            note = (
                f"{name} still holds step {kept}"
                if kept is not None
                else f"the previous {name}, if any, is unchanged"
            )
            path = self.run_dir / "checkpoints" / name
            ckpt.save_checkpoint(self._state(rng), path, note=note)
            self._saved_steps[name] = self.step
        D.barrier(self.dist)

    def _restore(self, path: Path) -> None:
        cfg = self.cfg
        state = ckpt.load_checkpoint(
            path, method=cfg.method, model=cfg.model, model_kwargs=dict(cfg.model_kwargs)
        )
        check_resume(
            state,
            run_config(cfg, self.settings),
            data_files=self.data_files,
            path=path,
            force=cfg.force,
        )
        self._resumed_from = {**state.get("config", {}), **state.get("settings", {})}
        ckpt.load_model_state(self.model, state["model_state"], path)
        if set(state["optimizers"]) != set(self.optimizers):
            raise MedsslError(
                f"checkpoint {path} has optimizers {sorted(state['optimizers'])}, "
                f"this run has {sorted(self.optimizers)}"
            )
        try:
            for n, opt in self.optimizers.items():
                opt.load_state_dict(state["optimizers"][n])
                self.schedules[n].load_state_dict(state["schedules"][n])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise MedsslError(f"checkpoint {path} optimizer state does not fit: {exc}") from None
        self.step, self.best_val = int(state["step"]), state.get("best_val")
        self._saved_steps["last.pt"] = self.step
        self._window = list(state.get("window", []))
        rng = state["rng"]
        self._pending_rng = rng[self.dist.rank] if len(rng) == self.dist.world_size else rng[0]
