// oidc-provider 8 ships no types (and @types/oidc-provider is a dependency we do not add): the little the OIDC test uses.
declare module "oidc-provider" {
  import type { Server } from "node:http";
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number): Server;
  }
}
