"""投诉工作台 web UI on the embedded default (SQLite in the data dir, shipped models).

Run `python app.py` (or `complaint-desk serve`); configuration comes from the one settings
object (env vars COMPLAINT_DESK_*, or config.toml in the data dir).
"""

from complaint_desk.config import get_settings
from complaint_desk.ui.server import serve

if __name__ == "__main__":
    settings = get_settings()
    serve(settings, settings.ui.host, settings.ui.port, demo=settings.ui.demo_on_empty)
