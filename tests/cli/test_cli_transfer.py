"""``medssl transfer``: writes the query's grid, one line per bad input, exit 2."""

import numpy as np
import pytest
from context_phantom import ct_phantom

from medssl.cli.main import main
from medssl.cli.transfer import parse_extra
from medssl.errors import MedsslError
from medssl.io import read_image, write_image


@pytest.fixture()
def files(tmp_path):
    image, label = ct_phantom()
    query, _ = ct_phantom(shape=(32, 28, 24), shift=2, seed=1)
    paths = {n: tmp_path / f"{n}.nii.gz" for n in ("img", "lab", "query")}
    write_image(image.array, image.geometry, paths["img"])
    write_image(label.array, label.geometry, paths["lab"])
    write_image(query.array, query.geometry, paths["query"])
    return paths


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


def test_transfer_writes_the_query_grid(files, tmp_path, capsys):
    out = tmp_path / "out"
    code, _ = run(["transfer", str(files["query"]), "--support", str(files["img"]), str(files["lab"]),
          "--model", "gvdiff", "--out", str(out), "--labels", "1", "2"], capsys)  # fmt: skip
    assert code == 0
    pred, query = read_image(out / "query.nii.gz", dtype=None), read_image(files["query"])
    assert pred.geometry.matches(query.geometry)
    assert set(np.unique(pred.array)) <= {0, 1, 2}


def test_bad_inputs_give_one_line_and_exit_2(files, tmp_path, capsys):
    base = [str(files["query"]), "--support", str(files["img"]), str(files["lab"])]
    code, err = run(["transfer", *base, "--model", "nope", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "xavier" in err and err.count("\n") == 1
    code, err = run(["transfer", *base, "--model", "gvdiff", "--labels", "9",
                     "--out", str(tmp_path / "o")], capsys)  # fmt: skip
    assert code == 2 and "[9]" in err
    code, err = run(
        ["transfer", *base, "--model", "gvdiff", "--out", str(files["query"].parent)], capsys
    )
    assert code == 2 and "overwrite" in err
    for option, value, rule in (
        ("--position", "z", "position must be one of none, xy, xyz"),
        ("--position-weight", "0", "position weight must be a positive"),
    ):
        code, err = run(["transfer", *base, "--model", "gvdiff", option, value,
                         "--out", str(tmp_path / "o")], capsys)  # fmt: skip
        assert code == 2 and rule in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_the_paper_vote_is_an_option(files, tmp_path, capsys):
    base = [str(files["query"]), "--support", str(files["img"]), str(files["lab"])]
    maps = {}
    for name, extra in (("default", []), ("paper", ["--position", "none", "--plain-vote"])):
        code, _ = run(["transfer", *base, "--model", "gvdiff", "--out", str(tmp_path / name),
                       *extra], capsys)  # fmt: skip
        assert code == 0
        maps[name] = read_image(tmp_path / name / "query.nii.gz", dtype=None).array
    assert maps["default"].shape == maps["paper"].shape
    assert (maps["default"] != maps["paper"]).any()


def test_faiss_missing_names_the_extra(files, tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == "faiss":
            raise ImportError("no faiss")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    monkeypatch.delitem(__import__("sys").modules, "faiss", raising=False)
    code, err = run(["transfer", str(files["query"]), "--support", str(files["img"]),
                     str(files["lab"]), "--model", "gvdiff", "--out", str(tmp_path / "o")], capsys)  # fmt: skip
    assert code == 2 and "medssl[faiss]" in err


def test_parse_extra():
    q, s, lab = parse_extra(["a", "--support", "i", "l", "b", "--labels", "1,2", "3"])
    assert q == ["a", "b"] and s == [("i", "l")] and lab == [1, 2, 3]
    with pytest.raises(MedsslError, match="two values"):
        parse_extra(["a", "--support", "i"])


def test_transfer_runs_through_the_inference_loop(files, tmp_path, capsys):
    """Loop naming (nnU-Net suffix dropped), --continue-on-error and --device cpu."""
    tiny, _ = ct_phantom(shape=(30, 28, 6), spacing=2.0)
    write_image(tiny.array, tiny.geometry, tmp_path / "tiny.nii.gz")
    query = tmp_path / "case_0000.nii.gz"
    query.write_bytes(files["query"].read_bytes())
    out = tmp_path / "out"
    args = ["transfer", str(query), str(tmp_path / "tiny.nii.gz"), "--support", str(files["img"]),
            str(files["lab"]), "--model", "gvdiff", "--out", str(out), "--device", "cpu"]  # fmt: skip
    code, err = run(args, capsys)
    assert code == 2 and "tiny.nii.gz" in err and "too small" in err
    assert not out.exists()
    code, err = run([*args, "--continue-on-error"], capsys)
    assert code == 2 and "1 of 2 inputs failed" in err
    assert sorted(p.name for p in out.iterdir()) == ["case.nii.gz"]
    code, err = run(["transfer", str(query), "--support", str(files["img"]), str(files["lab"]),
                     "--model", "nope", "--out", str(out)], capsys)  # fmt: skip
    assert code == 2 and "register" in err
