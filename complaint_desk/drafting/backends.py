"""LLM backends (registry keyed by `llm.backend`): transformers, openai, composer.

Every backend takes a DraftRequest and returns draft text, streamed or in batches. The
two model backends render the prompt files; the composer needs no model. `load_backend`
returns the configured backend, or the composer with a notice the UI shows when the
configured model cannot be reached — drafting never crashes for want of a model.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from complaint_desk.config import LLMSettings, Settings
from complaint_desk.drafting import sections
from complaint_desk.drafting.composer import ComposerBackend
from complaint_desk.drafting.prompts import chat_messages, system_prompt
from complaint_desk.drafting.request import DraftRequest
from complaint_desk.drafting.sections import MARKER_OPEN
from complaint_desk.errors import ActionableError
from complaint_desk.registry import Registry


class BackendUnavailableError(ActionableError, RuntimeError):
    """The configured model cannot be loaded or reached; the message says what to set."""


class LLMBackend(Protocol):
    name: str
    description: str

    def generate(self, request: DraftRequest) -> str: ...
    def stream(self, request: DraftRequest) -> Iterator[str]: ...
    def generate_batch(self, requests: list[DraftRequest]) -> list[str]: ...


LLM_BACKENDS: Registry[LLMBackend] = Registry("生成")
log = logging.getLogger(__name__)


# --- transformers ---------------------------------------------------------------------------


def resolve_model_source(model: str, gguf_file: str | None) -> tuple[str, str | None]:
    """(directory or hub id, gguf file name): a path to a .gguf file is split in two."""
    path = Path(model).expanduser()
    if model.endswith(".gguf"):
        if not path.is_file():
            raise BackendUnavailableError(f"找不到模型文件 {path}；请检查 COMPLAINT_DESK_LLM__MODEL")
        return str(path.parent), path.name
    return (str(path) if path.exists() else model), gguf_file


def hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP probe of the model hub, so an offline start fails in seconds, not minutes."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def cached_or_reachable(source: str, gguf: str | None) -> bool:
    """True when the model can load now: a local folder, a cached hub copy, or a reachable hub."""
    if Path(source).exists():
        return True
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(source, gguf or "config.json")
    return isinstance(cached, str) or hub_reachable()


def _pick_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


_LOADED: dict[tuple, tuple] = {}
_LOAD_LOCK = threading.Lock()


def load_causal_lm(settings: LLMSettings) -> tuple:
    """Load (tokenizer, model, device) once per configuration and reuse it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, gguf = resolve_model_source(settings.model, settings.gguf_file)
    device = _pick_device(settings.device)
    key = (source, gguf, device, settings.dtype)
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}.get(settings.dtype, "auto")
        extra = {"gguf_file": gguf} if gguf else {}
        if not cached_or_reachable(source, gguf):
            raise BackendUnavailableError(
                f"本机没有模型 {settings.model} 的缓存，也连不上模型仓库；请把 COMPLAINT_DESK_LLM__MODEL "
                "指向本地模型目录或 .gguf 文件，或改用 openai 后端连接模型服务"
            )
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **extra)
            model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra).to(device).eval()
        except (OSError, ValueError, ImportError) as error:
            raise BackendUnavailableError(
                f"无法加载模型 {settings.model}：{str(error).splitlines()[0][:200]}。"
                "离线时请把 COMPLAINT_DESK_LLM__MODEL 指向本地模型目录或 .gguf 文件"
            ) from error
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        _LOADED[key] = (tokenizer, model, device)
        return _LOADED[key]


def retry_temperature(settings: LLMSettings, attempt: int) -> float:
    """Each retry samples hotter (up to 1.0), so it cannot land on the draft that just failed."""
    return min(1.0, settings.temperature + settings.retry_temperature_step * attempt)


class TransformersBackend:
    """A local causal LM through transformers: hub id, local folder, or .gguf file."""

    name = "transformers"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.tokenizer, self.model, self.device = load_causal_lm(settings)
        self.description = f"本地模型 {Path(settings.model).name}（{self.device}）"

    def _chat_prompt(self, request: DraftRequest) -> str:
        return self.tokenizer.apply_chat_template(chat_messages(request), tokenize=False, add_generation_prompt=True)

    def _inputs(self, requests: list[DraftRequest]):
        prompts = [self._chat_prompt(r) for r in requests]
        return self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.device)

    def _generation_kwargs(self, attempt: int = 0) -> dict:
        temperature = retry_temperature(self.settings, attempt)
        kwargs = {"max_new_tokens": self.settings.max_new_tokens, "do_sample": temperature > 0,
                  "pad_token_id": self.tokenizer.pad_token_id, "repetition_penalty": self.settings.repeat_penalty}
        if temperature > 0:
            kwargs["temperature"] = temperature
        return kwargs

    def generate_batch(self, requests: list[DraftRequest]) -> list[str]:
        import torch

        if any(r.prompt == "sections" for r in requests):  # each section waits for the one before
            return [self.generate(r) for r in requests]
        inputs = self._inputs(requests)
        attempt = max(r.attempt for r in requests)
        torch.manual_seed(self.settings.seed + attempt)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **self._generation_kwargs(attempt))
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        return [text.strip() for text in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]

    def generate(self, request: DraftRequest) -> str:
        if request.prompt == "sections":
            return "".join(self.stream(request)).strip()
        return self.generate_batch([request])[0]

    def _streamed(self, prompt: str, attempt: int, **options: object) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        inputs = self.tokenizer([prompt], return_tensors="pt").to(self.device)
        worker = threading.Thread(target=self.model.generate,
                                  kwargs={**inputs, **self._generation_kwargs(attempt), **options, "streamer": streamer},
                                  daemon=True)
        worker.start()
        yield from streamer
        worker.join()

    def stream(self, request: DraftRequest) -> Iterator[str]:
        prompt = self._chat_prompt(request)
        if request.prompt != "sections":
            yield from self._streamed(prompt, request.attempt)
            return
        options = {"max_new_tokens": self.settings.section_max_tokens, "stop_strings": [MARKER_OPEN],
                   "tokenizer": self.tokenizer}
        yield from sections.write(request, lambda turn: self._streamed(prompt + turn, request.attempt, **options),
                                  request.max_draft_chars)


# --- llama.cpp in-process ----------------------------------------------------------------------------


class LlamaCppBackend:
    """A .gguf file run in this process by llama.cpp (the llama-cpp-python package): on a
    2-core CPU several times faster than transformers on the same file, with no server to
    manage. One generation at a time (the model is not re-entrant)."""

    name = "llamacpp"

    def __init__(self, settings: LLMSettings) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise BackendUnavailableError(
                "llamacpp 后端需要 llama-cpp-python：pip install 'complaint-desk[llamacpp]'（会在本机编译 llama.cpp，需几分钟）"
            ) from error
        directory, name = resolve_model_source(settings.model, settings.gguf_file)
        path = Path(directory) / name if name else Path(settings.model)
        if path.suffix != ".gguf" or not path.is_file():
            raise BackendUnavailableError(
                f"llamacpp 后端需要一个 .gguf 文件，{path} 不是；请把 COMPLAINT_DESK_LLM__MODEL 设为 .gguf 文件路径")
        self.settings = settings
        self.llm = Llama(model_path=str(path), n_ctx=settings.context_tokens, n_threads=settings.threads,
                         seed=settings.seed, verbose=False)
        self.lock = threading.Lock()
        self.description = f"本地模型 {path.name}（llama.cpp，CPU）"
        self._template = None

    def _chat_prompt(self, request: DraftRequest) -> str:
        """The chat as the model's own template writes it, up to the start of its turn, so a
        section can be continued inside that turn."""
        if self._template is None:
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            template = self.llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise BackendUnavailableError(
                    f"{self.settings.model} 没有对话模板，不能分段写作；请把 COMPLAINT_DESK_LLM__PROMPT 设为 plan")
            self._template = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(template)
        eos = self.llm.detokenize([self.llm.token_eos()], special=True).decode("utf-8", "ignore")
        return self._template.render(messages=chat_messages(request), add_generation_prompt=True, eos_token=eos,
                                     bos_token="")

    def _section(self, prompt: str, request: DraftRequest) -> Iterator[str]:
        for chunk in self.llm.create_completion(
                prompt, max_tokens=self.settings.section_max_tokens, stream=True,
                temperature=retry_temperature(self.settings, request.attempt), seed=self.settings.seed + request.attempt,
                repeat_penalty=self.settings.repeat_penalty, stop=[MARKER_OPEN, *self.settings.stop]):
            yield chunk["choices"][0]["text"]

    def _completion(self, request: DraftRequest, stream: bool):
        return self.llm.create_chat_completion(
            messages=chat_messages(request), max_tokens=self.settings.max_new_tokens, stream=stream,
            temperature=retry_temperature(self.settings, request.attempt), seed=self.settings.seed + request.attempt,
            repeat_penalty=self.settings.repeat_penalty, stop=self.settings.stop)

    def warm(self, system: str) -> None:
        """Evaluate the system prompt once at load: llama.cpp keeps the longest prefix a request
        shares with the last one, so even the first draft then reads only its own part."""
        with self.lock:
            self.llm.create_chat_completion(messages=[{"role": "system", "content": system},
                                                      {"role": "user", "content": "您好"}], max_tokens=1)

    def generate(self, request: DraftRequest) -> str:
        if request.prompt == "sections":
            return "".join(self.stream(request)).strip()
        with self.lock:
            return self._completion(request, False)["choices"][0]["message"]["content"].strip()

    def stream(self, request: DraftRequest) -> Iterator[str]:
        with self.lock:
            if request.prompt == "sections":
                prompt = self._chat_prompt(request)
                yield from sections.write(request, lambda turn: self._section(prompt + turn, request),
                                          request.max_draft_chars)
                return
            for chunk in self._completion(request, True):
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta

    def generate_batch(self, requests: list[DraftRequest]) -> list[str]:
        return [self.generate(r) for r in requests]


# --- OpenAI-compatible servers ------------------------------------------------------------------


class OpenAIBackend:
    """Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp, LMDeploy): the scale-out path."""

    name = "openai"

    def __init__(self, settings: LLMSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        if settings.prompt == "sections":
            raise BackendUnavailableError("分段写作（COMPLAINT_DESK_LLM__PROMPT=sections）要在模型自己的回合里续写，"
                                          "openai 后端做不到；请改用 llamacpp 或 transformers 后端，或把提示方式设为 plan")
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self.client = client or httpx.Client(timeout=settings.timeout_s)
        self.description = f"{settings.model} @ {settings.base_url}"

    def _payload(self, request: DraftRequest, stream: bool) -> dict:
        return {"model": self.settings.model, "messages": chat_messages(request), "stream": stream,
                "max_tokens": self.settings.max_new_tokens, "temperature": retry_temperature(self.settings, request.attempt),
                "seed": self.settings.seed + request.attempt, "stop": self.settings.stop}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.api_key}"}

    def _with_retries(self, attempt):
        last: Exception | None = None
        for tries in range(self.settings.retries + 1):
            try:
                return attempt()
            except (httpx.TransportError, httpx.TimeoutException) as error:
                last = error
            except httpx.HTTPStatusError as error:
                if error.response.status_code < 500 and error.response.status_code != 429:
                    raise BackendUnavailableError(f"模型服务拒绝了请求（HTTP {error.response.status_code}）") from error
                last = error
            time.sleep(min(2.0, 0.25 * 2**tries))
        raise BackendUnavailableError(
            f"无法连接模型服务 {self.settings.base_url}（重试 {self.settings.retries} 次后仍失败：{last}）"
        ) from last

    def generate(self, request: DraftRequest) -> str:
        def attempt() -> str:
            response = self.client.post(self.url, json=self._payload(request, False), headers=self._headers())
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"].strip()

        return self._with_retries(attempt)

    def stream(self, request: DraftRequest) -> Iterator[str]:
        def attempt() -> Iterator[str]:
            context = self.client.stream("POST", self.url, json=self._payload(request, True), headers=self._headers())
            response = context.__enter__()
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError:
                response.read()
                context.__exit__(None, None, None)
                raise
            return _sse_chunks(response, context)

        yield from self._with_retries(attempt)

    def generate_batch(self, requests: list[DraftRequest]) -> list[str]:
        return [self.generate(r) for r in requests]  # the server batches concurrent requests itself


def _sse_chunks(response: httpx.Response, context) -> Iterator[str]:
    """Text deltas of a server-sent-events chat stream."""
    try:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
            if delta:
                yield delta
    finally:
        context.__exit__(None, None, None)


LLM_BACKENDS.register("transformers")(lambda settings: TransformersBackend(settings.llm))
LLM_BACKENDS.register("openai")(lambda settings: OpenAIBackend(settings.llm))
LLM_BACKENDS.register("llamacpp")(lambda settings: LlamaCppBackend(settings.llm))
LLM_BACKENDS.register("composer")(lambda settings: ComposerBackend())


@dataclass(frozen=True)
class LoadedBackend:
    backend: LLMBackend
    notice: str | None  # shown in the UI when the configured model could not be used


def warmed(backend: LLMBackend, settings: Settings) -> LLMBackend:
    """A backend that keeps a prompt cache (llamacpp) evaluates the system prompt now, so the
    first draft does not pay for it; a failed warm-up only costs that first draft its speed."""
    warm = getattr(backend, "warm", None)
    if callable(warm):
        try:
            warm(system_prompt(settings.policy.company_name, settings.policy.max_compensation_without_approval,
                               settings.llm.prompt_style))
        except Exception:
            log.warning("预热系统提示词失败，第一份草稿会慢一些", exc_info=True)
    return backend


def load_backend(settings: Settings, name: str | None = None) -> LoadedBackend:
    """The configured backend, warmed; the composer (with a notice) if it cannot be loaded."""
    name = name or settings.llm.backend
    try:
        return LoadedBackend(warmed(LLM_BACKENDS.create(name, settings), settings), None)
    except BackendUnavailableError as error:
        if not settings.llm.fallback_to_composer:
            raise
        return LoadedBackend(ComposerBackend(), f"{error} 现在使用脚本组稿（不使用大模型），草稿仍会通过全部检查。")
