// docs.js - renders /openapi.json with Swagger UI (vendored by
// scripts/build-web).  "Try it out" sends real requests to this server;
// the key typed in the playground is filled in as the bearer key.
const ui = SwaggerUIBundle({
  url: "../openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  validatorUrl: null,
  onComplete() {
    const key = localStorage.getItem("pyexec.apiKey");
    if (key) ui.preauthorizeApiKey("bearerAuth", key);
  },
});
