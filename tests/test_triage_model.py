"""The triage model end to end on a tiny model the test trains itself: train → save →
load → predict, both backends, and input that must not break it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from complaint_desk import vocab
from complaint_desk.config import Settings
from complaint_desk.triage.model import TRIAGE_BACKENDS, Triager
from complaint_desk.triage.network import HEADS, MissingCheckpointError, load_checkpoint


def test_checkpoint_round_trip(tiny_checkpoint: Path) -> None:
    checkpoint = load_checkpoint(tiny_checkpoint)
    assert checkpoint.ngrams is not None and checkpoint.net.wide is not None
    assert set(checkpoint.meta["labels"]) == set(HEADS)
    assert (tiny_checkpoint / "encoder" / "config.json").is_file()


def test_training_keeps_the_validation_choice(tiny_checkpoint: Path) -> None:
    """The epoch and deep scale picked on the validation slice are the ones saved and loaded."""
    checkpoint = load_checkpoint(tiny_checkpoint)
    selection = checkpoint.meta["finetuning"]["selection"]
    assert checkpoint.meta["finetuning"]["validation_examples"] > 0
    best = max(selection["history"], key=lambda entry: entry["score"])
    assert selection["chosen"] == best
    assert checkpoint.net.deep_scale == best["deep_scale"]
    assert set(best["deep_scale"]) == set(HEADS)
    assert {entry["epoch"] for entry in selection["history"]} == {0, 1, 2}


def test_deep_scale_zero_leaves_the_wide_half_alone(tiny_checkpoint: Path) -> None:
    """With the encoder weighed at 0, logits are the n-gram half plus biases: the encoder cannot move them."""
    checkpoint = load_checkpoint(tiny_checkpoint)
    net, tokenizer, ngrams = checkpoint.net, checkpoint.tokenizer, checkpoint.ngrams
    assert ngrams is not None
    indices, weights, _ = ngrams.transform(["快递三天没到"])
    wide = (torch.tensor(indices.tolist()), torch.tensor(weights.tolist()), torch.tensor([0]))
    ids = tokenizer(["快递三天没到"], return_tensors="pt")["input_ids"]
    net.deep_scale = dict.fromkeys(HEADS, 0.0)
    with torch.no_grad():
        before = net(ids, torch.ones_like(ids), wide)
        for head in net.heads.values():
            head.weight.add_(1.0)
        after = net(ids, torch.ones_like(ids), wide)
    for name in HEADS:
        assert torch.allclose(before[name], after[name])


@pytest.mark.parametrize("text", [
    "快递三天没到！！！再不处理我就打12315投诉你们",
    "請問信用卡年費怎麼免？",
    "😡😡😡 app一直闪退 login不了",
    "   ",
    "退款" * 400,
])
def test_triage_result_has_every_spec_field(tiny_settings: Settings, text: str) -> None:
    result = Triager(tiny_settings).triage(text)
    assert 0 <= result.anger <= 3 and 0.0 <= result.anger_score <= 1.0
    assert result.topic in vocab.TOPIC_IDS and result.persona in vocab.PERSONA_IDS
    assert len(result.persona_top3) == 3 and result.persona_top3[0].label == result.persona
    assert result.priority in vocab.PRIORITY_IDS and 0.0 <= result.priority_score <= 1.0
    assert result.department in vocab.DEPARTMENT_NAMES and result.reason


def test_regulator_threat_is_p1_with_reason(tiny_settings: Settings) -> None:
    result = Triager(tiny_settings).triage("快递三天没到，再不处理我就打12315投诉你们")
    assert result.priority == "P1"
    assert "监管投诉" in result.reason
    assert any(hit.flag == "regulator" and hit.text == "12315" for hit in result.flags)


def test_batch_equals_single(tiny_settings: Settings) -> None:
    triager = Triager(tiny_settings)
    texts = ["外卖洒了", "客服态度太差了，叫你们经理出来", "请问怎么开发票"]
    assert [r.topic for r in triager.score(texts)] == [triager.triage(t).topic for t in texts]


def test_float32_and_bfloat16_agree_on_labels(tiny_settings: Settings) -> None:
    texts = ["外卖洒了一袋子", "退款三周还没到账", "宽带天天掉线"]
    fp32 = Triager(tiny_settings.model_copy(update={"triage": tiny_settings.triage.model_copy(update={"dtype": "float32"})}))
    bf16 = Triager(tiny_settings.model_copy(update={"triage": tiny_settings.triage.model_copy(update={"dtype": "bfloat16"})}))
    assert [r.topic for r in fp32.score(texts)] == [r.topic for r in bf16.score(texts)]


def test_missing_checkpoint_says_what_to_set(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(update={"triage": settings.triage.model_copy(update={"model": str(tmp_path)})})
    with pytest.raises(MissingCheckpointError, match="COMPLAINT_DESK_TRIAGE__MODEL"):
        Triager(broken)


def test_hf_backend_reads_a_sequence_classifier_with_spec_labels(tiny_settings: Settings, tiny_checkpoint: Path,
                                                                 tmp_path: Path) -> None:
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    topics = list(vocab.TOPIC_NAMES.values())  # Chinese display names must map too
    config = BertConfig(vocab_size=2500, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=len(topics), id2label=dict(enumerate(topics)),
                        label2id={label: i for i, label in enumerate(topics)})
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint / "encoder")
    config.vocab_size = len(tokenizer)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.bias.zero_()
        model.classifier.bias[vocab.TOPIC_IDS.index("billing")] = 50.0  # make the answer unmistakable
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    hf_settings = tiny_settings.model_copy(update={"triage": tiny_settings.triage.model_copy(
        update={"backend": "hf", "model": str(tmp_path), "fallback_model": str(tiny_checkpoint)})})
    result = Triager(hf_settings).triage("随便一条投诉")
    assert result.topic == "billing" and result.model == f"hf:{tmp_path}"
    assert "hf" in TRIAGE_BACKENDS.names()


def test_hf_backend_rejects_unknown_labels(tiny_settings: Settings, tiny_checkpoint: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint / "encoder")
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=2)
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    hf_settings = tiny_settings.model_copy(update={"triage": tiny_settings.triage.model_copy(
        update={"backend": "hf", "model": str(tmp_path), "fallback_model": str(tiny_checkpoint)})})
    with pytest.raises(MissingCheckpointError, match="无法对应"):
        Triager(hf_settings)
