/** The Worker's entry point: the Hono app, and the Durable Object classes it binds. */
import { createApp } from "./app.js";

export { LicencePool } from "../../durable-objects/licence-pool.js";
export { PoolDirectory } from "../../durable-objects/pool-directory.js";

const app = createApp();
export default app;
