"""k-NN label transfer: label one scan, segment the rest (Blendowski et al., MICCAI 2019).

Every labelled support scan is preprocessed to the context grid
(:func:`~medssl.methods.context.prep.context_pipeline`) and described block by block
(one 192-D descriptor per 4³ voxels); each block takes the majority label of its
voxels. These (descriptor, label) pairs form a faiss database: exact (``IndexFlatL2``)
up to ``exact_limit`` entries, an inverted file (``IndexIVFFlat``) above. Each block of
a query votes with its ``k`` nearest support blocks; the vote fractions are brought
to the query's full context grid (``interp``: trilinear interpolation of the
fractions, then the arg-max; ``nearest``: the block's arg-max repeated), and then to
the query's own grid by the recorded inverse of the preprocessing. Descriptors are
standardised per dimension with the database's mean and standard deviation. Blocks
with no voxel above the bottom of the CT window (air, lung) are left out of the
database and labelled background in queries.

The vote (:class:`Vote`) goes beyond the paper's plain majority in two ways, both
chosen on one transfer direction of the dev task and checked on the other (see the
context model card); ``Vote.paper()`` is the plain majority:

- ``position``: the block centre's place in the body box (``xy``: left-right and
  anterior-posterior; ``xyz``: also cranio-caudal), scaled to [-1, 1] and weighted by
  ``position_weight``, is appended to the standardised descriptor, so that neighbours
  come from the same part of the body (left and right kidney look alike). ``aligned``
  takes every scan's block centres into the first support's body box through an affine
  registration (:func:`~medssl.methods.context.align.align_affine`), so that the
  position holds across fields of view.
- ``balanced``: each class's votes are divided by the square root of its share of the
  database (``balance_power``), so that small organs are not outvoted by the background
  that surrounds them, without the full division's over-sized small organs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from medssl._optional import optional_import
from medssl.errors import MedsslError
from medssl.io import Image, check_same_grid
from medssl.methods.context.blocks import (
    STRIDE,
    UPSAMPLING,
    block_fractions,
    body_box_position,
    largest_pieces,
    tissue_blocks,
    upsample_votes,
)
from medssl.methods.context.prep import SPACING_MM, context_pipeline
from medssl.preprocess import Pipeline

POSITIONS = ("none", "xy", "xyz", "aligned")
#: Largest support database searched exactly; above it an inverted file (IVF) is used.
EXACT_LIMIT = 20_000
#: Every side of a query's body box must be at least this long (mm): half a plane.
MIN_SIDE_MM = 42.0


@dataclass(frozen=True)
class Vote:
    """How a query block's neighbours vote.

    Attributes:
        position: ``none``, ``xy``, ``xyz`` or ``aligned``: body-box coordinates
            appended to the standardised descriptor (``aligned``: in the first support's
            box, through an affine registration).
        position_weight: Their weight against the 192 standardised dimensions (16: about
            the same share of the squared distance).
        balanced: Divide each class's votes by a power of its share of the database.
        balance_power: That power ``p``: votes / share^p. ``p = 1`` makes every class
            equally likely a priori, which over-favours small organs (the spleen and
            kidneys came out about 4x too large); ``p = 0.5`` halves the correction.
        largest_piece: After the vote, keep only each label's largest connected
            component (an organ such as the liver, the spleen or one kidney is one
            piece); the other pieces become background.
        mirror_pairs: Also describe each support mirrored left-right and add the blocks
            of its paired organs (found from its label: :mod:`.mirror`), values
            swapped, at their mirrored places, so that a support whose pair is not
            symmetric still votes both sides.

    Raises:
        MedsslError: An unknown ``position``, a weight that is not a positive number, or
            a balance power outside [0, 1].
    """

    position: str = "aligned"
    position_weight: float = 16.0
    balanced: bool = True
    balance_power: float = 0.5
    largest_piece: bool = False
    mirror_pairs: bool = False

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise MedsslError(
                f"position must be one of {', '.join(POSITIONS)}; got '{self.position}'"
            )
        weight = float(self.position_weight)
        if not np.isfinite(weight) or weight <= 0:
            raise MedsslError(f"position weight must be a positive number; got {weight}")
        if not 0.0 <= float(self.balance_power) <= 1.0:
            raise MedsslError(f"balance power must be in [0, 1]; got {self.balance_power}")

    @classmethod
    def paper(cls) -> Vote:
        """The paper's plain majority of the descriptor's neighbours."""
        return cls(position="none", balanced=False)


@dataclass
class TransferResult:
    """Labels on the query's grid, and the seconds each stage took."""

    labels: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)


def _fingerprint(image: Image) -> str:
    """A digest of a scan's voxels and affine (the same scan read twice matches)."""
    import hashlib

    digest = hashlib.blake2b(np.ascontiguousarray(image.array).view(np.uint8), digest_size=16)
    digest.update(np.asarray(image.geometry.affine, np.float64).tobytes())
    return digest.hexdigest()


def _label_dtype(label) -> type:
    """The smallest integer type holding a preprocessed label (uint8, else int32)."""
    values = np.asarray(label)
    return np.uint8 if values.size == 0 or (values.min() >= 0 and values.max() < 256) else np.int32


def _faiss_index(features: np.ndarray, *, exact_limit: int, seed: int = 0):
    """An exact index up to ``exact_limit`` entries, an inverted file above.

    The inverted file has ``2 sqrt(n)`` lists and probes at least 16 of them (4 % of
    the lists for large databases); faiss uses as many threads as torch.
    """
    faiss = optional_import("faiss")
    faiss.omp_set_num_threads(max(1, torch.get_num_threads()))
    n, d = features.shape
    if n <= exact_limit:
        index = faiss.IndexFlatL2(d)
    else:
        nlist = int(2 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
        rng = np.random.default_rng(seed)
        train = features[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        index.train(train)
        index.nprobe = max(16, nlist // 25)
    index.add(features)
    return index


class LabelTransfer:
    """A support database and k-NN prediction of query labels.

    Args:
        describer: From :func:`~medssl.methods.context.describers.load_describer`.
        k: Neighbours per vote.
        upsample: ``interp`` or ``nearest``.
        exact_limit: Largest database searched exactly.
        labels: Label values to transfer (others become background); None: all.
        vote: How the neighbours vote (:class:`Vote`).
    """

    def __init__(
        self,
        describer,
        *,
        k: int = 21,
        upsample: str = "interp",
        exact_limit: int = EXACT_LIMIT,
        labels: Sequence[int] | None = None,
        vote: Vote | None = None,
    ) -> None:
        if int(k) < 1:
            raise MedsslError(f"k must be >= 1; got {k}")
        if upsample not in UPSAMPLING:
            raise MedsslError(
                f"upsampling must be one of {', '.join(UPSAMPLING)}; got '{upsample}'"
            )
        self.describer, self.k, self.upsample = describer, int(k), upsample
        self.vote = Vote() if vote is None else vote
        self.exact_limit = int(exact_limit)
        self.wanted = None if labels is None else sorted({int(v) for v in labels})
        self.pipeline = context_pipeline()
        self._feats: list[np.ndarray] = []
        self._labels: list[np.ndarray] = []
        self._keep: list[np.ndarray] = []
        self._where: list[np.ndarray] = []
        self._only: list[set[int] | None] = []
        self._described: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._reference: np.ndarray | None = None
        self._index = None

    # ------------------------------------------------------------- supports
    def add_support(self, image: Image, label: Image | np.ndarray) -> None:
        """Describe a labelled scan and add its blocks to the database.

        Raises:
            MedsslError: A label on another grid (naming both files), or no foreground.
        """
        source = image.geometry.source
        if isinstance(label, Image):
            check_same_grid(
                image.geometry, label.geometry, what="support label is not on its image's grid"
            )
            label_image = label
        else:
            if tuple(np.shape(label)) != tuple(image.geometry.shape):
                raise MedsslError(
                    f"support label shape {np.shape(label)} differs from image shape "
                    f"{image.geometry.shape} of {source}"
                )
            label_image = Image(np.asarray(label), image.geometry)
        values = np.asarray(label_image.array)
        if not values.any():
            raise MedsslError(
                f"support label {label_image.geometry.source or source} has no foreground "
                "(all zero)"
            )
        sample = self.pipeline.apply(image, label=label_image)
        key = _fingerprint(image)
        volume = np.asarray(sample.image, np.float32)
        if self._reference is None:
            self._reference = volume
        label = np.asarray(sample.label, _label_dtype(sample.label))
        to, box = self._alignment(volume)
        feats, keep = self._describe(key, volume)  # a scan given with several labels: once
        self._add(feats, keep, label, self._positions(volume.shape, keep, to, box))
        if self.vote.mirror_pairs:
            self._add_mirrored(key, volume, label, to, box)
        self._index = None

    def _describe(self, key: str, volume: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Descriptors of a context-grid volume's tissue blocks, and which blocks those are."""
        if key not in self._described:
            feats = self.describer(volume)
            keep = tissue_blocks(volume).reshape(-1)
            self._described[key] = (
                feats.reshape(-1, feats.shape[-1])[keep].astype(np.float32, copy=False),
                keep,
            )
        return self._described[key]

    def _add(self, feats, keep, label, where, only: set[int] | None = None) -> None:
        self._feats.append(feats)
        self._labels.append(label)
        self._keep.append(keep)
        self._where.append(where)
        self._only.append(only)

    def _add_mirrored(self, key, volume, label, to, box) -> None:
        """The support's paired organs, mirrored left-right with their values swapped."""
        from medssl.methods.context.mirror import label_pairs, mirrored_label, mirrored_map

        pairs = label_pairs(label, self.wanted)
        if not pairs:
            return
        # padded to whole blocks first, so that the flipped blocks are the scan's, reversed
        pad = ((0, -volume.shape[0] % STRIDE), (0, 0), (0, 0))
        flipped = np.ascontiguousarray(np.flip(np.pad(volume, pad), 0))
        feats, keep = self._describe(key + ":mirrored", flipped)
        box = self._reference.shape if box is None else box
        where = self._positions(flipped.shape, keep, mirrored_map(flipped.shape, to, box), box)
        only = {v for pair in pairs for v in pair}
        self._add(feats, keep, mirrored_label(np.pad(label, pad), pairs), where, only)

    def _alignment(self, volume: np.ndarray) -> tuple[np.ndarray | None, tuple | None]:
        """With ``aligned``, the voxel map of a scan other than the first support onto it."""
        ref = self._reference
        if self.vote.position != "aligned" or (
            volume.shape == ref.shape and np.array_equal(volume, ref)
        ):
            return None, None
        from medssl.methods.context.align import align_affine

        return align_affine(volume, ref), ref.shape

    def _positions(self, shape, keep: np.ndarray, to=None, box=None) -> np.ndarray:
        """Weighted body-box coordinates of the kept blocks ((n, 0) without ``position``)."""
        if self.vote.position == "none":
            return np.zeros((int(keep.sum()), 0), np.float32)
        where = body_box_position(shape, axes=self.vote.position, to=to, box=box)
        return np.float32(self.vote.position_weight) * where[keep]

    def _with_position(self, standardised: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate([standardised, where], axis=1), np.float32)

    def _database(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._feats:
            raise MedsslError("label transfer needs at least one support scan with a label")
        present = sorted(set(np.unique(np.concatenate([np.unique(v) for v in self._labels]))) - {0})
        if self.wanted is not None:
            missing = sorted(set(self.wanted) - set(present))
            if missing:
                raise MedsslError(
                    f"label values {missing} are in no support label; present: {present}"
                )
            present = self.wanted
        self.values = np.array([0, *present], np.int64)
        lookup = np.zeros(int(max(int(v.max()) for v in self._labels)) + 1, np.int64)
        lookup[self.values[1:]] = np.arange(1, len(self.values))
        feats, classes, where = [], [], []
        for f, v, keep, w, only in zip(
            self._feats, self._labels, self._keep, self._where, self._only
        ):
            c = block_fractions(lookup[v], len(self.values)).argmax(-1).reshape(-1)[keep]
            pick = slice(None) if only is None else np.isin(c, lookup[sorted(only)])
            feats.append(f[pick])
            classes.append(c[pick])
            where.append(w[pick])
        return np.concatenate(feats), np.concatenate(classes), np.concatenate(where)

    def build(self) -> None:
        """Standardise the database and build its faiss index."""
        feats, self._classes, where = self._database()
        self._mean = feats.mean(0)
        self._std = np.maximum(feats.std(0), 1e-6)
        db = self._with_position((feats - self._mean) / self._std, where)
        counts = np.bincount(self._classes, minlength=len(self.values)).astype(np.float32)
        self._prior = np.maximum(counts / counts.sum(), 1e-6)
        self._index = _faiss_index(db, exact_limit=self.exact_limit)

    # ------------------------------------------------------------- queries
    def to(self, device: str) -> LabelTransfer:
        """Run the describer on ``device`` (when it has a network); returns itself."""
        move = getattr(self.describer, "to", None)
        if move is not None:
            move(device)
        return self

    def check_sample(self, sample) -> None:
        """Refuse a preprocessed query whose body box is too small for the patches.

        Raises:
            MedsslError: A body box shorter than ``MIN_SIDE_MM`` on some side.
        """
        side = min(sample.image.shape) * SPACING_MM
        if side < MIN_SIDE_MM:
            raise MedsslError(
                f"query {sample.source_geometry.source} is too small for the context patches: "
                f"its body box is {side:.0f} mm on its shortest side; at least "
                f"{MIN_SIDE_MM:.0f} mm needed"
            )

    def sample_votes(self, sample) -> tuple[np.ndarray, dict[str, float]]:
        """Vote fractions of every block of a query already on the context grid.

        Shape:
            ``sample.image`` (X, Y, Z) → fractions (B0, B1, B2, C), C = background +
            transferred labels.

        Raises:
            MedsslError: A query body box smaller than ``MIN_SIDE_MM`` on some side.
        """
        if self._index is None:
            self.build()
        self.check_sample(sample)
        t1 = time.perf_counter()
        feats = self.describer(sample.image)
        t2 = time.perf_counter()
        keep = tissue_blocks(sample.image).reshape(-1)
        volume = np.asarray(sample.image, np.float32)
        where = self._positions(volume.shape, keep, *self._alignment(volume))
        t3 = time.perf_counter()
        q = self._with_position(
            (feats.reshape(-1, feats.shape[-1])[keep] - self._mean) / self._std, where
        )
        k = min(self.k, self._index.ntotal)
        fractions = np.zeros((keep.size, len(self.values)), np.float32)
        fractions[~keep, 0] = 1.0  # air and lung blocks are background
        if len(q):
            _, nn_idx = self._index.search(q, k)
            votes = self._classes[np.maximum(nn_idx, 0)]
            counts = np.stack([(votes == c).sum(1) for c in range(len(self.values))], axis=-1)
            counts = counts / k
            if self.vote.balanced:
                counts = counts / self._prior ** float(self.vote.balance_power)
                counts /= np.maximum(counts.sum(1, keepdims=True), 1e-12)
            fractions[keep] = counts
        fractions = fractions.reshape(*feats.shape[:3], -1)
        seconds = {"describe": t2 - t1, "position": t3 - t2, "search": time.perf_counter() - t3}
        return fractions, seconds

    def votes(self, query: Image) -> tuple[np.ndarray, object, dict[str, float]]:
        """Vote fractions of every query block, the preprocessed sample and timings.

        Shape:
            fractions (B0, B1, B2, C), C = background + transferred labels.

        Raises:
            MedsslError: A query body box smaller than ``MIN_SIDE_MM`` on some side.
        """
        t0 = time.perf_counter()
        if self._index is None:
            self.build()
        sample = self.pipeline.apply(query)
        t1 = time.perf_counter()
        fractions, seconds = self.sample_votes(sample)
        return fractions, sample, {"preprocess": t1 - t0, **seconds}

    def grid_labels(self, fractions: np.ndarray, shape: tuple[int, ...], *, upsample: str):
        """Label values on the context grid from block vote fractions.

        Shape:
            (B0, B1, B2, C) → ``shape`` (X, Y, Z), uint8 (int32 above 255).
        """
        classes = upsample_votes(fractions, tuple(shape), mode=upsample)  # type: ignore[arg-type]
        if self.vote.largest_piece:
            classes = largest_pieces(classes)
        dtype = np.uint8 if self.values.max() < 256 else np.int32
        return self.values[classes].astype(dtype)

    def predict_sample(self, sample) -> np.ndarray:
        """Label values of a query on the context grid (the prediction step of the loop).

        Stage times are kept in :attr:`seconds`.

        Shape:
            ``sample.image`` (X, Y, Z) → (X, Y, Z).
        """
        fractions, self.seconds = self.sample_votes(sample)
        t0 = time.perf_counter()
        labels = self.grid_labels(fractions, sample.image.shape, upsample=self.upsample)
        self.seconds["upsample"] = time.perf_counter() - t0
        return labels

    def labels_from_votes(self, fractions: np.ndarray, sample, *, upsample: str) -> np.ndarray:
        """Label values on the query's own grid from block vote fractions."""
        values = self.grid_labels(fractions, sample.image.shape, upsample=upsample)
        labels = Pipeline.invert(values, sample.record, is_label=True)
        return labels.astype(values.dtype, copy=False)

    def predict(self, query: Image) -> TransferResult:
        """Label a query scan, on its own grid.

        Raises:
            MedsslError: A query body box smaller than ``MIN_SIDE_MM`` on some side.
        """
        fractions, sample, seconds = self.votes(query)
        t0 = time.perf_counter()
        labels = self.labels_from_votes(fractions, sample, upsample=self.upsample)
        seconds["upsample"] = time.perf_counter() - t0
        return TransferResult(labels=labels, seconds=seconds)


def transfer_labels(
    query: Image,
    supports: Sequence[tuple[Image, Image | np.ndarray]],
    describer,
    *,
    k: int = 21,
    upsample: str = "interp",
    labels: Sequence[int] | None = None,
    exact_limit: int = EXACT_LIMIT,
    vote: Vote | None = None,
) -> np.ndarray:
    """One query labelled from labelled supports by k-NN on context descriptors.

    Args:
        query: The scan to label.
        supports: (image, label) pairs; a label is an Image on the image's grid or an array.
        describer: From :func:`~medssl.methods.context.describers.load_describer`.
        k: Neighbours per vote.
        upsample: ``interp`` (vote fractions) or ``nearest``.
        labels: Label values to transfer; None for every support label.
        exact_limit: Largest database searched exactly.
        vote: How the neighbours vote (:class:`Vote`; None: the default).

    Returns:
        The label map on the query's grid.

    Shape:
        query (X, Y, Z) → (X, Y, Z).
    """
    transfer = LabelTransfer(
        describer, k=k, upsample=upsample, labels=labels, exact_limit=exact_limit, vote=vote
    )
    for image, label in supports:
        transfer.add_support(image, label)
    return transfer.predict(query).labels
