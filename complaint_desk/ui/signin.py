"""The sign-in pages in front of the Gradio app: /login and /logout.

Ours rather than Gradio's built-in form, because the server must be able to refuse a
locked-out account or address, and to end a session (logout, a new password). Browsers
get pages and redirects; API clients (gradio_client posts the same form) get JSON.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from complaint_desk.config import Settings
from complaint_desk.workflow.access import allowed
from complaint_desk.workflow.sessions import Sessions

SESSION_COOKIE = "complaint_desk_session"
LEAD_PATH = "/lead"  # the supervisor screen; the workbench is at /
LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 投诉工作台</title>
<style>
body {{font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; background: #f5f6f8; margin: 0}}
main {{max-width: 360px; margin: 12vh auto; background: #fff; padding: 32px; border-radius: 10px;
      box-shadow: 0 2px 12px rgba(0,0,0,.08)}}
h1 {{font-size: 22px; margin: 0 0 6px}} p.sub {{color: #666; margin: 0 0 20px}}
label {{display: block; margin: 14px 0 6px; color: #333}}
input {{width: 100%; box-sizing: border-box; padding: 10px; font-size: 15px; border: 1px solid #ccd; border-radius: 6px}}
button {{margin-top: 22px; width: 100%; padding: 11px; font-size: 16px; border: 0; border-radius: 6px;
        background: #f97316; color: #fff; cursor: pointer}}
.error {{color: #b91c1c; background: #fef2f2; padding: 10px; border-radius: 6px; margin-top: 16px}}
</style></head>
<body><main>
<h1>投诉工作台</h1><p class="sub">先处理心情，再处理事情。请用工作账号登录。</p>
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label for="username">账号</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>{error}
</main></body></html>"""


PAGES = ("/", LEAD_PATH + "/")  # where a sign-in may return to: never a URL a link supplies (no open redirect)


def landing(asked: object) -> str:
    """The page to return to after signing in: the one asked for if it is ours, else the workbench."""
    path = str(asked or "/")
    path = path if path.endswith("/") else path + "/"
    return path if path in PAGES else "/"


def login_page(message: str = "", status_code: int = 200, next_page: object = "/") -> HTMLResponse:
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return HTMLResponse(LOGIN_PAGE.format(error=error, next=escape(landing(next_page))), status_code=status_code)


def _to_login(path: str) -> RedirectResponse:
    page = landing(path)
    return RedirectResponse("/login" if page == "/" else f"/login?next={page}", status_code=303)


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def sign_in_app(sessions: Sessions, settings: Settings) -> FastAPI:
    """A FastAPI app with the sign-in routes; the Gradio app is mounted on it afterwards."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    max_age = settings.auth.session_hours * 3600

    @app.get("/login")
    def show_login(request: Request) -> HTMLResponse:
        return login_page(next_page=request.query_params.get("next"))

    @app.post("/login")
    async def log_in(request: Request) -> Response:
        form = await request.form()
        result = sessions.sign_in(str(form.get("username") or ""), str(form.get("password") or ""), _address(request))
        if result.token is None:
            if _wants_page(request):
                return login_page(result.message, status_code=401, next_page=form.get("next"))
            return JSONResponse({"success": False, "detail": result.message}, status_code=401)
        response: Response = RedirectResponse(landing(form.get("next")), status_code=303) if _wants_page(request) else JSONResponse(
            {"success": True})
        response.set_cookie(SESSION_COOKIE, result.token, max_age=max_age, httponly=True, samesite="lax",
                            secure=settings.auth.secure_cookie)
        return response

    @app.get("/logout")
    def log_out(request: Request) -> Response:
        sessions.sign_out(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.middleware("http")
    async def send_strangers_to_login(request: Request, call_next):  # noqa: ANN001,ANN202
        """Pages: strangers go to /login, and a non-lead asking for the supervisor screen goes
        back to the workbench (its API answers 401 either way)."""
        path = request.url.path
        if request.method == "GET" and path in ("/", "", LEAD_PATH, LEAD_PATH + "/"):
            user = sessions.user(request.cookies.get(SESSION_COOKIE))
            if user is None:
                return _to_login(path)
            if path.startswith(LEAD_PATH) and not allowed(user, "queue"):
                return RedirectResponse("/", status_code=303)
        return await call_next(request)

    return app
