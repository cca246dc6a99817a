"""What both faces (the JSON API and the pages) share at the HTTP level: cookies, CSRF, body limits."""
