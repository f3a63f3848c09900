"""LLM backends on real code paths: a tiny randomly initialised Qwen2 built here (chat
template, streaming, batching) and a fake OpenAI-compatible server on 127.0.0.1
(streaming, timeout, retry). Nothing touches the network."""

from __future__ import annotations

from dataclasses import replace

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from complaint_desk.config import LLMSettings, Settings
from complaint_desk.drafting.backends import (
    BackendUnavailableError,
    LlamaCppBackend,
    OpenAIBackend,
    TransformersBackend,
    load_backend,
    resolve_model_source,
)
from complaint_desk.drafting.prompts import chat_messages
from complaint_desk.drafting.request import DraftRequest

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
REQUEST = DraftRequest(complaint="快递三天没到，客服也不回消息", topic="delivery", anger=2, persona="venting")


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    directory = tmp_path_factory.mktemp("tiny-qwen")
    corpus = [m["content"] for m in chat_messages(REQUEST)] * 3 + ["您好，非常抱歉，我们会尽快处理。"] * 5
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    from tokenizers import decoders

    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   unk_token="<unk>")
    fast.chat_template = CHATML
    fast.save_pretrained(directory)
    config = Qwen2Config(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                         eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    Qwen2ForCausalLM(config).save_pretrained(directory)
    return directory


def backend_for(model_dir: Path) -> TransformersBackend:
    return TransformersBackend(LLMSettings(model=str(model_dir), device="cpu", dtype="float32", max_new_tokens=8,
                                           temperature=0.0))


def test_transformers_backend_uses_the_chat_template(tiny_qwen: Path) -> None:
    backend = backend_for(tiny_qwen)
    prompt = backend.tokenizer.apply_chat_template(chat_messages(REQUEST), tokenize=False, add_generation_prompt=True)
    assert prompt.startswith("<|im_start|>system") and prompt.endswith("<|im_start|>assistant\n")
    assert isinstance(backend.generate(REQUEST), str)


def test_streaming_matches_greedy_generation(tiny_qwen: Path) -> None:
    backend = backend_for(tiny_qwen)
    chunks = list(backend.stream(REQUEST))
    assert "".join(chunks).strip() == backend.generate(REQUEST)


def test_batched_generation_returns_one_draft_per_request(tiny_qwen: Path) -> None:
    backend = backend_for(tiny_qwen)
    other = DraftRequest(complaint="短一点", topic="billing", anger=1, persona="claiming")
    outputs = backend.generate_batch([REQUEST, other, REQUEST])
    assert len(outputs) == 3 and outputs[0] == outputs[2]


def test_model_is_loaded_once_and_reused(tiny_qwen: Path) -> None:
    assert backend_for(tiny_qwen).model is backend_for(tiny_qwen).model


def test_missing_gguf_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailableError, match="找不到模型文件"):
        resolve_model_source(str(tmp_path / "missing.gguf"), None)


def test_gguf_path_is_split_into_folder_and_file(tmp_path: Path) -> None:
    model = tmp_path / "qwen.gguf"
    model.write_bytes(b"GGUF")
    assert resolve_model_source(str(model), None) == (str(tmp_path), "qwen.gguf")


def test_unreachable_model_degrades_to_composer_with_notice(settings: Settings) -> None:
    offline = settings.model_copy(update={"llm": settings.llm.model_copy(update={"model": "nobody/no-such-model"})})
    loaded = load_backend(offline)
    assert loaded.backend.name == "composer"
    assert "脚本组稿" in (loaded.notice or "")


# --- a fake OpenAI-compatible server -----------------------------------------------------------

class FakeServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.failures_left = 0
        self.delay_s = 0.0
        self.requests: list[dict] = []


class FakeHandler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, *args) -> None:  # noqa: ANN002
        return

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test), nothing to send

    def _answer(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
        if self.server.failures_left > 0:
            self.server.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        time.sleep(self.server.delay_s)
        reply = "您好，非常抱歉让您久等了。"
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in ("您好，", "非常抱歉", "让您久等了。"):
                chunk = {"choices": [{"delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def fake_server():  # noqa: ANN201
    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def openai_backend(server: FakeServer, **overrides: object) -> OpenAIBackend:
    host, port = server.server_address
    options = {"timeout_s": 2.0, "retries": 2, **overrides}
    settings = LLMSettings(backend="openai", base_url=f"http://{host}:{port}/v1", model="qwen2.5-7b-instruct",
                           api_key="sk-test", **options)
    return OpenAIBackend(settings)


def test_openai_generate_sends_the_chat_and_key(fake_server: FakeServer) -> None:
    assert openai_backend(fake_server).generate(REQUEST) == "您好，非常抱歉让您久等了。"
    sent = fake_server.requests[-1]
    assert sent["auth"] == "Bearer sk-test"
    assert [m["role"] for m in sent["body"]["messages"]] == ["system", "user"]
    assert sent["body"]["model"] == "qwen2.5-7b-instruct"


def test_openai_streaming_yields_deltas(fake_server: FakeServer) -> None:
    assert list(openai_backend(fake_server).stream(REQUEST)) == ["您好，", "非常抱歉", "让您久等了。"]


def test_openai_retries_server_errors(fake_server: FakeServer) -> None:
    fake_server.failures_left = 2
    assert openai_backend(fake_server).generate(REQUEST).startswith("您好")
    assert len(fake_server.requests) == 3


def test_openai_gives_up_after_retries_with_a_clear_error(fake_server: FakeServer) -> None:
    fake_server.failures_left = 10
    with pytest.raises(BackendUnavailableError, match="重试 2 次后仍失败"):
        openai_backend(fake_server).generate(REQUEST)


def test_openai_timeout(fake_server: FakeServer) -> None:
    fake_server.delay_s = 1.5
    backend = openai_backend(fake_server, timeout_s=0.3, retries=1)
    started = time.perf_counter()
    with pytest.raises(BackendUnavailableError):
        backend.generate(REQUEST)
    assert time.perf_counter() - started < 5


# --- llamacpp: the adapter around llama-cpp-python, against a stand-in for its Llama class --------


class FakeLlama:
    """Records how the backend calls llama-cpp-python and answers in its response shapes."""

    calls: list[dict] = []

    def __init__(self, model_path: str, **options: object) -> None:
        self.model_path, self.options = model_path, options

    metadata = {"tokenizer.chat_template": CHATML}

    def token_eos(self) -> int:
        return 2

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return b"<|im_end|>" if special and tokens == [2] else b""

    def create_completion(self, prompt: str, **kwargs: object):  # noqa: ANN201
        FakeLlama.calls.append({"prompt": prompt, **kwargs})
        label = prompt.rsplit("【", 1)[1].rstrip("】")
        return iter([{"choices": [{"text": f"{label}这一段。"}]}, {"choices": [{"text": "\n"}]}])

    def create_chat_completion(self, **kwargs: object):  # noqa: ANN201
        FakeLlama.calls.append(kwargs)
        if kwargs.get("stream"):
            return iter([{"choices": [{"delta": {"role": "assistant"}}]},
                         *({"choices": [{"delta": {"content": piece}}]} for piece in ("您好，", "非常抱歉。"))])
        return {"choices": [{"message": {"content": " 您好，非常抱歉。 "}}]}


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import sys
    import types

    module = types.ModuleType("llama_cpp")
    module.Llama = FakeLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    FakeLlama.calls = []
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    return gguf


def test_llamacpp_loads_the_gguf_and_streams_only_text(fake_llama: Path) -> None:
    backend = LlamaCppBackend(LLMSettings(backend="llamacpp", model=str(fake_llama), threads=2))
    assert backend.llm.model_path == str(fake_llama) and backend.llm.options["n_threads"] == 2
    request = DraftRequest(complaint="快递丢了", topic="delivery", anger=1, persona="venting")
    assert list(backend.stream(request)) == ["您好，", "非常抱歉。"]
    assert backend.generate(request) == "您好，非常抱歉。"
    assert FakeLlama.calls[0]["messages"] == chat_messages(request)
    assert "此致" in FakeLlama.calls[0]["stop"]  # a signature block ends the letter instead of following it


def test_llamacpp_retries_sample_with_a_new_seed_and_a_higher_temperature(fake_llama: Path) -> None:
    settings = LLMSettings(backend="llamacpp", model=str(fake_llama), temperature=0.3, retry_temperature_step=0.25)
    backend = LlamaCppBackend(settings)
    first = DraftRequest(complaint="快递丢了", topic="delivery", anger=1, persona="venting")
    backend.generate(first)
    backend.generate(first.with_feedback([]))
    (a, b) = FakeLlama.calls
    assert b["seed"] == a["seed"] + 1 and b["temperature"] == pytest.approx(a["temperature"] + 0.25)


def test_llamacpp_without_the_package_or_the_file_says_what_to_do(settings: Settings, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails as if not installed
    loaded = load_backend(settings.model_copy(update={"llm": LLMSettings(backend="llamacpp", model="x.gguf")}))
    assert loaded.backend.name == "composer" and "complaint-desk[llamacpp]" in (loaded.notice or "")
    with pytest.raises(BackendUnavailableError, match="gguf"):
        monkeypatch.setitem(sys.modules, "llama_cpp", __import__("types").SimpleNamespace(Llama=FakeLlama))
        LlamaCppBackend(LLMSettings(backend="llamacpp", model=str(tmp_path / "model.bin")))


def test_loading_llamacpp_evaluates_the_system_prompt_before_the_first_draft(fake_llama: Path,
                                                                             settings: Settings) -> None:
    """llama.cpp keeps the prefix a request shares with the last one: warming it with the system
    prompt at load means the first draft pays only for its own part."""
    from complaint_desk.drafting.prompts import system_prompt
    from complaint_desk.drafting.service import DraftingService

    config = settings.model_copy(update={"llm": LLMSettings(backend="llamacpp", model=str(fake_llama))})
    assert config.llm.prompt_style == "sections"  # `auto` writes section by section where it can
    loaded = DraftingService(config).wait()  # the workbench's loader; `draft` and `eval run` warm the same way
    (warm,) = FakeLlama.calls
    policy = config.policy
    system = system_prompt(policy.company_name, policy.max_compensation_without_approval, "sections")
    assert warm["messages"][0] == {"role": "system", "content": system} and warm["max_tokens"] == 1
    request = DraftRequest(complaint="快递丢了", topic="delivery", anger=1, persona="venting", prompt="sections",
                           company=policy.company_name, max_compensation=policy.max_compensation_without_approval)
    loaded.backend.generate(request)
    # the same prefix as the warm-up, as the model's template writes it: the cache holds
    assert FakeLlama.calls[1]["prompt"].startswith(f"<|im_start|>system\n{system}<|im_end|>")


def test_a_failed_warm_up_still_loads_the_model(fake_llama: Path, settings: Settings,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from complaint_desk.drafting.service import DraftingService

    def broken(self: LlamaCppBackend, system: str) -> None:
        raise RuntimeError("context too small")

    monkeypatch.setattr(LlamaCppBackend, "warm", broken)
    config = settings.model_copy(update={"llm": LLMSettings(backend="llamacpp", model=str(fake_llama))})
    assert DraftingService(config).wait().backend.name == "llamacpp"


def test_llamacpp_writes_sections_in_the_models_own_turn(fake_llama: Path) -> None:
    """Each section continues the chat as the model's template writes it, after the sections
    before it; the letter carries the model's words and never a marker."""
    backend = LlamaCppBackend(LLMSettings(backend="llamacpp", model=str(fake_llama), section_max_tokens=50))
    request = DraftRequest(complaint="快递三天没到", topic="delivery", anger=1, persona="venting", prompt="sections")
    letter = backend.generate(request)
    assert letter.startswith("安抚这一段。道歉这一段。\n\n") and "【" not in letter
    first, second = FakeLlama.calls[0], FakeLlama.calls[1]
    assert first["prompt"].startswith("<|im_start|>system") and first["prompt"].endswith("<|im_start|>assistant\n【安抚】")
    assert second["prompt"] == first["prompt"] + "安抚这一段。\n【道歉】"  # the shared prefix llama.cpp keeps
    assert "【" in first["stop"] and first["max_tokens"] == 50


def test_openai_cannot_write_sections_and_says_what_to_set(settings: Settings) -> None:
    config = settings.model_copy(update={"llm": LLMSettings(backend="openai", prompt="sections")})
    loaded = load_backend(config)
    assert loaded.backend.name == "composer" and "llamacpp" in (loaded.notice or "")


def test_transformers_writes_sections(tiny_qwen: Path) -> None:
    backend = TransformersBackend(LLMSettings(model=str(tiny_qwen), device="cpu", dtype="float32", temperature=0.0,
                                              section_max_tokens=4))
    letter = backend.generate(replace(REQUEST, prompt="sections"))
    assert "【" not in letter and letter.count("\n\n") <= 2
