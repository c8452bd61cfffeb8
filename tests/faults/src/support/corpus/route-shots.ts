import { type Route, routeKey } from '../routes.js';
import type { Base } from './baseline.js';
import { fillPathRaw } from './paths.js';
import type { Scenario, Shot } from './shot.js';

/** What a shot changes of the valid request; `contentType` sets (or, undefined, drops) the header. */
export type Variation = Partial<Shot> & { contentType?: string };

/** The shots of one route: each the route's valid request with something changed. */
export class RouteShots {
  readonly key: string;

  constructor(
    readonly route: Route,
    readonly base: Base,
    private readonly add: (shot: Omit<Shot, 'id'>) => void,
  ) {
    this.key = routeKey(route);
  }

  /** The valid request's headers, Content-Type included when it has a body. */
  headers(): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {
      accept: 'application/json',
      ...(this.base.key ? { authorization: `Bearer ${this.base.key}` } : {}),
      ...this.base.headers,
    };
    const { contentType } = this.body();
    if (contentType !== undefined) headers['content-type'] = contentType;
    return headers;
  }

  /** The valid request's body (JSON, or the login form) and its content type. */
  body(): { body?: Buffer; contentType?: string } {
    const b = this.base;
    if (b.form !== undefined) {
      return { body: Buffer.from(b.form), contentType: 'application/x-www-form-urlencoded' };
    }
    if (b.body !== undefined)
      return { body: Buffer.from(JSON.stringify(b.body)), contentType: 'application/json' };
    return {};
  }

  /** The route's path with `params` (valid ones encoded, garbage as given) and `query`. */
  path(params: Record<string, string> = this.base.params, query = this.base.query): string {
    return fillPathRaw(this.route.path, params) + (query ? `?${query}` : '');
  }

  /** Adds the valid request with `over` changed. */
  request(scenario: Scenario, kind: string, over: Variation = {}): void {
    const { body } = this.body();
    const headers = this.headers();
    if ('contentType' in over) {
      if (over.contentType === undefined) delete headers['content-type'];
      else headers['content-type'] = over.contentType;
    }
    const { contentType: _ignored, ...rest } = over;
    this.add({
      scenario,
      kind,
      route: this.key,
      transport: 'http',
      method: this.route.method,
      path: this.path(),
      headers,
      ...(body !== undefined ? { body } : {}),
      ...rest,
    });
  }
}
