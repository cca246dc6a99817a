"""What both faces (the JSON API and the pages) share at the HTTP level.

Middleware, one module each, outermost first as `app.main` installs them:
`request_id` (an id per request), `last_use` (writes tokens' and sessions' last use after the response),
`security_headers` (CSP and friends), `body_limit` (caps every body while it streams), `csrf` (session-bound
tokens and origin checks), `authenticate_first` (unsafe API requests are authenticated before their body is
parsed). Also `cookies` (names, flags and the `__Host-` prefix).
"""
