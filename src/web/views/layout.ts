import { escapeHtml as h } from '../../scan/report/escape.js';

export { h };

export interface PageChrome {
  title: string;
  principal?: string;
  csrfToken?: string;
}

/** Every page: one stylesheet, one deferred script, no inline code, usable on a phone. */
export function layout(chrome: PageChrome, body: string): string {
  const signedIn = chrome.principal !== undefined && chrome.csrfToken !== undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${signedIn ? `<meta name="csrf-token" content="${h(chrome.csrfToken)}">` : ''}
<title>${h(chrome.title)} · nhi</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head><body>
<header class="top"><span class="brand">nhi approvals</span>${
    signedIn
      ? `<nav><a href="/inbox">Inbox</a><a href="/passkeys">Passkeys</a></nav>
<span>Signed in as <strong id="principal">${h(chrome.principal)}</strong>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="${h(chrome.csrfToken)}"><button type="submit" id="logout">Sign out</button></form></span>`
      : ''
  }</header>
<main>
${body}
</main></body></html>`;
}

export function messagePage(
  title: string,
  message: string,
  opts: { signIn?: boolean; cls?: string } = {},
): string {
  return layout(
    { title },
    `<h1>${h(title)}</h1><p class="${opts.cls ?? 'refusal'}" id="message">${h(message)}</p>${
      opts.signIn ? '<p><a class="button" id="sign-in" href="/login">Sign in</a></p>' : ''
    }`,
  );
}

/** "3 h 5 min ago" style durations for the inbox. */
export function duration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  return hrs < 48 ? `${hrs} h ${m % 60} min` : `${Math.floor(hrs / 24)} d`;
}
