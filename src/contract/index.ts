export * from "./errors.js";
export * from "./schemas.js";
export { compareVersions } from "./text.js";
