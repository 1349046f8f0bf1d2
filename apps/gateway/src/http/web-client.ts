// The built front ends on the gateway's own origin, beside /api and /ws: the web client (apps/web → dist/apps/web) at
// `/`, and the embeddable avatar page (apps/avatar → dist/apps/avatar) at `/embed/avatar/`. Their hashed files under
// assets/ are cached for good and index.html is revalidated every time; any other page a person opens or reloads
// (/status, /privacy) gets the site's index.html, whose router draws it. A gateway without a built site still serves
// the API, and says how to build the site where the page would be. Only the avatar page may be framed, and only by
// this origin (the web client embeds it). Source maps are never served, even if a build left some behind: they
// hand out the original sources.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@aico/logging';
import { ApiError } from './api-error';
import { sendApiError } from './api-exception.filter';

const ASSETS = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
export const AVATAR_PATH = '/embed/avatar';

/** A source map, also when its name is percent-encoded (the static file server decodes it). */
const isSourceMap = (path: string) => {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // malformed escapes: the static file server refuses these itself
  }
  return /\.map$/i.test(decoded) || /\.map$/i.test(path);
};

/** Requests the sites never answer: the API (every version) and the WebSocket path. */
const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/') || path === '/ws';

interface Site {
  readonly name: string;
  readonly root: string;
  readonly project: string;
  readonly code: string;
  /** Whether pages of this origin may frame it (the avatar page) or nobody may (the web client). */
  readonly frameableBySelf: boolean;
}

export function serveWebClient(app: INestApplication, options: { readonly webRoot: string; readonly avatarRoot: string; readonly logger: Logger }): void {
  const avatar = siteHandler(
    { name: 'avatar page', root: options.avatarRoot, project: 'avatar', code: 'AVATAR_NOT_BUILT', frameableBySelf: true },
    options.logger,
  );
  const web = siteHandler({ name: 'web client', root: options.webRoot, project: 'web', code: 'WEB_CLIENT_NOT_BUILT', frameableBySelf: false }, options.logger);
  app.use((request: Request & { id?: string }, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path)) return next();
    if (isSourceMap(request.path)) return sendApiError(response, new ApiError(404, 'NOT_FOUND', 'No such file.'), request.id);
    if (request.path === AVATAR_PATH) return response.redirect(308, `${AVATAR_PATH}/`);
    if (!request.path.startsWith(`${AVATAR_PATH}/`)) return web(request, response, next);
    // Serve the avatar site with paths relative to its mount; restore the URL for whatever handles it next.
    const original = request.url;
    request.url = request.url.slice(AVATAR_PATH.length);
    avatar(request, response, () => {
      request.url = original;
      next();
    });
  });
}

function siteHandler(site: Site, logger: Logger) {
  const root = resolve(site.root);
  const index = join(root, 'index.html');
  if (!existsSync(index))
    logger.warn(
      { root },
      `The ${site.name} is not built (no index.html in its root): the API works, its page answers 404 until "npx nx build ${site.project}"`,
    );
  const files = express.static(root, {
    index: false,
    redirect: false,
    cacheControl: false,
    fallthrough: true,
    setHeaders: (response, path) => {
      if (path.startsWith(join(root, 'assets') + '/')) response.setHeader('Cache-Control', IMMUTABLE);
      else if (path === index) response.setHeader('Cache-Control', NO_CACHE);
    },
  });
  return (request: Request & { id?: string }, response: Response, next: NextFunction) => {
    if (site.frameableBySelf) allowFramingBySelf(response);
    files(request, response, () => {
      // Not a file. A page (the site's root, or a path the browser asks HTML for) gets index.html; a missing asset is a 404.
      const page = request.path === '/' || (!request.path.startsWith(ASSETS) && (request.headers.accept ?? '').includes('text/html'));
      if (!page) return next();
      response.sendFile(index, { headers: { 'Cache-Control': NO_CACHE } }, (error?: NodeJS.ErrnoException) => {
        if (!error) return;
        if (error.code === 'ENOENT') {
          sendApiError(response, new ApiError(404, site.code, `The ${site.name} is not built: run "npx nx build ${site.project}", then reload.`), request.id);
        } else {
          next(error);
        }
      });
    });
  };
}

/**
 * helmet forbids framing everywhere; the avatar page relaxes that to this origin only, and may fetch a model its host
 * hands it as a blob: or data: URL (a user's own GLB, never a remote one).
 */
function allowFramingBySelf(response: Response): void {
  const policy = response.getHeader('Content-Security-Policy');
  if (typeof policy === 'string') {
    response.setHeader(
      'Content-Security-Policy',
      policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'").replace("connect-src 'self'", "connect-src 'self' blob: data:"),
    );
  }
  response.setHeader('X-Frame-Options', 'SAMEORIGIN');
}
