/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import { when } from "../domain/format.ts";
import { assets } from "./assets.ts";
import type { Section, View } from "./view.ts";

const NAV: { section: Section; href: string; label: string }[] = [
  { section: "overview", href: "/ui", label: "Overview" },
  { section: "machines", href: "/ui/machines", label: "Machines" },
  { section: "releases", href: "/ui/releases", label: "Releases" },
  { section: "rollouts", href: "/ui/rollouts", label: "Rollouts" },
  { section: "gates", href: "/ui/gates", label: "Gates" },
];

function Document({ title, children }: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · nixfleet`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={assets.styles.path} />
        <script src={assets.script.path} defer />
      </head>
      <body>{children}</body>
    </html>
  );
}

/** A signed-in page: the top bar (sections, who is signed in, log out), then the page. */
export function Layout(props: { view: View; section: Section; title: string; children: Child }) {
  return (
    <Document title={props.title}>
      <header class="topbar">
        <a class="brand" href="/ui">
          <span class="brand-mark" />
          nixfleet
        </a>
        <nav class="nav">
          {NAV.map((item) => (
            <a href={item.href} aria-current={item.section === props.section ? "page" : undefined}>
              {item.label}
            </a>
          ))}
          <a href="/docs">API</a>
        </nav>
        <div class="who">
          <span>
            {props.view.keyName} · {props.view.role}
          </span>
          <form method="post" action="/ui/logout">
            <input type="hidden" name="_csrf" value={props.view.csrf} />
            <button type="submit">Log out</button>
          </form>
        </div>
      </header>
      <main>
        {props.view.freeze?.frozen ? (
          <a class="banner frozen" href="/ui/gates">
            <strong>Fleet frozen</strong> since {when(props.view.freeze.set_at)} UTC by {props.view.freeze.set_by}:{" "}
            {props.view.freeze.reason} — no machine starts deploying.
          </a>
        ) : null}
        {props.children}
      </main>
    </Document>
  );
}

/** The login page: an API key in a password field, posted (never in a URL). */
export function LoginPage({ error, notice }: { error?: string; notice?: string }) {
  return (
    <Document title="Log in">
      <div class="panel login">
        <h1>
          <span class="brand-mark" /> nixfleet
        </h1>
        <p class="muted">
          Log in with an API key (any role). The key stays on the server; your browser keeps a session cookie.
        </p>
        {notice ? <p class="note">{notice}</p> : null}
        {error ? <p class="alert">{error}</p> : null}
        <form method="post" action="/ui/login">
          <input
            type="password"
            name="key"
            placeholder="nfk-…"
            autocomplete="off"
            autofocus
            required
            aria-label="API key"
          />
          <button class="button" type="submit">
            Log in
          </button>
        </form>
      </div>
    </Document>
  );
}

/** A page the API refused to fill: 404 for an unknown id, else its 4xx (an id it cannot take, a role too low). */
export function NotFound({
  view,
  section,
  message,
  status,
}: {
  view: View;
  section: Section;
  message: string;
  status: number;
}) {
  const title = status === 404 ? "Not found" : "Cannot show this page";
  const back = NAV.find((item) => item.section === section)!;
  return (
    <Layout view={view} section={section} title={title}>
      <h1>{title}</h1>
      <p class="muted">{message}</p>
      <p>
        <a href={back.href}>« {back.label}</a>
      </p>
    </Layout>
  );
}
