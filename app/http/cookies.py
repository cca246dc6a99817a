"""Cookie names and flags. Over https the `__Host-` prefix is used: a browser accepts such a cookie only
with Secure, Path=/ and no Domain, so a sibling subdomain or a plain-http page cannot plant one."""

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import Scope

from app.settings import get_settings

SESSION = "rehabkart_session"
CSRF = "rehabkart_csrf"  # a random value that CSRF tokens are bound to before login


def is_secure(scope: Scope) -> bool:
    """Whether cookies get the Secure flag (and the __Host- prefix): set explicitly, or https."""
    forced = get_settings().cookie_secure
    return forced if forced is not None else scope.get("scheme") == "https"


def name(base: str, scope: Scope) -> str:
    return f"__Host-{base}" if is_secure(scope) else base


def jar(scope: Scope) -> dict[str, str]:
    """Every cookie the request carries, parsed once."""
    header = next((v for k, v in scope.get("headers", ()) if k == b"cookie"), None)
    return cookie_parser(header.decode("latin-1")) if header is not None else {}


def read(scope: Scope, base: str, cookies: dict[str, str] | None = None) -> str | None:
    """The cookie's value under the name this request's scheme uses (a plain name is ignored over https)."""
    return (jar(scope) if cookies is None else cookies).get(name(base, scope)) or None


def set_cookie(response: Response, scope: Scope, base: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name(base, scope), value, max_age=max_age, httponly=True, samesite="lax", secure=is_secure(scope), path="/"
    )


def delete_cookie(response: Response, scope: Scope, base: str) -> None:
    response.delete_cookie(name(base, scope), path="/", secure=is_secure(scope), httponly=True, samesite="lax")


def set_cookie_header(scope: Scope, base: str, value: str) -> tuple[bytes, bytes]:
    """A raw Set-Cookie header for middleware that has no Response object."""
    response = Response()
    set_cookie(response, scope, base, value, None)
    return next((k, v) for k, v in response.raw_headers if k == b"set-cookie")
