// The `tclocal` package's API: start the server from code, with the same options as the command.
// For tests, `tclocal/testing` (startTclocal) is simpler: in memory, a free port, client configuration.
export { startServer, type RunningServer, type ServerOptions } from "./server.js";
export { loadConfig, type Config } from "./config.js";
export { callAdmin, signAdminRequest, type AdminCredentials, type AdminResponse } from "./admin-client.js";
export { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "./auth/keys.js";
export { VERSION } from "./version.js";
