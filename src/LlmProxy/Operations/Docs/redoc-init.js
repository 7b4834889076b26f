// Starts ReDoc on the proxy's own API description (docs/api.md, API description); the URL is relative to this page, so
// the docs also work behind a reverse proxy that adds a path prefix.
import { init } from './redoc.standalone.js';

init(new URL("../openapi.json", window.location.href).href, {}, document.getElementById("redoc-container"));
