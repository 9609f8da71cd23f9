// `/docs`: the interactive API reference (Scalar) with its script served from the executable,
// pinned by package.json, and a policy that lets the page load nothing from anywhere else.
import { Scalar } from "@scalar/hono-api-reference";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { App } from "../app.ts";
import { assets } from "./assets.ts";

/** Registers `GET /docs`. */
export function registerDocs(app: App): void {
  app.use(
    "/docs",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // The page's one inline script (the reference's configuration) carries this nonce.
        scriptSrc: ["'self'", NONCE],
        // The reference injects its stylesheet at run time.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'", "data:"],
        // "Try it" sends requests to this control plane only.
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
      // HSTS is the TLS deployment's decision (it would also bind every subdomain), not this page's.
      strictTransportSecurity: false,
    }),
  );
  app.get(
    "/docs",
    Scalar((c) => ({
      url: "/openapi.json",
      pageTitle: "nixfleet control plane API",
      cdn: assets.apiReference.path,
      nonce: (c.var as { secureHeadersNonce?: string }).secureHeadersNonce,
      // Its fonts would come from Scalar's servers; the system's serve.
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: "never",
      agent: { disabled: true },
      mcp: { disabled: true },
    })),
  );
}
