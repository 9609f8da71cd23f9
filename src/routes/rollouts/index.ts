// Rollouts (SPEC §7, §14): definitions in routes.ts, handlers in handlers.ts.
export { registerRolloutRoutes } from "./handlers.ts";
export * from "./routes.ts";
