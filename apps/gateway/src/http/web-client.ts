// The built web client (apps/web → dist/apps/web) on the gateway's own origin, beside /api and /ws: its files, with
// the hashed ones under /assets/ cached for good and index.html revalidated every time; any other page a person
// opens or reloads (/status, /privacy) gets index.html, whose router draws it. A gateway without a built client
// still serves the API, and says how to build the client where the page would be.
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
const WEB_CLIENT_NOT_BUILT_LOG = 'The web client is not built (no index.html in webRoot): the API works, the page answers 404 until "npx nx build web"';

/** Requests the web client never answers: the API (every version) and the WebSocket path. */
const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/') || path === '/ws';

export function serveWebClient(app: INestApplication, options: { readonly webRoot: string; readonly logger: Logger }): void {
  const root = resolve(options.webRoot);
  const index = join(root, 'index.html');
  if (!existsSync(index)) options.logger.warn({ webRoot: root }, WEB_CLIENT_NOT_BUILT_LOG);
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
  app.use((request: Request & { id?: string }, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isApiPath(request.path)) return next();
    files(request, response, () => {
      // Not a file. A page (/, or a path the browser asks HTML for) gets index.html; a missing asset is a 404.
      const page = request.path === '/' || (!request.path.startsWith(ASSETS) && (request.headers.accept ?? '').includes('text/html'));
      if (!page) return next();
      response.sendFile(index, { headers: { 'Cache-Control': NO_CACHE } }, (error?: NodeJS.ErrnoException) => {
        if (!error) return;
        if (error.code === 'ENOENT') {
          sendApiError(response, new ApiError(404, 'WEB_CLIENT_NOT_BUILT', 'The web client is not built: run "npx nx build web", then reload.'), request.id);
        } else {
          next(error);
        }
      });
    });
  });
}
