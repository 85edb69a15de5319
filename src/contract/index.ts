export * from "./errors.js";
export * from "./schemas.js";
export { compareVersions } from "./text.js";
export * from "./token.js";
