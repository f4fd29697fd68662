// The interactive API docs (templates/api/docs.html): Swagger UI, configured from
// data- attributes because the CSP allows no inline script.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    var csrfToken = root.dataset.csrfToken;
    window.SwaggerUIBundle({
      url: root.dataset.openapiUrl,
      dom_id: "#swagger-ui",
      // No deep links: Swagger UI puts them inside the operation's button (nested interactive controls).
      deepLinking: false,
      layout: "BaseLayout",
      // No call to the public validator service: nothing leaves the site.
      validatorUrl: null,
      // "Try it out" from a signed-in browser uses the session, which needs CSRF.
      requestInterceptor: function (request) {
        if (csrfToken) {
          request.headers["X-CSRFToken"] = csrfToken;
        }
        return request;
      }
    });
  });
})();
