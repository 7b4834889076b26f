// Starts Swagger UI on the proxy's own API description (docs/api.md, API description). The document's URL is relative
// to this page, so the docs also work behind a reverse proxy that adds a path prefix. No validator badge: it would
// send the document to validator.swagger.io, and the docs must work offline.
window.onload = function () {
    window.ui = SwaggerUIBundle({
        url: new URL("../openapi.json", window.location.href).href,
        dom_id: "#swagger-ui",
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        layout: "StandaloneLayout",
        validatorUrl: null,
    });
};
