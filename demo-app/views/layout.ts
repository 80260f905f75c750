/** The page frame: header with the user and logout, content. */
import type { User } from '../db/database';
import { html, type Html } from './html';

export function layout(title: string, user: User | null, body: Html, extraHead: Html = html``): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · station-files demo</title>
<link rel="stylesheet" href="/static/panel.css">
${extraHead}
</head>
<body>
<header class="top">
  <a class="brand" href="/">📻 station-files demo</a>
  ${
    user
      ? html`<span class="who">${user.name} (${user.email})${user.global_admin ? ' · global admin' : ''}</span>
  <form method="post" action="/logout"><button class="link">Log out</button></form>`
      : html``
  }
</header>
<main>
${body}
</main>
</body>
</html>`.value;
}
