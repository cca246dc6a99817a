"""Login and logout pages."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.domain import auth
from app.domain.actor import ANONYMOUS
from app.domain.errors import Throttled
from app.http import cookies
from app.http.deps import PageActor, SessionDep
from app.settings import get_settings
from app.web.render import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect a fresh login to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, actor: PageActor, next: str | None = None, logged_out: bool = False
) -> HTMLResponse:
    context = {"actor": actor, "next": _safe_next(next), "email": "", "error": None, "logged_out": logged_out}
    return render(request, "auth/login.html", context)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    context = {"actor": ANONYMOUS, "next": _safe_next(next), "email": email}
    try:
        user = auth.authenticate(session, email, password, client)
    except auth.LoginFailed:
        # Handled, not raised: the request's transaction commits the failure, which counts for throttling.
        return render(request, "auth/login.html", {**context, "error": "Feil e-post eller passord."}, 422)
    except Throttled as exc:
        minutes = max(1, exc.retry_after_seconds // 60)
        message = f"For mange mislykkede forsøk. Vent {minutes} minutt(er) og prøv igjen."
        response = render(request, "auth/login.html", {**context, "error": message}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    old = cookies.read(request.scope, cookies.SESSION)
    if old:
        auth.end_session(session, old)
    secret = auth.start_session(session, user)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    max_age = get_settings().session_absolute_hours * 3600
    cookies.set_cookie(redirect, request.scope, cookies.SESSION, secret, max_age)
    if request.headers.get("HX-Request") == "true":
        redirect.headers["HX-Redirect"] = _safe_next(next)
    return redirect


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    secret = cookies.read(request.scope, cookies.SESSION)
    if secret:
        auth.end_session(session, secret)
    response = RedirectResponse("/login?logged_out=true", status_code=303)
    cookies.delete_cookie(response, request.scope, cookies.SESSION)
    return response
