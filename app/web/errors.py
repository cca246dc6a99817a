"""Errors on the pages: the same domain errors as the API, shown as a Norwegian HTML page."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.domain.actor import ANONYMOUS
from app.web.render import render

_TITLES = {
    400: "Ugyldig forespørsel",
    401: "Du må logge inn",
    403: "Du har ikke tilgang",
    404: "Fant ikke siden",
    409: "Konflikt",
    412: "Noen andre har endret dette",
    413: "For stor forespørsel",
    422: "Ugyldige verdier",
    428: "Mangler versjon",
    429: "For mange forsøk",
    500: "Noe gikk galt",
    503: "Prøv igjen om litt",
}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def html_error(request: Request, status: int, detail: str) -> HTMLResponse:
    title = _TITLES.get(status, "Feil")
    return render(request, "errors/error.html", {"actor": ANONYMOUS, "title": title, "detail": detail}, status)
