// postinstall: fails the install, plainly, when the SQLite driver tclocal needs on this Node cannot be loaded.
// better-sqlite3 is a native addon, and both of its versions are optional dependencies (each serves only some
// Node versions), so npm skips one whose build failed and says nothing; without this check the install
// "succeeds" and tclocal cannot start. Plain JavaScript with no imports of tclocal's: in a clone it runs
// before the TypeScript is built.
import { createRequire } from "node:module";

// The rule of src/store/sqlite.ts (sqliteDriverFor): better-sqlite3 13 needs Node-API 10 (Node 22.14+).
const driver = Number(process.versions.napi) >= 10 ? "better-sqlite3-napi" : "better-sqlite3";
const release = driver === "better-sqlite3-napi" ? "better-sqlite3 13 (installed as better-sqlite3-napi)" : "better-sqlite3 12";

try {
  const Database = createRequire(import.meta.url)(driver);
  new Database(":memory:").close();
} catch (error) {
  const reason = String(error?.message ?? error).split("\n")[0];
  const missing = error?.code === "MODULE_NOT_FOUND" && reason.includes(`'${driver}'`);
  process.stderr.write(
    [
      "",
      `tclocal: the SQLite driver it needs on Node ${process.version}, ${release}, is not usable.`,
      missing
        ? "  Cause: npm could not install it. It is a native addon: npm first tries to download a prebuilt binary for this platform, then compiles it, which needs python3, make and a C++ compiler; both failed, and npm skips an optional dependency that fails."
        : `  Cause: it is installed but does not load (${reason}). Its native part was not built for this Node (the build failed, npm did not run its install script, or Node changed since).`,
      "  Fix: install a C++ toolchain (Debian/Ubuntu: apt-get install -y python3 make g++; macOS: xcode-select --install),",
      missing ? "  then run npm install again in this project." : `  then run \`npm rebuild ${driver}\` in this project.`,
      "",
    ].join("\n"),
  );
  process.exit(1);
}
