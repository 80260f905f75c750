/** The panel's pages: login, stations, one station (recordings, media, podcasts), download history. */
import { fileUrl, publicEpisodeUrl } from '../catalog';
import type { FileRow, Podcast, Station, User } from '../db/database';
import type { DailyFigure, EpisodeFigure } from '../reports';
import type { DownloadRow } from '../db/database';
import type { DemoLogin } from '../seed';
import { formatBytes, formatDate, formatDuration, html, Html } from './html';
import { layout } from './layout';

/** The login form; `logins` (the seeded demo credentials) only for the default demo data folder. */
export function loginPage(error: string | null, logins: DemoLogin[] | null, next = '/'): string {
  return layout(
    'Log in',
    null,
    html`
<section class="card narrow">
  <h1>Log in</h1>
  ${error ? html`<p class="error" role="alert">${error}</p>` : html``}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="next" value="${next}">
    <label>Email <input name="email" type="email" autocomplete="username" required></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
  </form>
  ${
    logins
      ? html`<details class="hint"><summary>Demo credentials (seeded demo data only)</summary>
    <p class="note">These logins were seeded into the default demo data folder (<code>demo-app/data</code>) for trying the panel.
    They are public: never use this data folder for real stations.</p>
    <table>${logins.map((l) => html`<tr><td><code>${l.email}</code></td><td><code>${l.password}</code></td><td>${l.role}</td></tr>`)}</table>
  </details>`
      : html``
  }
</section>`,
  );
}

export function stationsPage(user: User, stations: Station[]): string {
  return layout(
    'Stations',
    user,
    html`
<h1>Stations</h1>
${
  stations.length === 0
    ? html`<p>You have no permissions on any station yet.</p>`
    : html`
<ul class="tiles">${stations.map((s) => html`<li><a href="/station/${s.shortcode}"><strong>${s.name}</strong><span>${s.shortcode}</span></a></li>`)}</ul>`
}`,
  );
}

export interface StationView {
  station: Station;
  can: { streamers: boolean; media: boolean; podcasts: boolean; reports: boolean };
  recordings: (FileRow & { streamer: string })[];
  media: FileRow[];
  podcasts: { podcast: Podcast; episodes: FileRow[] }[];
}

function player(src: string, label: string): Html {
  return html`<audio controls preload="none" src="${src}" aria-label="${label}"></audio>`;
}

export function stationPage(user: User, v: StationView): string {
  const code = v.station.shortcode;
  const sections: Html[] = [];
  if (v.can.streamers) {
    sections.push(html`
<section class="card" id="recordings"><h2>Recordings</h2>
${
  v.recordings.length === 0
    ? html`<p>No recordings yet.</p>`
    : html`<table class="files">
<thead><tr><th>Title</th><th>Streamer</th><th>Date</th><th>Duration</th><th>Size</th><th>Listen</th><th></th></tr></thead>
<tbody>${v.recordings.map(
        (r) => html`<tr data-file-id="${r.id}">
  <td>${r.title}</td><td>${r.streamer}</td><td>${formatDate(r.created_at)}</td><td>${formatDuration(r.duration_s)}</td><td>${formatBytes(r.size)}</td>
  <td>${player(fileUrl(code, r), r.title)}</td>
  <td><a class="button" href="${fileUrl(code, r)}" download>Download</a></td></tr>`,
      )}</tbody></table>`
}
</section>`);
  }
  if (v.can.media) {
    sections.push(html`
<section class="card" id="media"><h2>Media</h2>
<table class="files"><thead><tr><th>Title</th><th>Artist</th><th>Duration</th><th>Size</th><th>Play</th></tr></thead>
<tbody>${v.media.map((m) => html`<tr data-file-id="${m.id}"><td>${m.title}</td><td>${m.artist ?? ''}</td><td>${formatDuration(m.duration_s)}</td><td>${formatBytes(m.size)}</td><td>${player(fileUrl(code, m), m.title)}</td></tr>`)}</tbody></table>
</section>`);
  }
  if (v.can.podcasts) {
    sections.push(html`
<section class="card" id="podcasts"><h2>Podcasts</h2>
${v.podcasts.map(
  ({ podcast, episodes }) => html`
<h3>${podcast.title} <a class="feed" href="/feeds/${code}/${podcast.id}.xml">RSS feed</a></h3>
<table class="files"><thead><tr><th>Episode</th><th>State</th><th>Duration</th><th>Size</th><th>Listen</th><th>Public link</th></tr></thead>
<tbody>${episodes.map(
    (e) => html`<tr data-file-id="${e.id}"><td>${e.title}</td>
  <td>${e.published_at ? html`<span class="badge ok">published ${formatDate(e.published_at)}</span>` : html`<span class="badge">draft</span>`}</td>
  <td>${formatDuration(e.duration_s)}</td><td>${formatBytes(e.size)}</td><td>${player(fileUrl(code, e), e.title)}</td>
  <td>${e.published_at ? html`<a href="${publicEpisodeUrl(code, e)}">enclosure</a>` : html`–`}</td></tr>`,
  )}</tbody></table>`,
)}
</section>`);
  }
  if (v.can.reports) {
    sections.push(html`<section class="card"><h2>Reports</h2><p><a class="button" href="/station/${code}/history">Download history</a></p></section>`);
  }
  return layout(
    v.station.name,
    user,
    html`
<nav class="crumbs"><a href="/">Stations</a> › ${v.station.name}</nav>
<h1>${v.station.name}</h1>
${sections.length ? sections : html`<p>You have no permissions on this station.</p>`}`,
  );
}

/** What the podcast count left out, by reason, as the library reports it. */
export interface ExcludedFigures {
  requests: Record<string, number>;
  underMinimum: number;
  tooManyPerIp: { downloads: number; ips: number };
}

const EXCLUSION_LABELS: Record<string, string> = {
  bot: 'bots and crawlers',
  preloader: 'pre-loads (Apple Watch sync)',
  probe: 'probes (bytes=0-1)',
  'no-body': 'HEAD, 304 and refusals',
  'data-centre': 'data-centre addresses',
  'unknown-delivery': 'bytes unknown (hand-off not reported, redirect)',
  late: 'out of time order',
  'bad-event': 'malformed events',
};

function exclusionRows(excluded: ExcludedFigures | undefined): [string, number][] {
  if (!excluded) return [];
  return [
    ...Object.entries(excluded.requests).map(([reason, n]): [string, number] => [EXCLUSION_LABELS[reason] ?? reason, n]),
    ['under one minute of audio', excluded.underMinimum],
    [`too many per IP (${excluded.tooManyPerIp.ips} IP windows)`, excluded.tooManyPerIp.downloads],
  ];
}

export function historyPage(
  user: User,
  station: Station,
  daily: DailyFigure[],
  episodes: EpisodeFigure[],
  rows: DownloadRow[],
  refused = 0,
  excluded?: ExcludedFigures,
): string {
  const data = JSON.stringify({ daily, episodes }).replace(/</g, '\\u003c');
  return layout(
    `${station.name} history`,
    user,
    html`
<nav class="crumbs"><a href="/">Stations</a> › <a href="/station/${station.shortcode}">${station.name}</a> › History</nav>
<h1>Download history</h1>
<div class="charts">
  <section class="card"><h2>Downloads and bytes per day</h2><canvas id="daily" height="220"></canvas></section>
  <section class="card"><h2>Unique podcast downloads per episode</h2><canvas id="episodes" height="220"></canvas>
  <p class="note">Counted as the IAB Podcast Measurement guidelines v2.3 describe: IP + user agent per episode per UTC day, at least one minute of the episode's audio (the whole file when its duration is unknown); bots, Apple Watch pre-loads and probes excluded.</p>
  <table class="excluded"><caption>Not counted, by reason (last 30 days)</caption>
  <tbody>${exclusionRows(excluded).map(([what, n]) => html`<tr><td>${what}</td><td>${String(n)}</td></tr>`)}</tbody></table></section>
</div>
<section class="card"><h2>Latest requests</h2>
<table class="files"><thead><tr><th>Time</th><th>User</th><th>Kind</th><th>File</th><th>Outcome</th><th>Status</th><th>Range</th><th>Bytes</th><th>Client</th></tr></thead>
<tbody>${rows.slice(0, 200).map(
      (r) => html`<tr><td>${formatDate(r.at)}</td><td>${r.user_name ?? '–'}</td><td>${r.kind}</td><td>${r.file_id ?? ''}</td>
<td><span class="badge ${r.outcome === 'completed' ? 'ok' : ''}">${r.outcome}</span></td><td>${r.status}</td><td>${r.range ?? ''}</td>
<td>${r.bytes_sent === null ? 'nginx' : formatBytes(r.bytes_sent)}</td><td class="ua">${r.user_agent ?? ''}</td></tr>`,
    )}</tbody></table>
<p class="note">Not in this history: ${refused} request${refused === 1 ? '' : 's'} for this station refused before authentication in these 30 days (counted separately).</p>
</section>
<script type="application/json" id="history-data">${new Html(data)}</script>`,
    html`<script src="/static/chart.umd.js" defer></script><script src="/static/history.js" defer></script>`,
  );
}
