import type { IssuedCredentials, SimWorld } from '../world.js';

/** What a service handler knows of one call: who signed it, in which region, with which parameters. */
export interface CallContext {
  world: SimWorld;
  caller: IssuedCredentials;
  region: string;
  /** JSON body (Organizations, Security Hub) or form fields (STS, IAM). */
  params: Record<string, unknown>;
  /** Security Hub's REST query string. */
  query: URLSearchParams;
  /** The request's path (Security Hub's REST operations carry an ARN in it). */
  path: string;
}

/** A service operation: its result, now or once it is ready (a long poll). */
export type Handler = (ctx: CallContext) => unknown;
