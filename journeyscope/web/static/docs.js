/* Starts Swagger UI on /docs (a static file: the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: box.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
