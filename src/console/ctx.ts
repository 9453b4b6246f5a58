import type { CurrentApp, Login } from './api.ts';

/** What every page gets: who is logged in, the app it works on, API helpers and navigation. */
export interface Ctx {
  login: Login;
  app: CurrentApp | undefined;
  /** Switches the app the per-app pages work on (admin login only). */
  setApp(app: CurrentApp | undefined): void;
  /** Admin endpoints; rejects when logged in with an app secret. */
  admin(method: string, path: string, body?: unknown): Promise<any>;
  /** The current app's server API, path relative to /v1/apps/:app; rejects when no app is chosen. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** Query parameters of the current route (`#/inspector?channel=room`). */
  params: URLSearchParams;
  go(route: string, params?: Record<string, string>): void;
  /** Runs when the operator leaves the page: stop timers and streams here. */
  onLeave(fn: () => void): void;
}

export type Page = (root: HTMLElement, ctx: Ctx) => void | Promise<void>;
