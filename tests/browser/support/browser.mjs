// Headless Chromium for the tests: the system's browser (Debian's `chromium`), driven by puppeteer-core, with a
// fresh profile each time and every background service that would reach the network switched off.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 900, deviceScaleFactor: 1 };
export const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'llm-proxy-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  const close = async () => {
    await browser.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

/** A page at the given viewport and colour scheme that records every request it makes and every script error. */
export async function openPage(browser, { viewport = DESKTOP, scheme = 'light' } = {}) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return { page, requests, errors };
}

/** Waits until the page has applied `count` more answers of stats.json than it had when called. */
export async function waitForRefreshes(page, count = 1, timeout = 10000) {
  const start = Number(await page.evaluate(() => document.body.dataset.refreshes ?? 0));
  await page.waitForFunction((n) => Number(document.body.dataset.refreshes ?? 0) >= n, { timeout, polling: 50 }, start + count);
}

/** What a test reads off the page: values and states by their stable ids and data attributes, never by pixels. */
export function readDashboard(page) {
  return page.evaluate(() => {
    const text = (e) => e?.textContent.trim() ?? null;
    const tiles = {};
    for (const t of document.querySelectorAll('[data-stat]')) {
      tiles[t.dataset.stat] = { text: text(t.querySelector('.value')), value: t.dataset.value, level: t.dataset.level ?? '' };
    }
    const rows = (id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => {
      const cells = {};
      for (const td of tr.querySelectorAll('td[data-field]')) cells[td.dataset.field] = { text: text(td), value: td.dataset.value };
      return { data: { ...tr.dataset }, cells };
    });
    return {
      state: document.body.dataset.state,
      conn: text(document.getElementById('conn')),
      offlineShown: !document.getElementById('offline').hidden,
      offlineText: text(document.getElementById('offline')),
      stale: document.getElementById('main').classList.contains('stale'),
      version: text(document.getElementById('version')),
      tiles,
      upstreams: rows('upstreams'),
      models: rows('models'),
      recent: rows('recent'),
      charts: [...document.querySelectorAll('svg.chart')].map((svg) => ({
        id: svg.id,
        max: svg.dataset.max,
        series: [...svg.querySelectorAll('polyline')].map((p) => ({ name: p.dataset.series, points: Number(p.dataset.points) })),
      })),
    };
  });
}
